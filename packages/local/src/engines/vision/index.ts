export { initTfjs, fileModelHandler, type TfjsRuntime } from "./tfjs.js";
export { COCO_TAXONOMY, cocoLabel } from "./coco-taxonomy.js";
export {
  createHumanLabelDetector,
  loadHumanModels,
  humanModelLoadCount,
  FACE_MIN_CONFIDENCE,
  HUMAN_INPUT_SIDE,
  LABELS_CONSUMER,
  type HumanLabelDetectorOptions,
} from "./human-labels.js";
export {
  createNsfwModerationDetector,
  loadNsfwModel,
  nsfwModelLoadCount,
  toModerationLabels,
  MODERATION_TAXONOMY,
  NSFW_CLASSES,
  MIN_REPORTED_CONFIDENCE,
  MODERATION_CONSUMER,
  type NsfwClass,
  type NsfwModelName,
  type NsfwModerationDetectorOptions,
} from "./nsfw-moderation.js";
export type { VisionTimings } from "./frames.js";
export { stopVisionWorkers, visionPool, VISION_THREADS, type LoadedModel, type RuntimeInfo, type WorkerStats } from "./worker-pool.js";
