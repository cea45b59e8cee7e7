import type { A2iStatus } from "./status-event.js";

/**
 * The re-queue policy for human loops that end without an answer.
 *
 * - `Failed` is A2I's side giving up on the loop (the task expired unclaimed, an internal error), not
 *   a decision about the media, so the review is started again as a new loop, `<taskId>-2`, `-3` …,
 *   from the stored task, until `maxAttempts` loops in all have run (REVIEW_MAX_ATTEMPTS, default 3).
 * - A `Failed` loop whose `failureCode` is `ValidationError` is not re-queued: A2I refused our input,
 *   and the same input would be refused again.
 * - `Stopped` means an operator stopped the loop (StopHumanLoop) on purpose, so it is not re-queued;
 *   except on a flow definition a deploy replaced (`replaced`): deleting a flow definition stops its
 *   loops that no worker has started, which is our doing, not a decision about the media, so such a
 *   loop is re-queued on the current flow definition like a failed one.
 *
 * A loop that is not re-queued ends the review: the completion records it as failed (review.json,
 * `Stage Failed` for request-review) and the final report keeps the model's decision.
 */
export const DEFAULT_REVIEW_MAX_ATTEMPTS = 3;
/** Enough for any sensible policy, and the loop names stay short (`-<n>`). */
export const REVIEW_MAX_ATTEMPTS_LIMIT = 10;

/** What to do about a loop that ended: start the next attempt, or end the review without a verdict. */
export type LoopEndStep =
  | { kind: "requeue"; attempt: number }
  | { kind: "give-up"; errorName: "HumanLoopStoppedError" | "HumanLoopFailedError"; reason: string };

/**
 * Applies the policy to a `Failed` or `Stopped` loop (a `Completed` one has an answer, not a step).
 * `replaced`: the loop ran on a flow definition that is no longer the current one.
 * @example nextStepAfter({ status: "Failed", ... }, { attempt: 1, maxAttempts: 3 }) // { kind: "requeue", attempt: 2 }
 */
export function nextStepAfter(
  status: Pick<A2iStatus, "status" | "humanLoopName" | "failureCode" | "failureReason">,
  loop: { attempt: number; maxAttempts: number; replaced?: boolean },
): LoopEndStep {
  const why = [status.failureCode, status.failureReason].filter(Boolean).join(": ");
  const of = `attempt ${loop.attempt} of ${loop.maxAttempts}`;
  if (status.status === "Stopped" && loop.replaced && loop.attempt < loop.maxAttempts) return { kind: "requeue", attempt: loop.attempt + 1 };
  if (status.status === "Stopped") {
    return { kind: "give-up", errorName: "HumanLoopStoppedError", reason: `Human loop ${status.humanLoopName} was stopped (${of}); stopped loops are not re-queued${why ? ` (${why})` : ""}` };
  }
  if (status.status !== "Failed") throw new RangeError(`nextStepAfter is for Failed and Stopped loops, not ${status.status}`);
  if (status.failureCode === "ValidationError") {
    return { kind: "give-up", errorName: "HumanLoopFailedError", reason: `Human loop ${status.humanLoopName} failed (${of}) on its input, which a new loop would repeat: ${why}` };
  }
  if (loop.attempt < loop.maxAttempts) return { kind: "requeue", attempt: loop.attempt + 1 };
  return { kind: "give-up", errorName: "HumanLoopFailedError", reason: `Human loop ${status.humanLoopName} failed on its last allowed ${of}${why ? `: ${why}` : ""}` };
}
