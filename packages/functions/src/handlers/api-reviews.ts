import { createCloudReviewApi } from "../reviews/cloud-reviews.js";

// The built-in review's /reviews API, one Lambda per route (stacks/api.ts), clients built once per cold start.
const routes = createCloudReviewApi(process.env);

export const { me, list, get, claim, release, verdict } = routes;
