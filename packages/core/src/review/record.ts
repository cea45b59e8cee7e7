import type { BlobStore, Publish } from "../ports.js";
import type { ObjectRef } from "../results/common.js";
import { derivedRef } from "../stages/common.js";
import { ReviewDecision, ReviewOutcome, ReviewTask } from "./contract.js";

/** The answers `Review Completed` carries (its schema's bound); review.json keeps them all. */
const REVIEW_EVENT_SEGMENTS = 100;

/** Where a media item's review task and outcome are stored, beside its other derived documents. */
export const reviewTaskRef = (source: ObjectRef, mediaId: string) => derivedRef(source, mediaId, "review-task.json");
export const reviewOutcomeRef = (source: ObjectRef, mediaId: string) => derivedRef(source, mediaId, "review.json");

/** Reads the stored task, validated. */
export async function loadReviewTask(blobs: BlobStore, source: ObjectRef, mediaId: string): Promise<ReviewTask> {
  return ReviewTask.parse(await blobs.getJson(reviewTaskRef(source, mediaId)));
}

/** Reads the stored outcome, or undefined while the review is open. */
export async function loadReviewOutcome(blobs: BlobStore, source: ObjectRef, mediaId: string): Promise<ReviewOutcome | undefined> {
  const ref = reviewOutcomeRef(source, mediaId);
  if ((await blobs.size(ref)) === undefined) return undefined;
  return ReviewOutcome.parse(await blobs.getJson(ref));
}

/**
 * Records a reviewer's decision and announces it: the outcome document first, then `Review Completed`
 * (keyed, so a repeat publishes nothing new). Writing first is what lets finalize-analysis and
 * complete-analysis agree whichever runs second. Both runtimes call this: the local review service on
 * a verdict, the cloud's A2I completion on a finished human loop.
 * @example await recordReviewDecision({ blobs, publish }, { mediaId, source }, decision)
 */
export async function recordReviewDecision(
  deps: { blobs: BlobStore; publish: Publish },
  media: { mediaId: string; correlationId?: string; source: ObjectRef },
  decision: ReviewDecision,
): Promise<void> {
  const checked = ReviewDecision.parse(decision);
  const outcome: ReviewOutcome = { version: 1, status: "decided", mediaId: media.mediaId, decision: checked };
  const ref = reviewOutcomeRef(media.source, media.mediaId);
  await deps.blobs.putJson(ref, outcome);
  // A long video can have thousands of answered segments: the event carries the first ones and the
  // count, review.json every one (events/bounds.ts).
  await deps.publish(
    "Review Completed",
    {
      version: 1, mediaId: media.mediaId, correlationId: media.correlationId ?? media.mediaId, ...checked,
      segments: checked.segments.slice(0, REVIEW_EVENT_SEGMENTS), segmentCount: checked.segments.length, outcome: ref,
    },
    { dedupeKey: `${media.mediaId}/review/Review Completed` },
  );
}

/**
 * Records a review that ended without a verdict (an A2I loop that failed for good or was stopped) and
 * announces it as `Stage Failed` for request-review; the model's decision then stands in the final report.
 */
export async function recordReviewFailure(
  deps: { blobs: BlobStore; publish: Publish },
  media: { mediaId: string; correlationId?: string; source: ObjectRef },
  failure: { taskId: string; reason: string; endedAt: Date; errorName?: string; /** Loops (or tries) the review got. */ attempts?: number },
): Promise<void> {
  const outcome: ReviewOutcome = {
    version: 1, status: "failed", mediaId: media.mediaId, taskId: failure.taskId,
    reason: failure.reason.slice(0, 4000), endedAt: failure.endedAt.toISOString(),
  };
  await deps.blobs.putJson(reviewOutcomeRef(media.source, media.mediaId), outcome);
  await deps.publish(
    "Stage Failed",
    {
      version: 1, mediaId: media.mediaId, correlationId: media.correlationId ?? media.mediaId, stage: "request-review",
      attempts: Math.max(1, failure.attempts ?? 1), trigger: "Review Requested",
      error: { name: failure.errorName ?? "ReviewEndedError", message: outcome.reason },
    },
    { dedupeKey: `${media.mediaId}/review/Stage Failed` },
  );
}
