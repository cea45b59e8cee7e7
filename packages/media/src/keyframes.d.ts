import { type EngineInfo } from "@media-pipeline/core";
import { type SpawnFn } from "./binaries.js";
import type { FfmpegBinaries } from "./types.js";
export interface KeyframeShot {
    index: number;
    startMs: number;
    endMs: number;
}
export interface ExtractedKeyframe {
    index: number;
    /** When the frame is, in media time (the shot's start for `seek`). */
    timestampMs: number;
    /** The JPEG on disk. */
    file: string;
}
export interface KeyframeOptions {
    /** What ffmpeg reads: an http(s) URL (a presigned GET) or a `file:` path. */
    input: string;
    /** Where the JPEGs go (`shot-000000.jpg`…). */
    outDir: string;
    strategy: "seek" | "pass";
    /** ffmpeg processes at once for `seek`: they mostly wait on the network. */
    concurrency?: number;
    /** Frames are scaled down to at most this width (the local detector's 640). */
    maxWidth?: number;
    binaries?: FfmpegBinaries;
    spawn?: SpawnFn;
    signal?: AbortSignal;
}
/** Seeks per shot cost about this much wall time in Lambda (a process, the index read, a GOP decoded). */
export declare const SEEK_COST_MS = 1000;
/** The container index an MP4 holds per hour of media, which every seek reads again (3 MB measured on 30 fps with audio). */
export declare const INDEX_BYTES_PER_HOUR: number;
/**
 * Seek when that reads less than one pass over the file and fits half the time there is; else pass.
 * @example chooseKeyframeStrategy({ shots: 40, durationMs: 3_600_000, sizeBytes: 2e9, budgetMs: 600_000, concurrency: 4 }) // "seek"
 */
export declare function chooseKeyframeStrategy(input: {
    shots: number;
    durationMs: number;
    sizeBytes: number;
    budgetMs: number;
    concurrency: number;
}): "seek" | "pass";
/**
 * Writes a keyframe for every shot.
 * @example await extractKeyframes(shots, { input: url, outDir: "/tmp/k", strategy: "seek" })
 */
export declare function extractKeyframes(shots: readonly KeyframeShot[], options: KeyframeOptions): Promise<{
    frames: ExtractedKeyframe[];
    engine: EngineInfo;
}>;
//# sourceMappingURL=keyframes.d.ts.map