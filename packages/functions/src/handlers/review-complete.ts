import { createCloud } from "../cloud.js";
import { createReviewCompletion } from "../completions.js";

export const handler = createReviewCompletion(createCloud(process.env));
