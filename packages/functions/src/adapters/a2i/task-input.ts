import { z } from "zod";
import { ReviewSegment, ReviewTask, type ObjectRef } from "@media-pipeline/core";

/** A2I's limit on `HumanLoopInput.InputContent`, in characters. */
export const MAX_INPUT_CONTENT_CHARS = 3_145_728;

export function s3Uri(ref: ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/**
 * One segment as the task template reads it: core's `ReviewSegment` (`index` is its position in the
 * moderation document, which is also what the answer refers to) plus where the browser gets its
 * keyframe. `keyframeS3Uri` is for the template's `grant_read_access` Liquid filter, which presigns
 * at render time with the flow definition's role, so a task opened days later still shows it;
 * `keyframeUrl` is the caller's presigned URL, which expires.
 */
export const ReviewTaskInputSegment = ReviewSegment.extend({
  keyframeUrl: z.string().optional(),
  keyframeS3Uri: z.string().optional(),
});
export type ReviewTaskInputSegment = z.infer<typeof ReviewTaskInputSegment>;

/**
 * The JSON the task template reads as `task.input`: every field of core's `ReviewTask` (the one review
 * contract, stored as derived/<mediaId>/review-task.json), with `segments` possibly trimmed to fit,
 * plus the fields only A2I needs: the media's URL and S3 URI for the player, and what was left out.
 */
export const ReviewTaskInput = ReviewTask.extend({
  segments: z.array(ReviewTaskInputSegment),
  /** Presigned HTTPS URL of the upload; the template uses it only without `mediaS3Uri` (it expires). */
  mediaUrl: z.string(),
  /** `s3://bucket/key` of the upload, presigned at render time by `grant_read_access`. */
  mediaS3Uri: z.string(),
  /** Segments in the task, before any were left out. */
  segmentCount: z.number().int().nonnegative(),
  omitted: z.object({ keyframes: z.number().int().nonnegative(), segments: z.array(z.number().int().nonnegative()) }),
  /** Why something is missing, for the reviewer to read. */
  notes: z.array(z.string()),
});
export type ReviewTaskInput = z.infer<typeof ReviewTaskInput>;

export interface BuildTaskInput {
  task: ReviewTask;
  mediaUrl: string;
  /** Presigned keyframe URLs by segment `index`. */
  keyframeUrls: ReadonlyMap<number, string>;
  maxChars?: number;
}

/**
 * Builds the task input from the core task and, when its JSON would exceed A2I's 3,145,728
 * characters, trims it: first the keyframes of the least important segments (flagged before
 * uncertain, later before earlier; a trimmed keyframe loses its `keyframe`, `keyframeUrl` and
 * `keyframeS3Uri`), then those segments themselves, keeping as much as fits. What was left out is
 * listed and explained in `notes`. The same task and URLs always give the same input.
 * @returns the input and its JSON, which is what goes into `InputContent`.
 */
export function buildTaskInput(args: BuildTaskInput): { input: ReviewTaskInput; json: string } {
  const maxChars = args.maxChars ?? MAX_INPUT_CONTENT_CHARS;
  const { task } = args;
  const all: ReviewTaskInputSegment[] = task.segments.map((s) => {
    const url = s.keyframe ? args.keyframeUrls.get(s.index) : undefined;
    return url && s.keyframe ? { ...s, keyframeUrl: url, keyframeS3Uri: s3Uri(s.keyframe) } : s;
  });
  // Most important first: the uncertain segments are why the task exists.
  const rank = { review: 0, flagged: 1, clean: 2 } as const;
  const priority = [...all].sort((a, b) => rank[a.decision] - rank[b.decision] || a.index - b.index);
  const hasFrame = (s: ReviewTaskInputSegment) => s.keyframeUrl !== undefined;
  const withKeyframes = priority.filter(hasFrame).length;

  const make = (keepKeyframes: number, keepSegments: number) => {
    const kept = priority.slice(0, keepSegments);
    let kf = 0;
    const segments = kept
      .map((s) => {
        if (!hasFrame(s) || kf++ < keepKeyframes) return s;
        const { keyframe: _k, keyframeUrl: _u, keyframeS3Uri: _s, ...rest } = s;
        return rest;
      })
      .sort((a, b) => a.index - b.index);
    const omittedSegments = priority.slice(keepSegments).map((s) => s.index).sort((a, b) => a - b);
    const omittedKeyframes = withKeyframes - segments.filter(hasFrame).length;
    const notes: string[] = [];
    if (omittedKeyframes > 0) notes.push(`${omittedKeyframes} keyframe link(s) left out to fit A2I's ${maxChars.toLocaleString("en-US")}-character input limit; the video player still shows every moment.`);
    if (omittedSegments.length > 0) notes.push(`${omittedSegments.length} segment(s) left out to fit A2I's input limit (indexes ${omittedSegments.slice(0, 20).join(", ")}${omittedSegments.length > 20 ? ", …" : ""}); they keep the model's decision.`);
    const input: ReviewTaskInput = {
      ...task, segments, mediaUrl: args.mediaUrl, mediaS3Uri: s3Uri(task.source), segmentCount: all.length,
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
