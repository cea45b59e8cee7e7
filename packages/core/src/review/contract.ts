import { z } from "zod";
import { NonRetryableError } from "../errors.js";
import { Confidence, ObjectRef, TimeMs } from "../results/common.js";
import { ModerationDecision, ModerationThresholds, type ModerationDocument } from "../results/documents.js";

/*
 * The review task contract, one for A2I and the local review page alike. A task is built from the
 * moderation document when moderation asks for review; a verdict comes back per segment and overall.
 * The cloud adds presigned URLs to the task for the A2I template; the local server adds signed URLs
 * for its page. Neither changes what the task or the verdict mean.
 */

/** One moderation segment as the reviewer sees it; `index` is its position in the moderation document. */
export const ReviewSegment = z.object({
  index: z.number().int().nonnegative(),
  startMs: TimeMs,
  endMs: TimeMs,
  /** The top-level category: the parent, or the label itself when it has none. */
  category: z.string(),
  name: z.string(),
  parent: z.string(),
  confidence: Confidence,
  /** `review`: uncertain, why the task exists; `flagged`: above the flag threshold, shown for context. */
  decision: ModerationDecision,
  keyframe: ObjectRef.optional(),
});
export type ReviewSegment = z.infer<typeof ReviewSegment>;

/** The deterministic task id (see `reviewTaskId`): it names the A2I human loop, so A2I's 63 characters bound it. */
export const ReviewTaskId = z.string().min(1).max(63);

/** What a reviewer is asked to decide. Stored as `derived/<mediaId>/review-task.json` by request-review. */
export const ReviewTask = z.object({
  version: z.literal(1),
  taskId: ReviewTaskId,
  mediaId: z.string().min(1),
  source: ObjectRef,
  moderation: ObjectRef,
  modelDecision: ModerationDecision,
  thresholds: ModerationThresholds,
  /** Every segment of the moderation document, in document order. */
  segments: z.array(ReviewSegment),
  /** Distinct top-level categories, for a wrong-category answer's choices. */
  categories: z.array(z.string()),
  createdAt: z.string().datetime(),
});
export type ReviewTask = z.infer<typeof ReviewTask>;

export const SEGMENT_OUTCOMES = ["confirmed", "false-positive", "wrong-category"] as const;
/** A reviewer's answer for one segment; the review event, review.json and the report all take it from here. */
export const SegmentOutcome = z.enum(SEGMENT_OUTCOMES);
export type SegmentOutcome = z.infer<typeof SegmentOutcome>;

export const VERDICTS = ["approved", "rejected"] as const;
/** `approved`: the media may be published; `rejected`: it may not. */
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

export const SegmentVerdict = z.object({
  index: z.number().int().nonnegative(),
  outcome: SegmentOutcome,
  /** With `wrong-category`: the category it really is. */
  category: z.string().trim().min(1).max(200).optional(),
});
export type SegmentVerdict = z.infer<typeof SegmentVerdict>;

/** What a reviewer submits (the API body, the CLI flags and the A2I form all reduce to this). */
export const ReviewVerdict = z.object({
  verdict: Verdict,
  segments: z.array(SegmentVerdict).max(10_000).optional(),
  comment: z.string().max(4000).optional(),
});
export type ReviewVerdict = z.infer<typeof ReviewVerdict>;

/**
 * A decided review: the verdict with who decided and when. `Review Completed` is built from it (events
 * carry the first 100 answers), and review.json stores it whole.
 */
export const ReviewDecision = z.object({
  taskId: ReviewTaskId,
  verdict: Verdict,
  reviewer: z.string().min(1).max(200),
  decidedAt: z.string().datetime(),
  segments: z.array(SegmentVerdict),
  comment: z.string().max(4000).optional(),
});
export type ReviewDecision = z.infer<typeof ReviewDecision>;

/**
 * How a review ended, stored as `derived/<mediaId>/review.json` before its event is published, so
 * that whichever of complete-analysis and finalize-analysis runs second sees it (see finalize-analysis).
 */
export const ReviewOutcome = z.discriminatedUnion("status", [
  z.object({ version: z.literal(1), status: z.literal("decided"), mediaId: z.string(), decision: ReviewDecision }),
  z.object({
    version: z.literal(1), status: z.literal("failed"), mediaId: z.string(), taskId: z.string(),
    reason: z.string().min(1).max(4000), endedAt: z.string().datetime(),
  }),
]);
export type ReviewOutcome = z.infer<typeof ReviewOutcome>;

