import { NonRetryableError } from "../errors.js";
import { aggregateLabels } from "../policy/labels.js";
import { decideModeration, segmentModeration } from "../policy/moderation.js";
import { mergeTextFrames } from "../policy/text.js";
import type { BlobStore } from "../ports.js";
import type { EngineInfo, ObjectRef } from "../results/common.js";
import {
  LabelsDocument, ModerationDocument, TextDocument, TranscriptDocument,
  type AnalysisInput, type FrameDetections, type FrameModeration, type FrameText, type ModerationThresholds,
} from "../results/documents.js";
import { derivedRef } from "./common.js";
import { frameSpacingMs } from "./frame-spacing.js";
import type { WorkResult } from "./run-once.js";

/*
 * What a vision or speech stage makes of its engine's output, whichever engine ran it: a local model
 * in-process, or a cloud job collected on completion. One code path, so both runtimes' documents
 * and events have the same shape.
 */

/** An engine's output that does not match its contract is not worth retrying. */
function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new NonRetryableError(`${what} engine returned an invalid result: ${r.error.message.slice(0, 500)}`, { cause: r.error });
  return r.data;
}

/** Text on screen from per-frame OCR: merged into occurrences over time, stored, announced. */
export async function textResult(
  blobs: BlobStore,
  input: { mediaId: string; source: ObjectRef; frames: FrameText[]; engine: EngineInfo; analysis?: AnalysisInput },
): Promise<WorkResult> {
  const { lines, words } = mergeTextFrames(input.frames);
  const doc = checked(TextDocument, {
    lines, words, framesAnalyzed: input.frames.length, engine: input.engine, ...(input.analysis ? { analysis: input.analysis } : {}),
  }, "Text");
  const ref = derivedRef(input.source, input.mediaId, "text.json");
  await blobs.putJson(ref, doc);
  return {
    emit: [{
      type: "Text Detected",
      detail: {
        text: ref, lineCount: doc.lines.length, wordCount: doc.words.length, framesAnalyzed: doc.framesAnalyzed, engine: doc.engine,
        lines: doc.lines.slice(0, 20).map((l) => ({ text: l.text.slice(0, 200), startMs: l.startMs, endMs: l.endMs, confidence: l.confidence })),
        ...(doc.analysis ? { analysis: doc.analysis } : {}),
      },
    }],
    facts: { ref, engine: doc.engine, ...(doc.analysis ? { analysis: doc.analysis } : {}) },
  };
}

/** Labels from per-frame detections: aggregated, stored, announced. */
export async function labelsResult(
  blobs: BlobStore,
  input: { mediaId: string; source: ObjectRef; frames: FrameDetections[]; faces?: LabelsDocument["faces"]; engine: EngineInfo; analysis?: AnalysisInput },
): Promise<WorkResult> {
  const frameMs = frameSpacingMs(input.frames.map((f) => f.timestampMs));
  const doc = checked(LabelsDocument, {
    framesAnalyzed: input.frames.length,
    labels: aggregateLabels(input.frames, { frameMs, maxGapMs: frameMs * 2.5 }),
    ...(input.faces ? { faces: input.faces } : {}),
    engine: input.engine,
    ...(input.analysis ? { analysis: input.analysis } : {}),
  }, "Labels");
  const ref = derivedRef(input.source, input.mediaId, "labels.json");
  await blobs.putJson(ref, doc);
  return {
    emit: [{
      type: "Labels Detected",
      detail: {
        labels: ref, labelCount: doc.labels.length, framesAnalyzed: doc.framesAnalyzed, engine: doc.engine,
        topLabels: doc.labels.slice(0, 10).map((l) => ({ name: l.name, confidence: l.confidence })),
        ...(doc.analysis ? { analysis: doc.analysis } : {}),
      },
    }],
    facts: { ref, engine: doc.engine, ...(doc.analysis ? { analysis: doc.analysis } : {}) },
  };
}

/** Moderation from per-frame scores: segments, the decision under the thresholds, the evidence. */
export async function moderationResult(
  blobs: BlobStore,
  thresholds: ModerationThresholds,
  input: { mediaId: string; source: ObjectRef; frames: FrameModeration[]; engine: EngineInfo; analysis?: AnalysisInput },
): Promise<WorkResult> {
  const frameMs = frameSpacingMs(input.frames.map((f) => f.timestampMs));
  const segments = segmentModeration(input.frames, thresholds, { frameMs, maxGapMs: frameMs * 2.5 });
  const decision = decideModeration(segments);
  const doc = checked(ModerationDocument, {
    decision, thresholds, framesAnalyzed: input.frames.length, segments, engine: input.engine,
    ...(input.analysis ? { analysis: input.analysis } : {}),
  }, "Moderation");
  const ref = derivedRef(input.source, input.mediaId, "moderation.json");
  await blobs.putJson(ref, doc);
  const top = [...segments].sort((a, b) => b.confidence - a.confidence).slice(0, 10);
  return {
    emit: [{
      type: "Moderation Completed",
      detail: {
        moderation: ref, decision, segmentCount: segments.length, thresholds, engine: doc.engine,
        topCategories: top.map((s) => ({ name: s.name, parent: s.parent, confidence: s.confidence })),
        // The evidence behind the decision, in the event itself (the document has every segment).
        segments: segments.slice(0, 100).map((s, index) => ({
          index, name: s.name, parent: s.parent, confidence: s.confidence, startMs: s.startMs, endMs: s.endMs, decision: s.decision,
          ...(s.keyframe ? { keyframe: s.keyframe } : {}),
        })),
        ...(doc.analysis ? { analysis: doc.analysis } : {}),
      },
    }],
    facts: { ref, decision, engine: doc.engine, ...(doc.analysis ? { analysis: doc.analysis } : {}) },
  };
}

/** A transcript document: validated, stored, announced. */
export async function transcriptResult(
  blobs: BlobStore,
  input: { mediaId: string; audio: ObjectRef; document: unknown },
): Promise<WorkResult> {
  const doc = checked(TranscriptDocument, input.document, "Transcription");
  const ref = derivedRef(input.audio, input.mediaId, "transcript.json");
  await blobs.putJson(ref, doc);
  return {
    emit: [{
      type: "Transcript Ready",
      detail: {
        transcript: ref, speakerCount: doc.speakers.length, segmentCount: doc.segments.length,
        wordCount: doc.segments.reduce((n, s) => n + (s.words?.length ?? 0), 0),
        hasWords: doc.hasWords, language: doc.language, engine: doc.engine,
      },
    }],
    facts: { ref, engine: doc.engine },
  };
}
