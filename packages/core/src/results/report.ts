import { z } from "zod";
import { DecidedBy, ReviewSummary, SegmentVerdict } from "../review/contract.js";
import { EngineInfo, Rejection, TimeMs } from "./common.js";
import {
  AnalysisInput, Chapter, FaceCount, Label, MediaSummaryDocument, ModerationDecision, ModerationSegment, ModerationThresholds, ProbeResult,
  SceneSummary, Shot, TextOccurrence, TranscriptDocument, TranscriptSegment,
} from "./documents.js";

/** How an analysis ended: every stage done, or some failed (their sections are empty). */
export const AnalysisStatus = z.enum(["completed", "completed-with-failures"]);
export type AnalysisStatus = z.infer<typeof AnalysisStatus>;

/** Where one stage of one media item stands, in the report and in `Analysis Completed`. */
export const StageReportStatus = z.enum(["done", "failed", "skipped", "pending"]);
export type StageReportStatus = z.infer<typeof StageReportStatus>;

/**
 * The report a person opens at the end (report.json; report.html renders it). Sections that do not
 * apply (no audio, no video) are present and empty, never missing. Confidences are 0–100, times ms.
 * Each section is its stage document's schema, cut to what a person reads.
 */
export const Report = z.object({
  mediaId: z.string(),
  filename: z.string().optional(),
  generatedAt: z.string(),
  status: AnalysisStatus,
  media: ProbeResult.pick({ kind: true, durationMs: true, sizeBytes: true, container: true, streams: true }),
  shots: z.array(
    Shot.pick({ index: true, startMs: true, endMs: true }).extend({
      /** Relative path or URI of the keyframe JPEG. */
      keyframe: z.string(),
      /** The most faces seen at once in the shot (counts only, nobody identified); absent without vision. */
      faces: z.number().int().nonnegative().optional(),
    }),
  ),
  /** Labels without their per-frame instances; parents by name. */
  labels: z.array(Label.omit({ instances: true }).extend({ parents: z.array(z.string()) })),
  /** Faces counted per analysed frame. */
  faces: z.array(FaceCount),
  /** When faces were on screen, with the most seen at once. */
  faceRanges: z.array(z.object({ startMs: TimeMs, endMs: TimeMs, maxFaces: z.number().int().positive() })).default([]),
  moderation: z.object({
    decision: ModerationDecision.nullable(),
    thresholds: ModerationThresholds.nullable(),
    labels: z.array(
      ModerationSegment.omit({ frames: true, keyframe: true }).extend({
        /** The reviewer's answer for this segment, once there is one. */
        review: SegmentVerdict.pick({ outcome: true, category: true }).optional(),
      }),
    ),
  }),
  transcript: TranscriptDocument.pick({ language: true, hasWords: true, notes: true, speakers: true }).extend({
    /** Null without an audio track. */
    language: z.string().nullable(),
    segments: z.array(TranscriptSegment.omit({ words: true })),
  }),
  scenes: z.array(SceneSummary.omit({ shotIndexes: true })),
  /** Lines of text shown on screen, by time (words are in the text document). Absent in reports made before it was added. */
  text: z.array(TextOccurrence.omit({ line: true, box: true })).default([]),
  /**
   * The caption files, named relative to the report (they are stored beside it), with how many cues;
   * null without a transcript.
   */
  captions: z.object({
    vtt: z.string(),
    srt: z.string(),
    cueCount: z.number().int().nonnegative(),
    note: z.string().optional(),
  }).nullable().default(null),
  /** A summary of the whole media, its key topics and chapters; null when it was not made. */
  summary: MediaSummaryDocument.pick({ summary: true, topics: true, method: true }).extend({ chapters: z.array(Chapter) }).nullable().default(null),
  review: ReviewSummary.extend({
    comment: z.string().optional(),
    /** Why a review ended without a verdict. */
    reason: z.string().optional(),
  }),
  /** The media's decision: the reviewer's verdict overrides the model's (approved → clean, rejected → flagged). */
  decision: z.object({ value: ModerationDecision.nullable(), by: DecidedBy }),
  stages: z.record(
    z.string(),
    z.object({
      status: StageReportStatus,
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
  rejection: Rejection,
});
export type RejectedReport = z.infer<typeof RejectedReport>;
