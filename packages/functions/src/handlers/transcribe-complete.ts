import { createCloud } from "../cloud.js";
import { createTranscribeCompletion } from "../completions.js";

export const handler = createTranscribeCompletion(createCloud(process.env));
