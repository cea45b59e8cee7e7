import { z } from "zod";
import type { ModerationDocument, ObjectRef } from "@media-pipeline/core";

/** A2I's limit on `HumanLoopInput.InputContent`, in characters. */
export const MAX_INPUT_CONTENT_CHARS = 3_145_728;

export function s3Uri(ref: ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/**
 * The review task contract: the JSON the task template reads as `task.input`. `index` is the segment's
 * position in the moderation document, which is also what the answer refers to. `*S3Uri` fields are
 * there for the template's `grant_read_access` Liquid filter, which presigns at render time with the
 * flow definition's role, so a task opened days later still plays; `*Url` are the caller's presigned
 * URLs, which expire.
 */
export const ReviewTaskSegment = z.object({
  index: z.number().int().nonnegative(),
  startMs: z.number().int().nonnegative(),
  endMs: z.number().int().nonnegative(),
  /** The top-level category: the parent, or the label itself when it has none (core's rule). */
  category: z.string(),
  name: z.string(),
  parent: z.string(),
  confidence: z.number(),
  /** `review`: uncertain, the reason for the task; `flagged`: above the flag threshold, shown for context. */
  decision: z.enum(["review", "flagged", "clean"]),
  keyframeUrl: z.string().optional(),
  keyframeS3Uri: z.string().optional(),
});
export type ReviewTaskSegment = z.infer<typeof ReviewTaskSegment>;

export const ReviewTaskInput = z.object({
  taskId: z.string(),
  mediaId: z.string(),
  mediaUrl: z.string(),
  mediaS3Uri: z.string(),
  /** Segments in the moderation document, before any were left out. */
  segmentCount: z.number().int().nonnegative(),
  segments: z.array(ReviewTaskSegment),
  /** Distinct top-level categories in the document, for a wrong-category answer's choices. */
  categories: z.array(z.string()),
  omitted: z.object({ keyframes: z.number().int().nonnegative(), segments: z.array(z.number().int().nonnegative()) }),
  /** Why something is missing, for the reviewer to read. */
  notes: z.array(z.string()),
});
export type ReviewTaskInput = z.infer<typeof ReviewTaskInput>;

export interface BuildTaskInput {
  taskId: string;
  mediaId: string;
  source: ObjectRef;
  mediaUrl: string;
  moderation: ModerationDocument;
  keyframeUrls: ReadonlyMap<number, string>;
  maxChars?: number;
}

/**
 * Builds the task input and, when its JSON would exceed A2I's 3,145,728 characters, trims it: first the
 * keyframes of the least important segments (flagged before uncertain, later before earlier), then those
 * segments themselves, keeping as much as fits. What was left out is listed and explained in `notes`.
 * @returns the input and its JSON, which is what goes into `InputContent`.
 */
export function buildTaskInput(args: BuildTaskInput): { input: ReviewTaskInput; json: string } {
  const maxChars = args.maxChars ?? MAX_INPUT_CONTENT_CHARS;
  const all: ReviewTaskSegment[] = args.moderation.segments.map((s, index): ReviewTaskSegment => {
    const url = args.keyframeUrls.get(index);
    return {
      index, startMs: s.startMs, endMs: s.endMs, category: s.parent || s.name, name: s.name, parent: s.parent,
      confidence: s.confidence, decision: s.decision,
      ...(url && s.keyframe ? { keyframeUrl: url, keyframeS3Uri: s3Uri(s.keyframe) } : {}),
    };
  });
  // Most important first: the uncertain segments are why the task exists.
  const rank = { review: 0, flagged: 1, clean: 2 } as const;
  const priority = [...all].sort((a, b) => rank[a.decision] - rank[b.decision] || a.index - b.index);
  const withKeyframes = priority.filter((s) => s.keyframeUrl).length;

  const make = (keepKeyframes: number, keepSegments: number) => {
    const kept = priority.slice(0, keepSegments);
    let kf = 0;
    const segments = kept
      .map((s) => {
        if (!s.keyframeUrl) return s;
        if (kf++ < keepKeyframes) return s;
        const { keyframeUrl: _u, keyframeS3Uri: _s, ...rest } = s;
        return rest as ReviewTaskSegment;
      })
      .sort((a, b) => a.index - b.index);
    const omittedSegments = priority.slice(keepSegments).map((s) => s.index).sort((a, b) => a - b);
    const omittedKeyframes = withKeyframes - segments.filter((s) => s.keyframeUrl).length;
    const notes: string[] = [];
    if (omittedKeyframes > 0) notes.push(`${omittedKeyframes} keyframe link(s) left out to fit A2I's ${maxChars.toLocaleString("en-US")}-character input limit; the video player still shows every moment.`);
    if (omittedSegments.length > 0) notes.push(`${omittedSegments.length} segment(s) left out to fit A2I's input limit (indexes ${omittedSegments.slice(0, 20).join(", ")}${omittedSegments.length > 20 ? ", …" : ""}); they keep the model's decision.`);
    const input: ReviewTaskInput = {
      taskId: args.taskId, mediaId: args.mediaId, mediaUrl: args.mediaUrl, mediaS3Uri: s3Uri(args.source),
      segmentCount: all.length, segments,
      categories: [...new Set(all.map((s) => s.category))].sort(),
      omitted: { keyframes: omittedKeyframes, segments: omittedSegments }, notes,
    };
    return { input, json: JSON.stringify(input) };
  };

  const full = make(withKeyframes, priority.length);
  if (full.json.length <= maxChars) return full;
  // Sizes grow with what is kept, so a binary search finds the most that fits.
  const largest = (lo: number, hi: number, fits: (n: number) => boolean) => {
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  if (make(0, priority.length).json.length <= maxChars) {
    const k = largest(0, withKeyframes, (n) => make(n, priority.length).json.length <= maxChars);
    return make(k, priority.length);
  }
  const n = largest(0, priority.length, (m) => make(0, m).json.length <= maxChars);
  const trimmed = make(0, n);
  if (trimmed.json.length > maxChars) throw new RangeError(`the review task input cannot fit ${maxChars} characters even without segments`);
  return trimmed;
}
