import { z } from "zod";

/**
 * Where a result lives. Results travel by reference: in the cloud an S3 bucket and key, locally the
 * same pair mapped to a file under the data directory.
 * @example { "bucket": "media", "key": "derived/01jd8x.../shots.json" }
 */
export const ObjectRef = z.object({
  bucket: z.string().min(1).max(255),
  key: z.string().min(1).max(1024),
});
export type ObjectRef = z.infer<typeof ObjectRef>;

/**
 * What produced a result: every result names its engine, version and settings so that nobody
 * mistakes a local open-source model for a cloud service.
 * @example { "name": "ffmpeg", "version": "5.1.6", "settings": { "sceneThreshold": 0.3 } }
 */
export const EngineInfo = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  settings: z.record(z.string(), z.unknown()).optional(),
  /** Said plainly when a local engine is weaker than its cloud counterpart. */
  note: z.string().optional(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

/** Milliseconds from the start of the media. */
export const TimeMs = z.number().int().nonnegative();

/** Rekognition's scale: 0–100. */
export const Confidence = z.number().min(0).max(100);

/** Relative to the frame, 0–1, as Rekognition's BoundingBox. */
export const BoundingBox = z.object({
  left: z.number(),
  top: z.number(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
});
export type BoundingBox = z.infer<typeof BoundingBox>;

/** A closed time range. */
export const TimeRange = z.object({ startMs: TimeMs, endMs: TimeMs });
export type TimeRange = z.infer<typeof TimeRange>;

/**
 * The reasons a person gets when media is refused. A closed set so consumers can branch on them;
 * the message says the same in words. Declared once: `Media Rejected`, the rejected report and
 * `MediaRejectedError` all take it from here.
 */
export const RejectionReason = z.enum(["empty", "truncated", "not-media", "no-usable-stream", "too-large", "too-long", "unsupported"]);
export type RejectionReason = z.infer<typeof RejectionReason>;

/** Why media was refused, in a closed reason and in words: `Media Rejected` and the rejected report carry it. */
export const Rejection = z.object({ reason: RejectionReason, message: z.string().min(1).max(2000) });
export type Rejection = z.infer<typeof Rejection>;
