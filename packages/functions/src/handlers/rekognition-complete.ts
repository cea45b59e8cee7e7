import { createCloud } from "../cloud.js";
import { createRekognitionCompletion } from "../completions.js";

export const handler = createRekognitionCompletion(createCloud(process.env));
