import type { BlobStore, LabelDetector, ModerationDetector, Transcriber } from "../ports.js";
import type { ModerationThresholds } from "../results/documents.js";
import { expectEvent, type StageHandler } from "./common.js";
import { labelsResult, moderationResult, transcriptResult } from "./results.js";
import { runOnce, type StageDeps } from "./run-once.js";
import { visionTrigger } from "./video-stages.js";

/**
 * detect-labels: a video ready for the vision stages (`Media Probed` or `Video Prepared`) → `Labels
 * Detected`, with an engine that answers in-process. The result says what was analysed: the trigger's
 * video, unless the engine says otherwise (frames mode samples frames).
 * @example const labels = createDetectLabels({ state, publish, blobs, detector })
 */
export function createDetectLabels(deps: StageDeps & { detector: LabelDetector; blobs: BlobStore }): StageHandler {
  return async (raw, ctx) => {
    const { mediaId, correlationId, source, durationMs, trigger, analysis } = visionTrigger(raw, "detect-labels");
    await runOnce(deps, {
      mediaId, correlationId, stage: "detect-labels", trigger, ctx,
      work: async () => labelsResult(deps.blobs, { mediaId, source, analysis, ...(await deps.detector.detect({ mediaId, source, durationMs, analysis }, ctx.progress)) }),
    });
  };
}

/**
 * moderate: a video ready for the vision stages → `Moderation Completed` with the decision and its evidence.
 * @example const moderate = createModerate({ state, publish, blobs, detector, thresholds: { reviewMin: 50, flagMin: 80 } })
 */
export function createModerate(
  deps: StageDeps & { detector: ModerationDetector; blobs: BlobStore; thresholds: ModerationThresholds },
): StageHandler {
  return async (raw, ctx) => {
    const { mediaId, correlationId, source, durationMs, trigger, analysis } = visionTrigger(raw, "moderate");
    await runOnce(deps, {
      mediaId, correlationId, stage: "moderate", trigger, ctx,
      work: async () => moderationResult(deps.blobs, deps.thresholds, { mediaId, source, analysis, ...(await deps.detector.detect({ mediaId, source, durationMs, analysis }, ctx.progress)) }),
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
        const document = await deps.transcriber.transcribe(
          { mediaId, audio, durationMs, maxSpeakers: deps.maxSpeakers, language: deps.language },
          ctx.progress,
        );
        return transcriptResult(deps.blobs, { mediaId, audio, document });
      },
    });
  };
}