/** Where a media item's review stands: not asked for, open, decided either way, or ended without a verdict. */
export const ReviewStatus = z.enum(["not-required", "pending", "approved", "rejected", "failed"]);
export type ReviewStatus = z.infer<typeof ReviewStatus>;

/** Who made the media's decision: the model, or a reviewer whose verdict overrides it. */
export const DecidedBy = z.enum(["model", "reviewer"]);
export type DecidedBy = z.infer<typeof DecidedBy>;

/** The review as `Analysis Completed` carries it; the report adds the comment and a failure's reason. */
export const ReviewSummary = z.object({
  status: ReviewStatus,
  taskId: z.string().optional(),
  reviewer: z.string().optional(),
  decidedAt: z.string().datetime().optional(),
});
export type ReviewSummary = z.infer<typeof ReviewSummary>;

/** A verdict that does not fit its task; the message lists every problem. */
export class ReviewVerdictError extends NonRetryableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    super(message, options);
    this.issues = issues;
  }
}

/** The deterministic review task id: one per media, within A2I's HumanLoopName rules. */
export function reviewTaskId(mediaId: string): string {
  return `${mediaId}-review`;
}

/** Builds the task from the moderation document. Every segment is included; the uncertain ones are why. */
export function buildReviewTask(args: {
  taskId: string;
  mediaId: string;
  source: ObjectRef;
  moderationRef: ObjectRef;
  moderation: ModerationDocument;
  createdAt: Date;
}): ReviewTask {
  const segments: ReviewSegment[] = args.moderation.segments.map((s, index) => ({
    index, startMs: s.startMs, endMs: s.endMs, category: s.parent || s.name, name: s.name, parent: s.parent,
    confidence: s.confidence, decision: s.decision, ...(s.keyframe ? { keyframe: s.keyframe } : {}),
  }));
  return {
    version: 1, taskId: args.taskId, mediaId: args.mediaId, source: args.source, moderation: args.moderationRef,
    modelDecision: args.moderation.decision, thresholds: args.moderation.thresholds, segments,
    categories: [...new Set(segments.map((s) => s.category))].sort(), createdAt: args.createdAt.toISOString(),
  };
}

/**
 * Checks a verdict against its task and returns it normalized (segments sorted by index). Refuses an
 * unknown or repeated segment index, a `wrong-category` without a category or naming the category the
 * model already gave, and a category on any other outcome.
 */
export function checkVerdict(task: Pick<ReviewTask, "segments">, verdict: ReviewVerdict): ReviewVerdict {
  const issues: string[] = [];
  const byIndex = new Map(task.segments.map((s) => [s.index, s]));
  const seen = new Set<number>();
  for (const s of verdict.segments ?? []) {
    const seg = byIndex.get(s.index);
    if (!seg) issues.push(`segment ${s.index} is not in this task (it has ${task.segments.length})`);
    if (seen.has(s.index)) issues.push(`segment ${s.index} is answered twice`);
    seen.add(s.index);
    if (s.outcome === "wrong-category") {
      if (!s.category) issues.push(`segment ${s.index}: wrong-category needs the right category`);
      else if (seg && s.category.toLowerCase() === seg.category.toLowerCase()) {
        issues.push(`segment ${s.index}: "${s.category}" is the category the model gave; use confirmed`);
      }
    } else if (s.category !== undefined) issues.push(`segment ${s.index}: a category goes only with wrong-category`);
  }
  if (issues.length) throw new ReviewVerdictError(`The verdict does not fit the task: ${issues.join("; ")}`, issues);
  const segments = [...(verdict.segments ?? [])].sort((a, b) => a.index - b.index);
  return { verdict: verdict.verdict, segments, ...(verdict.comment?.trim() ? { comment: verdict.comment.trim() } : {}) };
}

/**
 * The media's decision once a person has spoken: the verdict overrides the model (approved → clean,
 * rejected → flagged). Without a verdict (pending, failed, never asked) the model's decision stands.
 */
export function finalDecision(
  modelDecision: ModerationDecision | null,
  review: { status: ReviewStatus },
): { decision: ModerationDecision | null; decidedBy: DecidedBy } {
  if (review.status === "approved") return { decision: "clean", decidedBy: "reviewer" };
  if (review.status === "rejected") return { decision: "flagged", decidedBy: "reviewer" };
  return { decision: modelDecision, decidedBy: "model" };
}
