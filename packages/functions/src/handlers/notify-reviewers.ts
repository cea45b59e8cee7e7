import { createReviewNotifier } from "../reviews/cloud-reviews.js";

// Review Requested (media bus) → an SNS message to the reviewers' topic with a link to the task.
export const handler = createReviewNotifier(process.env);
