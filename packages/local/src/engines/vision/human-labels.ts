import type { EngineCallOptions, EngineInfo, FrameDetections, LabelDetector, ProgressFn, VisionInput } from "@media-pipeline/core";
import type { FrameSource, PathOf } from "@media-pipeline/media";
import { analyzeFrames } from "./analyze.js";
import { runtimeSettings } from "./engine-settings.js";
import { FACE_GATE_CLASS, FACE_GATE_SCORE, FACE_MIN_CONFIDENCE, HUMAN_INPUT_SIDE, OBJECT_FLOOR } from "./label-settings.js";
import { visionPool } from "./worker-pool.js";

/** The name labels go by as a consumer of the frame source's stream. */
export const LABELS_CONSUMER = "labels";

export interface HumanLabelDetectorOptions {
  frames: FrameSource;
  pathOf: PathOf;
  /** Lowest confidence (0–100) a detection needs to be reported. Default 40; at least 10. */
  minConfidence?: number;
  /** Frames per request to a vision thread when reading the pass's JPEGs. Default 8. */
  batchSize?: number;
}

/**
 * Labels from the local COCO-80 detector in human (MB3-CenterNet), with face counts from the same
 * library, over the frames the shared frame source decoded. The models run in the vision worker threads
 * (worker-pool.ts, worker/human-models.ts) on frames as the pass streams them (analyze.ts).
 * @example const labels = createHumanLabelDetector({ frames, pathOf }); await labels.detect({ mediaId, source, durationMs })
 */
export function createHumanLabelDetector(options: HumanLabelDetectorOptions): LabelDetector {
  const minConfidence = options.minConfidence ?? 40;
  const batchSize = options.batchSize ?? 8;
  if (!(minConfidence >= OBJECT_FLOOR * 100 && minConfidence <= 100)) {
    throw new RangeError(`minConfidence must be within ${OBJECT_FLOOR * 100}–100, got ${minConfidence}`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);

  return {
    async detect(input: VisionInput, onProgress?: ProgressFn, call: EngineCallOptions = {}) {
      const pool = visionPool();
      // The model loads in its thread while the pass decodes the first frames.
      const loading = pool.call("human.load", {});
      loading.catch(() => undefined);
      const { set, results, computeMs } = await analyzeFrames({
        frames: options.frames,
        pathOf: options.pathOf,
        input,
        consumer: LABELS_CONSUMER,
        batchSize,
        run: (files) => pool.call("human.detect", { frames: files, minConfidence }),
        ...(onProgress ? { onProgress } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      const m = await loading;
      const frames: FrameDetections[] = set.frames.map((f, i) => ({ timestampMs: Math.round(f.timestampMs), detections: results[i].detections }));
      const faces = set.frames.map((f, i) => ({ timestampMs: Math.round(f.timestampMs), count: results[i].faces }));
      const engine: EngineInfo = {
        name: "@vladmandic/human",
        version: m.version,
        settings: {
          model: "centernet (MB3-CenterNet, COCO 80 classes)",
          faceModel: "blazeface + facemesh",
          minConfidence,
          faceMinConfidence: FACE_MIN_CONFIDENCE * 100,
          objectInput: `frame aspect ratio, longer side ${HUMAN_INPUT_SIDE}`,
          faceInput: "letterboxed square",
          faceGate: `${FACE_GATE_CLASS} found at ${FACE_GATE_SCORE * 100} % or more`,
          batchSize,
          ...runtimeSettings(m, computeMs, set.frames.length),
        },
        note:
          "Local COCO-80 object detector: it knows 80 everyday object classes (people, vehicles, animals, " +
          "household items), while Amazon Rekognition recognises thousands of labels including scenes, " +
          "activities and concepts. Expect fewer, coarser labels and lower confidences.",
      };
      return { frames, faces, engine };
    },
  };
}
