import { createReviewPageRoute } from "../reviews/cloud-reviews.js";

// GET /review: the review page (packages/web), signing in to the deployment's user pool.
export const handler = createReviewPageRoute(process.env);
