import { type EngineInfo, type ProgressFn } from "@media-pipeline/core";
import { type SpawnFn } from "./binaries.js";
import type { FfmpegBinaries } from "./types.js";
/**
 * The transcode: libx264 ultrafast (2–3 times less CPU than veryfast, measured in
 * policy/rekognition-input.ts; nobody watches the rendition), quality-bound with a bitrate ceiling so
 * the file stays small (5 Mb/s is 2.25 GB an hour at most), at most 720 pixels on the short side
 * (Rekognition needs no more, and decoding the source dominates above it).
 */
export declare const RENDITION_TRANSCODE: {
    readonly codec: "libx264";
    readonly preset: "ultrafast";
    readonly crf: 23;
    readonly maxShortSide: 720;
    readonly maxrate: "5M";
    readonly bufsize: "10M";
};
export interface RenditionRequest {
    /** What ffmpeg reads: an http(s) URL (a presigned GET) or a `file:` path. */
    input: string;
    /** The MP4 to write (a local path); written under a temporary name and renamed. */
    output: string;
    mode: "remux" | "transcode";
    /** The video stream to take (ffprobe's index); the first video stream when absent. */
    streamIndex?: number;
    /** For progress: the media's length. */
    durationMs?: number;
    /** For messages. */
    name: string;
}
export interface RenditionOptions {
    binaries?: FfmpegBinaries;
    spawn?: SpawnFn;
    signal?: AbortSignal;
    onProgress?: ProgressFn;
}
/**
 * Writes the rendition and says how it was made.
 * @example await makeRendition({ input: url, output: "/tmp/r.mp4", mode: "transcode", name: "clip.webm" }, { signal })
 */
export declare function makeRendition(request: RenditionRequest, options?: RenditionOptions): Promise<{
    bytes: number;
    engine: EngineInfo;
    offsetMs: number;
}>;
//# sourceMappingURL=rendition.d.ts.map