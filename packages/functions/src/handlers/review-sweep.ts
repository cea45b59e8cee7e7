import { createReviewSweep } from "../reviews/cloud-reviews.js";

// Scheduled: expires undecided review tasks, announces unannounced ones (reviews/sweep.ts).
export const handler = createReviewSweep(process.env);
