export type { DecodedFrame, FfmpegBinaries, FrameSet, FrameSource, PathOf, StreamedFrame } from "./types.js";
export { fluentCommand, resolveFfmpegBinaries, type ResolveBinariesOptions, type SpawnFn } from "./binaries.js";
export { createFfprobeProber, type FfprobeProberOptions } from "./probe.js";
export { createFfmpegAudioExtractor, type FfmpegAudioExtractorOptions } from "./audio.js";
export { createFfmpegFrameSource, type FfmpegFrameSourceOptions } from "./frames.js";
export { createFfmpegShotDetector, type FfmpegShotDetectorOptions } from "./shots.js";
