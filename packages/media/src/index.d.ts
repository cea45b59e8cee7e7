export type { DecodedFrame, FfmpegBinaries, FrameSet, FrameSource, PathOf, StreamedFrame } from "./types.js";
export { fluentCommand, resolveFfmpegBinaries, type ResolveBinariesOptions, type SpawnFn } from "./binaries.js";
export { createFfprobeProber, type FfprobeProberOptions, type RemoteInput, type ByteSource } from "./probe.js";
export { createFfmpegAudioExtractor, type FfmpegAudioExtractorOptions } from "./audio.js";
export { createFfmpegFrameSource, type FfmpegFrameSourceOptions } from "./frames.js";
export { createFfmpegShotDetector, type FfmpegShotDetectorOptions } from "./shots.js";
export { makeRendition, RENDITION_TRANSCODE, type RenditionOptions, type RenditionRequest } from "./rendition.js";
export { chooseKeyframeStrategy, extractKeyframes, INDEX_BYTES_PER_HOUR, SEEK_COST_MS, type ExtractedKeyframe, type KeyframeOptions, type KeyframeShot, } from "./keyframes.js";
export { createPassThroughPreparer } from "./prepare.js";
//# sourceMappingURL=index.d.ts.map