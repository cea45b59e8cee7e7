import { type ShotDetector } from "@media-pipeline/core";
import type { FrameSource } from "./types.js";
export interface FfmpegShotDetectorOptions {
    /** The shared decode pass; labels and moderation read the same frames. */
    frames: FrameSource;
}
/**
 * Shots from the shared frame pass: shot i runs from cut i to cut i+1 (or the end), its keyframe is
 * the frame written at the cut. The scene threshold and sampling interval are the frame source's and
 * travel in the document's engine settings.
 * @example const doc = await createFfmpegShotDetector({ frames }).detect({ mediaId, source, durationMs })
 */
export declare function createFfmpegShotDetector(options: FfmpegShotDetectorOptions): ShotDetector;
//# sourceMappingURL=shots.d.ts.map