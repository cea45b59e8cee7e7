// Main thread: the detectors, the worker pool they post to, and what they report.
export { createHumanLabelDetector, LABELS_CONSUMER, type HumanLabelDetectorOptions } from "./human-labels.js";
export { createNsfwModerationDetector, MODERATION_CONSUMER, type NsfwModerationDetectorOptions } from "./nsfw-moderation.js";
export { stopVisionWorkers, visionPool, VISION_THREADS } from "./worker-pool.js";
export type { VisionTimings } from "./engine-settings.js";
// Shared by both sides: the worker protocol's types, the models' settings and taxonomies.
export type { LoadedModel, NsfwModelName, RuntimeInfo, WorkerStats } from "./protocol.js";
export { FACE_MIN_CONFIDENCE, HUMAN_INPUT_SIDE } from "./label-settings.js";
export { LOCAL_MODERATION_MODEL, LOCAL_MODERATION_THRESHOLDS } from "./moderation-defaults.js";
export { COCO_TAXONOMY, cocoLabel } from "./coco-taxonomy.js";
export {
  toModerationLabels,
  MODERATION_TAXONOMY,
  NSFW_CLASSES,
  MIN_REPORTED_CONFIDENCE,
  type NsfwClass,
} from "./moderation-taxonomy.js";
// Worker side, for tests and tools that run a model in their own thread.
export { initTfjs, fileModelHandler, type TfjsRuntime } from "./worker/tfjs.js";
export { loadHumanModels, humanModelLoadCount } from "./worker/human-models.js";
export { loadNsfwModel, nsfwModelLoadCount } from "./worker/nsfw-model.js";
