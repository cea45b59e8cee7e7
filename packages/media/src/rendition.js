import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DiskFullError, MediaPipelineError, NonRetryableError } from "@media-pipeline/core";
import { binariesFrom, fileInput, runProcess } from "./binaries.js";
/*
 * A copy of a video that Rekognition Video reads: H.264 in MP4, video only (Rekognition reads no
 * sound). A remux when the video is H.264 already (the packets are copied: bound by reading and
 * writing the file), else a transcode. Either way every frame keeps its timestamp (no frame is added
 * or dropped, the start is at 0 as in every other stage), so the times Rekognition reports on the
 * rendition are the upload's.
 */
/**
 * The transcode: libx264 ultrafast (2–3 times less CPU than veryfast, measured in
 * policy/rekognition-input.ts; nobody watches the rendition), quality-bound with a bitrate ceiling so
 * the file stays small (5 Mb/s is 2.25 GB an hour at most), at most 720 pixels on the short side
 * (Rekognition needs no more, and decoding the source dominates above it).
 */
export const RENDITION_TRANSCODE = { codec: "libx264", preset: "ultrafast", crf: 23, maxShortSide: 720, maxrate: "5M", bufsize: "10M" };
/**
 * Writes the rendition and says how it was made.
 * @example await makeRendition({ input: url, output: "/tmp/r.mp4", mode: "transcode", name: "clip.webm" }, { signal })
 */
export async function makeRendition(request, options = {}) {
    const binaries = await binariesFrom(options.binaries)();
    const offsetMs = await videoOffsetMs(binaries, request, options);
    await mkdir(dirname(request.output), { recursive: true });
    const temp = join(dirname(request.output), `.${basename(request.output)}.${process.pid}-${randomBytes(4).toString("hex")}.partial.mp4`);
    const t = RENDITION_TRANSCODE;
    const map = request.streamIndex === undefined ? "0:v:0" : `0:${request.streamIndex}`;
    const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1", "-i", request.input];
    args.push("-map", map, "-an", "-sn", "-dn", "-map_metadata", "-1");
    if (request.mode === "remux") {
        args.push("-c:v", "copy");
    }
    else {
        const scale = `scale='if(gte(iw,ih),-2,min(${t.maxShortSide},iw))':'if(gte(iw,ih),min(${t.maxShortSide},ih),-2)'`;
        args.push("-vf", scale, "-c:v", t.codec, "-preset", t.preset, "-crf", String(t.crf), "-maxrate", t.maxrate, "-bufsize", t.bufsize, "-pix_fmt", "yuv420p", 
        // Each frame keeps its timestamp: no frame added or dropped, so times on the rendition are the upload's.
        "-vsync", "passthrough");
    }
    args.push("-f", "mp4", fileInput(temp));
    try {
        const run = await runProcess(binaries.ffmpegPath, args, {
            spawn: options.spawn, keepStdout: false, signal: options.signal,
            onStdoutLine: (line) => {
                const match = /^out_time_us=(\d+)/.exec(line);
                if (match && options.onProgress && request.durationMs)
                    options.onProgress(Math.min(0.99, Number(match[1]) / 1000 / request.durationMs), request.mode);
            },
        });
        if (run.code !== 0)
            throw failure(request, run.stderr);
        const { size } = await stat(temp);
        await rename(temp, request.output);
        options.onProgress?.(1);
        const settings = request.mode === "remux"
            ? { origin: binaries.origin, mode: "remux", codec: "copy" }
            : { origin: binaries.origin, mode: "transcode", ...t };
        return { bytes: size, engine: { name: "ffmpeg", version: binaries.version, settings }, offsetMs };
    }
    catch (error) {
        await rm(temp, { force: true });
        throw error;
    }
}
/**
 * Where the video starts on the upload's clock, which ffmpeg (and every stage) measures from the
 * earliest stream: a WebM's Opus starts 7 ms before its video, an MPEG-TS's audio may lead by more.
 * The video-only rendition starts at its first frame, so what is read from it is shifted by this.
 */
async function videoOffsetMs(binaries, request, options) {
    const run = await runProcess(binaries.ffprobePath, ["-v", "error", "-show_entries", "stream=index,codec_type,start_time:format=start_time", "-of", "json", request.input], { timeoutMs: 60_000, spawn: options.spawn, signal: options.signal });
    if (run.code !== 0)
        throw failure(request, run.stderr);
    const json = JSON.parse(run.stdout || "{}");
    const video = json.streams?.find((s) => (request.streamIndex === undefined ? s.codec_type === "video" : s.index === request.streamIndex));
    const offset = Number(video?.start_time) - Number(json.format?.start_time);
    return Number.isFinite(offset) && offset > 0 ? Math.round(offset * 1000) : 0;
}
function failure(request, stderr) {
    const detail = stderr.trim().split("\n").slice(-3).join(" ");
    const cause = new Error(detail);
    if (/No space left on device|Disk quota exceeded/i.test(detail)) {
        return new DiskFullError(`disk full: ffmpeg could not write the rendition of ${request.name} (no space left on device)`, { cause });
    }
    // Storage refused or dropped the stream (an expired or throttled presigned URL): not the media's fault.
    if (/HTTP error|Server returned|Connection (refused|reset|timed out)|Network is unreachable/i.test(detail)) {
        return new MediaPipelineError(`ffmpeg could not read ${request.name} from storage: ${detail}`, { cause, retryable: true });
    }
    return new NonRetryableError(`ffmpeg could not ${request.mode} ${request.name} into an H.264 MP4: ${detail || "no message"}`, { cause });
}
//# sourceMappingURL=rendition.js.map