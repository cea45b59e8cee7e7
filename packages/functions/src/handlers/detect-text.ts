import { createCloud } from "../cloud.js";
import { createStageHandler } from "../stage-handler.js";

// Built once per cold start, reused by warm invocations.
export const handler = createStageHandler(createCloud(process.env), "detect-text");
