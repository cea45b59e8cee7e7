import type { ReviewQueue } from "@media-pipeline/core";
import type { Db } from "./db.js";

/**
 * Review tasks in SQLite, for the review service (page, API, CLI) to claim and decide. The task is
 * core's review contract as JSON; opening one twice keeps the first.
 */
export function createSqliteReviewQueue(db: Db): ReviewQueue {
  const insert = db.prepare("INSERT OR IGNORE INTO review_tasks (task_id, media_id, status, input, created_at) VALUES (?, ?, 'open', ?, ?)");
  return {
    async open(task) {
      insert.run(task.taskId, task.mediaId, JSON.stringify(task), Date.parse(task.createdAt));
    },
  };
}
