import type { ObjectRef } from "../results/common.js";
import type {
  LabelsDocument,
  MediaSummaryDocument,
  ModerationDocument,
  ProbeResult,
  ScenesDocument,
  ShotsDocument,
  TextDocument,
  TranscriptDocument,
} from "../results/documents.js";
import type { Report } from "../results/report.js";
import { frameSpacingMs } from "../stages/frame-spacing.js";
import { finalDecision, type SegmentVerdict } from "../review/contract.js";
import { faceRanges, facesPerShot } from "./faces.js";

export interface ReportInput {
  mediaId: string;
  filename?: string;
  generatedAt: Date;
  probe: ProbeResult;
  shots?: ShotsDocument;
  labels?: LabelsDocument;
  moderation?: ModerationDocument;
  transcript?: TranscriptDocument;
  scenes?: ScenesDocument;
  text?: TextDocument;
  /** The caption files (make-captions' facts): named in the report by their file name, as they sit beside it. */
  captions?: { vtt: ObjectRef; srt: ObjectRef; cueCount: number; note?: string };
  summary?: MediaSummaryDocument;
  review: Report["review"];
  /** The reviewer's answer per moderation segment index, once decided. */
  segmentVerdicts?: ReadonlyArray<Pick<SegmentVerdict, "index" | "outcome" | "category">>;
  stages: Report["stages"];
  /** How a keyframe is referred to from the report (a relative path locally, an S3 URI in the cloud). */
  keyframeUri: (ref: ObjectRef) => string;
}

const baseName = (ref: ObjectRef) => ref.key.slice(ref.key.lastIndexOf("/") + 1);

/** Assembles the report from the stage documents; sections that do not apply are empty, not missing. */
export function buildReport(input: ReportInput): Report {
  const failed = Object.values(input.stages).some((s) => s.status === "failed");
  const faceFrames = input.labels?.faces ?? [];
  const frameMs = frameSpacingMs(faceFrames.map((f) => f.timestampMs));
  const perShot = input.labels?.faces ? facesPerShot(faceFrames, input.shots?.shots ?? []) : undefined;
  const verdicts = new Map((input.segmentVerdicts ?? []).map((v) => [v.index, v]));
  const final = finalDecision(input.moderation?.decision ?? null, input.review);
  return {
    mediaId: input.mediaId,
    ...(input.filename ? { filename: input.filename } : {}),
    generatedAt: input.generatedAt.toISOString(),
    status: failed ? "completed-with-failures" : "completed",
    media: {
      kind: input.probe.kind,
      durationMs: input.probe.durationMs,
      sizeBytes: input.probe.sizeBytes,
      container: input.probe.container,
      streams: input.probe.streams,
    },
    shots: (input.shots?.shots ?? []).map((s) => ({
      index: s.index,
      startMs: s.startMs,
      endMs: s.endMs,
      keyframe: input.keyframeUri(s.keyframe),
      ...(perShot ? { faces: perShot.get(s.index) ?? 0 } : {}),
    })),
    labels: (input.labels?.labels ?? []).map((l) => ({
      name: l.name,
      confidence: l.confidence,
      meanConfidence: l.meanConfidence,
      count: l.count,
      parents: l.parents.map((p) => p.name),
      occurrences: l.occurrences,
    })),
    faces: faceFrames,
    faceRanges: faceRanges(faceFrames, { frameMs, maxGapMs: frameMs * 2.5 }),
    moderation: {
      decision: input.moderation?.decision ?? null,
      thresholds: input.moderation?.thresholds ?? null,
      labels: (input.moderation?.segments ?? []).map((s, index) => {
        const answer = verdicts.get(index);
        return {
          name: s.name,
          parent: s.parent,
          confidence: s.confidence,
          startMs: s.startMs,
          endMs: s.endMs,
          decision: s.decision,
          ...(answer ? { review: { outcome: answer.outcome, ...(answer.category ? { category: answer.category } : {}) } } : {}),
        };
      }),
    },
    transcript: {
      language: input.transcript?.language ?? null,
      hasWords: input.transcript?.hasWords ?? false,
      notes: input.transcript?.notes ?? [],
      speakers: input.transcript?.speakers ?? [],
      segments: (input.transcript?.segments ?? []).map((s) => ({
        speaker: s.speaker,
        startMs: s.startMs,
        endMs: s.endMs,
        text: s.text,
      })),
    },
    scenes: input.scenes?.scenes ?? [],
    text: (input.text?.lines ?? []).map((l) => ({ text: l.text, startMs: l.startMs, endMs: l.endMs, confidence: l.confidence, frames: l.frames })),
    captions: input.captions
      ? {
        vtt: baseName(input.captions.vtt), srt: baseName(input.captions.srt), cueCount: input.captions.cueCount,
        ...(input.captions.note ? { note: input.captions.note } : {}),
      }
      : null,
    summary: input.summary
      ? { summary: input.summary.summary, topics: input.summary.topics, method: input.summary.method, chapters: input.summary.chapters }
      : null,
    review: input.review,
    decision: { value: final.decision, by: final.decidedBy },
    stages: input.stages,
  };
}
