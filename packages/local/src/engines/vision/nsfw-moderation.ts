import type { EngineCallOptions, EngineInfo, FrameModeration, ModerationDetector, ProgressFn, VisionInput } from "@media-pipeline/core";
import type { FrameSource, PathOf } from "@media-pipeline/media";
import { analyzeFrames } from "./analyze.js";
import { runtimeSettings } from "./engine-settings.js";
import { LOCAL_MODERATION_MODEL } from "./moderation-defaults.js";
import { MIN_REPORTED_CONFIDENCE, MODERATION_TAXONOMY, NSFW_CLASSES, toModerationLabels } from "./moderation-taxonomy.js";
import { NSFW_MODELS, type NsfwModelName } from "./protocol.js";
import { visionPool } from "./worker-pool.js";

/** The name moderation goes by as a consumer of the frame source's stream. */
export const MODERATION_CONSUMER = "moderation";

export interface NsfwModerationDetectorOptions {
  frames: FrameSource;
  pathOf: PathOf;
  /** nsfwjs model; the local runtime's default is chosen by measurement (moderation-defaults.ts). */
  model?: NsfwModelName;
  /** Frames per inference batch when reading the pass's JPEGs (streamed frames go one by one). Default 8. */
  batchSize?: number;
}

/**
 * Moderation scores from the local nsfwjs classifier over the frames the shared frame source decoded.
 * Thresholds and the decision are core's: this reports every unsafe score of at least 0.01.
 * @example const moderation = createNsfwModerationDetector({ frames, pathOf }); await moderation.detect(input)
 */
export function createNsfwModerationDetector(options: NsfwModerationDetectorOptions): ModerationDetector {
  const model = options.model ?? LOCAL_MODERATION_MODEL;
  const batchSize = options.batchSize ?? 8;
  if (!(NSFW_MODELS as readonly string[]).includes(model)) throw new RangeError(`unknown nsfwjs model ${model}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);

  return {
    async detect(input: VisionInput, onProgress?: ProgressFn, call: EngineCallOptions = {}) {
      const pool = visionPool();
      // The model loads in its thread while the pass decodes the first frames.
      const loading = pool.call("nsfw.load", { model });
      loading.catch(() => undefined);
      const { set, results, computeMs } = await analyzeFrames({
        frames: options.frames,
        pathOf: options.pathOf,
        input,
        consumer: MODERATION_CONSUMER,
        batchSize,
        run: (files) => pool.call("nsfw.classify", { model, frames: files }),
        ...(onProgress ? { onProgress } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      const m = await loading;
      const frames: FrameModeration[] = set.frames.map((f, i) => ({
        timestampMs: Math.round(f.timestampMs),
        frame: f.frame,
        labels: toModerationLabels(results[i]),
      }));
      const engine: EngineInfo = {
        name: "nsfwjs",
        version: m.version,
        settings: {
          model,
          inputSize: m.inputSize,
          classes: [...NSFW_CLASSES],
          taxonomy: MODERATION_TAXONOMY,
          minReportedConfidence: MIN_REPORTED_CONFIDENCE,
          batchNormFolded: m.fused ?? false,
          batchSize,
          ...runtimeSettings(m, computeMs, set.frames.length),
        },
        note:
          "Local 5-class NSFW image classifier (Drawing, Hentai, Neutral, Porn, Sexy), much coarser than " +
          "Amazon Rekognition's moderation taxonomy: it only covers nudity and suggestive content (no " +
          "violence, drugs, alcohol, gestures, gambling or hate symbols) and scores whole frames, not regions.",
      };
      return { frames, engine };
    },
  };
}
