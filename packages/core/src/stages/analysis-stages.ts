import { NonRetryableError } from "../errors.js";
import { aggregateLabels } from "../policy/labels.js";
import { decideModeration, segmentModeration } from "../policy/moderation.js";
import type { BlobStore, LabelDetector, ModerationDetector, Transcriber } from "../ports.js";
import { LabelsDocument, ModerationDocument, TranscriptDocument, type ModerationThresholds } from "../results/documents.js";
import { derivedRef, expectEvent, type StageHandler } from "./common.js";
import { frameSpacingMs } from "./frame-spacing.js";
import { runOnce, type StageDeps } from "./run-once.js";

/** An engine's output that does not match its contract is not worth retrying. */
function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new NonRetryableError(`${what} engine returned an invalid result: ${r.error.message.slice(0, 500)}`, { cause: r.error });
  return r.data;
}

/**
 * detect-labels: `Media Probed` (video) → `Labels Detected`.
 * @example const labels = createDetectLabels({ state, publish, blobs, detector })
 */
export function createDetectLabels(deps: StageDeps & { detector: LabelDetector; blobs: BlobStore }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "detect-labels", "Media Probed");
    const { mediaId, correlationId, source, durationMs } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "detect-labels", trigger: "Media Probed", ctx,
      work: async () => {
        const out = await deps.detector.detect({ mediaId, source, durationMs }, ctx.progress);
        const frameMs = frameSpacingMs(out.frames.map((f) => f.timestampMs));
        const doc = checked(LabelsDocument, {
          framesAnalyzed: out.frames.length,
          labels: aggregateLabels(out.frames, { frameMs, maxGapMs: frameMs * 2.5 }),
          ...(out.faces ? { faces: out.faces } : {}),
          engine: out.engine,
        }, "Labels");
        const ref = derivedRef(source, mediaId, "labels.json");
        await deps.blobs.putJson(ref, doc);
        return {
          emit: [{
            type: "Labels Detected",
            detail: {
              labels: ref, labelCount: doc.labels.length, framesAnalyzed: doc.framesAnalyzed, engine: doc.engine,
              topLabels: doc.labels.slice(0, 10).map((l) => ({ name: l.name, confidence: l.confidence })),
            },
          }],
          facts: { ref, engine: doc.engine },
        };
      },
    });
  };
}

/**
 * moderate: `Media Probed` (video) → `Moderation Completed` with the decision and its evidence.
 * @example const moderate = createModerate({ state, publish, blobs, detector, thresholds: { reviewMin: 50, flagMin: 80 } })
 */
export function createModerate(
  deps: StageDeps & { detector: ModerationDetector; blobs: BlobStore; thresholds: ModerationThresholds },
): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "moderate", "Media Probed");
    const { mediaId, correlationId, source, durationMs } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "moderate", trigger: "Media Probed", ctx,
      work: async () => {
        const out = await deps.detector.detect({ mediaId, source, durationMs }, ctx.progress);
        const frameMs = frameSpacingMs(out.frames.map((f) => f.timestampMs));
        const segments = segmentModeration(out.frames, deps.thresholds, { frameMs, maxGapMs: frameMs * 2.5 });
        const decision = decideModeration(segments);
        const doc = checked(ModerationDocument, {
          decision, thresholds: deps.thresholds, framesAnalyzed: out.frames.length, segments, engine: out.engine,
        }, "Moderation");
        const ref = derivedRef(source, mediaId, "moderation.json");
        await deps.blobs.putJson(ref, doc);
        const top = [...segments].sort((a, b) => b.confidence - a.confidence).slice(0, 10);
        return {
          emit: [{
            type: "Moderation Completed",
            detail: {
              moderation: ref, decision, segmentCount: segments.length, thresholds: deps.thresholds, engine: doc.engine,
              topCategories: top.map((s) => ({ name: s.name, parent: s.parent, confidence: s.confidence })),
            },
          }],
          facts: { ref, decision, engine: doc.engine },
        };
      },
    });
  };
}

/**
 * transcribe: `Audio Extracted` → `Transcript Ready` (speech, speakers and words where available).
 * @example const transcribe = createTranscribe({ state, publish, blobs, transcriber, maxSpeakers: 4, language: "en-US" })
 */
export function createTranscribe(
  deps: StageDeps & { transcriber: Transcriber; blobs: BlobStore; maxSpeakers: number; language: string },
): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "transcribe", "Audio Extracted");
    const { mediaId, correlationId, audio, durationMs } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "transcribe", trigger: "Audio Extracted", ctx,
      work: async () => {
        const raw = await deps.transcriber.transcribe(
          { mediaId, audio, durationMs, maxSpeakers: deps.maxSpeakers, language: deps.language },
          ctx.progress,
        );
        const doc = checked(TranscriptDocument, raw, "Transcription");
        const ref = derivedRef(audio, mediaId, "transcript.json");
        await deps.blobs.putJson(ref, doc);
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
      },
    });
  };
}
