import { recordReviewDecision, recordReviewFailure, type BlobStore, type Publish, type ReviewDecision, type ReviewTask } from "@media-pipeline/core";

/*
 * The built-in review's sweep, run on a schedule: a task nobody decided in the deployment's time ends
 * as the model decided, announced as `Stage Failed` for request-review (as an A2I review does when
 * its loops run out), so the media still gets its final report. It also announces what a lost
 * publish left unannounced, so no verdict is ever stored and silent.
 */

/** What the sweep needs of the board (adapters/review-table), at the sweep's own time. */
export interface SweepBoard {
  expire(args: { undecidedForMs: number }): Promise<Array<{ task: ReviewTask; expiredAt: string }>>;
  unannounced(args: { olderThanMs: number }): Promise<Array<{ task: ReviewTask; state: "decided" | "expired"; decision?: ReviewDecision | null; expiredAt?: string | null }>>;
  markAnnounced(taskId: string): Promise<void>;
}

/** A verdict's own announce gets this long before the sweep takes it over. */
const ANNOUNCE_GRACE_MS = 2 * 60_000;

export function timeoutReason(undecidedForMs: number): string {
  const hours = undecidedForMs / 3_600_000;
  const span = hours >= 1 ? `${Number(hours.toFixed(1))} hour${hours === 1 ? "" : "s"}` : `${Math.round(undecidedForMs / 60_000)} minutes`;
  return `No reviewer decided the task within ${span}; the model's decision stands`;
}

export async function sweepReviews(deps: { board: SweepBoard; blobs: BlobStore; publish: Publish; undecidedForMs: number }): Promise<{ expired: number; repaired: number }> {
  const reason = timeoutReason(deps.undecidedForMs);
  const fail = (task: ReviewTask, endedAt: Date) =>
    recordReviewFailure(deps, { mediaId: task.mediaId, source: task.source }, { taskId: task.taskId, reason, endedAt, errorName: "ReviewTimedOutError" });

  const expired = await deps.board.expire({ undecidedForMs: deps.undecidedForMs });
  for (const { task, expiredAt } of expired) {
    await fail(task, new Date(expiredAt));
    await deps.board.markAnnounced(task.taskId);
  }
  let repaired = 0;
  for (const item of await deps.board.unannounced({ olderThanMs: ANNOUNCE_GRACE_MS })) {
    if (item.state === "decided" && item.decision) await recordReviewDecision(deps, { mediaId: item.task.mediaId, source: item.task.source }, item.decision);
    else if (item.state === "expired") await fail(item.task, new Date(item.expiredAt ?? Date.now()));
    else continue;
    await deps.board.markAnnounced(item.task.taskId);
    repaired++;
  }
  return { expired: expired.length, repaired };
}
