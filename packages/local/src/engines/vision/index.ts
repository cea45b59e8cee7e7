export { initTfjs, fileModelHandler, type TfjsRuntime } from "./tfjs.js";
export { COCO_TAXONOMY, cocoLabel } from "./coco-taxonomy.js";
export {
  createHumanLabelDetector,
  loadHumanModels,
  humanModelLoadCount,
  FACE_MIN_CONFIDENCE,
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
  type NsfwClass,
  type NsfwModelName,
  type NsfwModerationDetectorOptions,
} from "./nsfw-moderation.js";
export type { VisionTimings } from "./frames.js";
