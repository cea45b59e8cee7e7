import { z } from "zod";
import { Confidence, EngineInfo, RejectionReason, TimeMs } from "./common.js";
import { AnalysisInput, MediaStream, ModerationDecision, ModerationThresholds } from "./documents.js";

/**
 * The report a person opens at the end (report.json; report.html renders it). Sections that do not
 * apply (no audio, no video) are present and empty, never missing. Confidences are 0–100, times ms.
 */
export const Report = z.object({
  mediaId: z.string(),
  filename: z.string().optional(),
  generatedAt: z.string(),
  status: z.enum(["completed", "completed-with-failures"]),
  media: z.object({
    kind: z.enum(["video", "audio"]),
    durationMs: TimeMs,
    sizeBytes: z.number().int().nonnegative(),
    container: z.string(),
    streams: z.array(MediaStream),
  }),
  shots: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      startMs: TimeMs,
      endMs: TimeMs,
      /** Relative path or URI of the keyframe JPEG. */
      keyframe: z.string(),
      /** The most faces seen at once in the shot (counts only, nobody identified); absent without vision. */
      faces: z.number().int().nonnegative().optional(),
    }),
  ),
  labels: z.array(
    z.object({
      name: z.string(),
      confidence: Confidence,
      meanConfidence: Confidence,
      count: z.number().int().nonnegative(),
      parents: z.array(z.string()),
      occurrences: z.array(z.object({ startMs: TimeMs, endMs: TimeMs, confidence: Confidence })),
    }),
  ),
  /** Faces counted per analysed frame. */
  faces: z.array(z.object({ timestampMs: TimeMs, count: z.number().int().nonnegative() })),
  /** When faces were on screen, with the most seen at once. */
  faceRanges: z.array(z.object({ startMs: TimeMs, endMs: TimeMs, maxFaces: z.number().int().positive() })).default([]),
  moderation: z.object({
    decision: ModerationDecision.nullable(),
    thresholds: ModerationThresholds.nullable(),
    labels: z.array(
      z.object({
        name: z.string(),
        parent: z.string(),
        confidence: Confidence,
        startMs: TimeMs,
        endMs: TimeMs,
        decision: ModerationDecision,
        /** The reviewer's answer for this segment, once there is one. */
        review: z.object({
          outcome: z.enum(["confirmed", "false-positive", "wrong-category"]),
          category: z.string().optional(),
        }).optional(),
      }),
    ),
  }),
  transcript: z.object({
    language: z.string().nullable(),
    hasWords: z.boolean(),
    notes: z.array(z.string()),
    speakers: z.array(z.object({ id: z.string(), label: z.string(), speechMs: TimeMs })),
    segments: z.array(z.object({ speaker: z.string(), startMs: TimeMs, endMs: TimeMs, text: z.string() })),
  }),
  scenes: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      startMs: TimeMs,
      endMs: TimeMs,
      summary: z.string(),
      labels: z.array(z.string()),
      moderation: z.array(z.string()),
      speakers: z.array(z.string()),
      summarizer: z.enum(["extractive", "llm"]),
    }),
  ),
  review: z.object({
    status: z.enum(["not-required", "pending", "approved", "rejected", "failed"]),
    taskId: z.string().optional(),
    reviewer: z.string().optional(),
    decidedAt: z.string().optional(),
    comment: z.string().optional(),
    /** Why a review ended without a verdict. */
    reason: z.string().optional(),
  }),
  /** The media's decision: the reviewer's verdict overrides the model's (approved → clean, rejected → flagged). */
  decision: z.object({ value: ModerationDecision.nullable(), by: z.enum(["model", "reviewer"]) }),
  stages: z.record(
    z.string(),
    z.object({
      status: z.enum(["done", "failed", "skipped", "pending"]),
      durationMs: TimeMs.nullable(),
      engine: EngineInfo.nullable(),
      error: z.string().optional(),
      /** Vision stages: what was analysed (the upload, a rendition or sampled frames) and why. */
      analysis: AnalysisInput.optional(),
    }),
  ),
});
export type Report = z.infer<typeof Report>;

/**
 * report.json for media that was refused: which file, why (the `Media Rejected` reason and its words)
 * and when, so a script that reads the output folder finds an answer rather than nothing.
 */
export const RejectedReport = z.object({
  mediaId: z.string(),
  filename: z.string().optional(),
  generatedAt: z.string(),
  status: z.literal("rejected"),
  rejection: z.object({ reason: RejectionReason, message: z.string().min(1) }),
});
export type RejectedReport = z.infer<typeof RejectedReport>;
