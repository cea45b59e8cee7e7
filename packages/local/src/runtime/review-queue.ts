import type { ReviewQueue } from "@media-pipeline/core";
import type { Store } from "../store/index.js";

/**
 * Core's ReviewQueue port over the store's review tasks, for the review service (page, API, CLI) to
 * claim and decide. The task is core's review contract as JSON; opening one twice keeps the first.
 */
export function createSqliteReviewQueue(store: Store): ReviewQueue {
  return {
    async open(task) {
      store.reviews.open(task.taskId, task.mediaId, JSON.stringify(task), Date.parse(task.createdAt));
    },
  };
}
