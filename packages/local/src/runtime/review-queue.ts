import type { ReviewQueue } from "@media-pipeline/core";
import type { Db } from "./db.js";

/** Review tasks in SQLite; the review page and API (a later issue) read and decide them. */
export function createSqliteReviewQueue(db: Db): ReviewQueue {
  const insert = db.prepare("INSERT OR IGNORE INTO review_tasks (task_id, media_id, status, input, created_at) VALUES (?, ?, 'open', ?, ?)");
  return {
    async open(task) {
      insert.run(task.taskId, task.mediaId, JSON.stringify(task), Date.now());
    },
  };
}
