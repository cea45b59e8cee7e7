import { type SpawnFn } from "./binaries.js";
import type { FfmpegBinaries, FrameSource, PathOf } from "./types.js";
export interface FfmpegFrameSourceOptions {
    pathOf: PathOf;
    /** Bucket the frames are written to. */
    bucket: string;
    /** Frames go under `${prefix}/${mediaId}/`. */
    prefix?: string;
    /** Scene-change score (0–1) above which a frame opens a new shot. */
    sceneThreshold?: number;
    /** Inside a shot, one more frame every this many milliseconds. */
    sampleEveryMs?: number;
    /** Frames are scaled down to at most this width (never up). */
    maxWidth?: number;
    /**
     * Also writes every frame as raw RGB (a PPM file) fitted into `maxSide`×`maxSide` — the vision
     * models' input, scaled by ffmpeg in the same pass — and streams those to the named consumers while
     * the pass runs (`FrameSource.stream`). Off by default: only in-process engines benefit.
     */
    stream?: {
        maxSide: number;
        consumers: readonly string[];
    };
    /**
     * Threads ffmpeg may use for decoding and filtering (default: its own choice, about one per core).
     * When other engines share the CPU, fewer is cheaper: on 2 cores one decoder thread decodes 10 min of
     * 720p H.264 with 9 % less CPU than ffmpeg's default, and the engines keep the other core busy.
     */
    threads?: number;
    binaries?: FfmpegBinaries;
    /** Injectable for tests (counting decode passes). */
    spawn?: SpawnFn;
}
/**
 * One ffmpeg decode pass per video finds the cuts and writes a keyframe per shot plus sampled frames,
 * shared by shot detection, labels and moderation. `select` keeps frame 0, every frame whose scene
 * score is over the threshold, and a frame every `sampleEveryMs` since the last kept one; `metadata`
 * prints each kept frame's `lavfi.scene_score`, which tells cuts from samples (checked on Debian's
 * ffmpeg 5.1 and the npm 4.1 static build). Decoding every frame is the cost (FIELD-NOTES: 26–39 s
 * for 10 min of 720p), so concurrent callers share the pass and a manifest lets a restart reuse it.
 * @example const set = await createFfmpegFrameSource({ pathOf, bucket: "media" }).frames(mediaId, source)
 */
export declare function createFfmpegFrameSource(options: FfmpegFrameSourceOptions): FrameSource;
/** Parses `metadata=mode=print` output: a `frame:N pts:P pts_time:T` line, then `key=value` lines. */
export declare function parseMetadata(text: string): Array<{
    ptsTime: number;
    score: number;
}>;
/** Width and height from a JPEG's start-of-frame marker. */
export declare function jpegSize(data: Buffer): {
    width: number;
    height: number;
};
//# sourceMappingURL=frames.d.ts.map