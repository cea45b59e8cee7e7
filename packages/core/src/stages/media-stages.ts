import { MediaRejectedError } from "../errors.js";
import { checkServiceLimits, rekognitionReadiness } from "../policy/rekognition-input.js";
import type { AudioExtractor, BlobStore, MediaLimits, MediaProber, ShotDetector } from "../ports.js";
import { planStages } from "./plan.js";
import { derivedRef, expectEvent, type StageHandler } from "./common.js";
import { runOnce, type StageDeps } from "./run-once.js";
import { shotsResult, visionTrigger } from "./video-stages.js";

/**
 * probe: `Media Received` → `Media Probed` (with the plan of stages) or `Media Rejected`.
 * @example const probe = createProbe({ state, publish, blobs, prober, limits: { maxBytes: 10e9, maxDurationMs: 6 * 3600_000 } })
 */
export function createProbe(deps: StageDeps & { prober: MediaProber; blobs: BlobStore; limits: MediaLimits }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "probe", "Media Received");
    const { mediaId, correlationId, source, filename } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "probe", trigger: "Media Received", ctx,
      work: async () => {
        try {
          const probed = await deps.prober.probe(source, deps.limits);
          const video = probed.kind === "video" ? rekognitionReadiness(probed) : undefined;
          const probe = { ...probed, ...(video ? { video } : {}) };
          checkServiceLimits(probe, video, deps.limits, filename || (source.key.split("/").pop() ?? source.key));
          const plan = planStages(probe);
          const ref = derivedRef(source, mediaId, "probe.json");
          await deps.blobs.putJson(ref, probe);
          return {
            emit: [{
              type: "Media Probed",
              detail: {
                source, kind: probe.kind, durationMs: probe.durationMs, sizeBytes: probe.sizeBytes,
                container: probe.container, hasVideo: probe.hasVideo, hasAudio: probe.hasAudio,
                streams: probe.streams.slice(0, 64), plan, engine: probe.engine, ...(video ? { video } : {}),
              },
            }],
            facts: { ref, plan, kind: probe.kind, durationMs: probe.durationMs, filename, source, engine: probe.engine, ...(video ? { video } : {}) },
          };
        } catch (error) {
          if (!(error instanceof MediaRejectedError)) throw error;
          // Rejection is this stage's answer, not its failure: the flow ends here by design.
          return {
            emit: [{ type: "Media Rejected", detail: { source, reason: error.reason, message: error.message, filename } }],
            facts: { rejected: error.reason, filename, source },
          };
        }
      },
    });
  };
}

/**
 * extract-audio: `Media Probed` (with audio) → `Audio Extracted`.
 * @example const extract = createExtractAudio({ state, publish, extractor })
 */
export function createExtractAudio(deps: StageDeps & { extractor: AudioExtractor }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "extract-audio", "Media Probed");
    const { mediaId, correlationId, source } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "extract-audio", trigger: "Media Probed", ctx,
      // The signal stops ffmpeg at the stage's deadline (in Lambda, before the function's own timeout).
      work: async (signal) => {
        const audio = await deps.extractor.extract(source, derivedRef(source, mediaId, "audio.wav"), ctx.progress, { signal });
        return {
          emit: [{ type: "Audio Extracted", detail: audio }],
          facts: { ref: audio.audio, engine: audio.engine },
        };
      },
    });
  };
}

/**
 * detect-shots: a video ready for the vision stages (`Media Probed`, or `Video Prepared`) → `Shots
 * Detected`, the shots document stored by reference.
 * @example const shots = createDetectShots({ state, publish, blobs, detector })
 */
export function createDetectShots(deps: StageDeps & { detector: ShotDetector; blobs: BlobStore }): StageHandler {
  return async (raw, ctx) => {
    const { mediaId, correlationId, source, durationMs, trigger, analysis } = visionTrigger(raw, "detect-shots");
    await runOnce(deps, {
      mediaId, correlationId, stage: "detect-shots", trigger, ctx,
      work: async () => {
        const document = await deps.detector.detect({ mediaId, source, durationMs, analysis }, ctx.progress);
        return shotsResult(deps.blobs, { mediaId, source, document, analysis });
      },
    });
  };
}
