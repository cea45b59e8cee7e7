import { createCloud } from "../cloud.js";
import { createTranscribeCheck } from "../transcribe-check.js";

// Built once per cold start, reused by warm invocations. SQS event source with reportBatchItemFailures.
export const handler = createTranscribeCheck(createCloud(process.env));
