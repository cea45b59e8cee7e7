export { fluentCommand, resolveFfmpegBinaries } from "./binaries.js";
export { createFfprobeProber } from "./probe.js";
export { createFfmpegAudioExtractor } from "./audio.js";
export { createFfmpegFrameSource } from "./frames.js";
export { createFfmpegShotDetector } from "./shots.js";
export { makeRendition, RENDITION_TRANSCODE } from "./rendition.js";
export { chooseKeyframeStrategy, extractKeyframes, INDEX_BYTES_PER_HOUR, SEEK_COST_MS, } from "./keyframes.js";
export { createPassThroughPreparer } from "./prepare.js";
//# sourceMappingURL=index.js.map