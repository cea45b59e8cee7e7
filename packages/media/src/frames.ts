import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { MediaRejectedError, NonRetryableError, type ObjectRef } from "@media-pipeline/core";
import { binariesFrom, fileInput, runProcess, type SpawnFn } from "./binaries.js";
import { PixelFanout, removeStalePixelDirs } from "./frame-stream.js";
import { findGradualTransitions, GRADUAL_DEFAULTS, type GradualTransition, type TinyFrames } from "./transitions.js";
import type { DecodedFrame, FfmpegBinaries, FrameSet, FrameSource, PathOf, StreamedFrame } from "./types.js";

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
  stream?: { maxSide: number; consumers: readonly string[] };
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

// 2: shots also end at gradual transitions.
const MANIFEST_VERSION = 2;
/** The tiny copy of every frame that gradual transitions are found in (transitions.ts). */
const TINY = { width: 32, height: 18 } as const;
const TINY_BYTES = TINY.width * TINY.height * 3;

/**
 * One ffmpeg decode pass per video finds the cuts and writes a keyframe per shot plus sampled frames,
 * shared by shot detection, labels and moderation. `select` keeps frame 0, every frame whose scene
 * score is over the threshold, and a frame every `sampleEveryMs` since the last kept one; `metadata`
 * prints each kept frame's `lavfi.scene_score`, which tells cuts from samples (checked on Debian's
 * ffmpeg 5.1 and the npm 4.1 static build). The scene score only sees cuts; the same pass also
 * writes every frame at 32×18 RGB, in which fades and dissolves are found afterwards
 * (transitions.ts), each then ending a shot at its middle. Decoding every frame is the cost
 * (FIELD-NOTES: 26–39 s for 10 min of 720p), so concurrent callers share the pass and a manifest lets
 * a restart reuse it.
 * @example const set = await createFfmpegFrameSource({ pathOf, bucket: "media" }).frames(mediaId, source)
 */
export function createFfmpegFrameSource(options: FfmpegFrameSourceOptions): FrameSource {
  const settings = validate(options);
  const streaming = validateStream(options.stream);
  const threads = options.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new TypeError("createFfmpegFrameSource: threads must be a positive integer");
  const getBinaries = binariesFrom(options.binaries);
  interface Pass {
    promise: Promise<FrameSet>;
    listeners: Set<(f: number) => void>;
    /** Settles once the pass has started ffmpeg (its fanout) or reused a manifest / failed (undefined). */
    fanout: Promise<PixelFanout | undefined>;
  }
  const inflight = new Map<string, Pass>();
  const validId = (mediaId: string) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(mediaId);

  function pass(mediaId: string, source: ObjectRef): Pass {
    let p = inflight.get(mediaId);
    if (!p) {
      const listeners = new Set<(f: number) => void>();
      let started!: (f: PixelFanout | undefined) => void;
      const fanout = new Promise<PixelFanout | undefined>((resolve) => (started = resolve));
      const promise = runPass(mediaId, source, (f) => listeners.forEach((l) => l(f)), started).finally(() => {
        started(undefined);
        inflight.delete(mediaId);
      });
      p = { promise, listeners, fanout };
      inflight.set(mediaId, p);
    }
    return p;
  }

  return {
    frames(mediaId, source, onProgress) {
      if (!validId(mediaId)) return Promise.reject(new NonRetryableError(`invalid mediaId for a frame key: ${mediaId}`));
      const p = pass(mediaId, source);
      if (onProgress) p.listeners.add(onProgress);
      return p.promise;
    },
    async *stream(mediaId, source, consumer): AsyncGenerator<StreamedFrame> {
      if (!streaming || !validId(mediaId)) return;
      const p = pass(mediaId, source);
      // A failed pass just ends the stream: the consumer's own frames() call reports the error.
      p.promise.catch(() => undefined);
      const fanout = await p.fanout;
      if (fanout) yield* fanout.subscribe(consumer);
    },
  };

  async function runPass(
    mediaId: string,
    source: ObjectRef,
    progress: (f: number) => void,
    started: (fanout: PixelFanout | undefined) => void,
  ): Promise<FrameSet> {
    const dirKey = `${settings.prefix}/${mediaId}`;
    const finalDir = options.pathOf({ bucket: options.bucket, key: dirKey });
    const reused = await readManifest(finalDir, mediaId, source);
    if (reused) return reused;

    const binaries = await getBinaries();
    const input = options.pathOf(source);
    const video = await probeVideo(binaries, input, options.spawn);
    const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
    const tempDir = `${finalDir}.tmp-${tag}`;
    await mkdir(tempDir, { recursive: true });
    let fanout: PixelFanout | undefined;
    try {
      const select =
        `select='eq(n\\,0)+gt(scene\\,${settings.sceneThreshold})+gte(t-prev_selected_t\\,${settings.sampleEveryMs / 1000})',` +
        "metadata=mode=print:file=meta.txt";
      const scale = `scale='min(${settings.maxWidth}\\,iw)':-2`;
      // Every decoded frame, tiny, with its time (signalstats only gives metadata print a line per frame).
      const tiny =
        `[tiny]scale=${TINY.width}:${TINY.height}:flags=area,signalstats,` +
        "metadata=mode=print:key=lavfi.signalstats.YAVG:file=tiny.txt,format=rgb24[tiny_out]";
      const tinyOutput = ["-map", "[tiny_out]", "-vsync", "passthrough", "-f", "rawvideo", "tiny.rgb"];
      // cwd is the temp dir so the filter's file name and the image patterns never need escaping.
      const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1"];
      if (threads) args.push("-threads", String(threads), "-filter_complex_threads", String(threads));
      args.push("-i", fileInput(input));
      if (streaming) {
        // Beside the temp dir, not in it: the temp dir is renamed when the pass ends, while the
        // engines may still be reading these. Its name is the mediaId's, so the pattern is safe too.
        await removeStalePixelDirs(finalDir);
        const pixelDir = `${finalDir}.raw-${tag}`;
        await mkdir(pixelDir, { recursive: true });
        fanout = new PixelFanout(pixelDir, streaming.consumers);
        const side = streaming.maxSide;
        args.push(
          "-filter_complex",
          `[0:${video.index}]split=2[all][tiny];[all]${select},split=2[jpeg][rgb];[jpeg]${scale}[jpeg_out];` +
            `[rgb]scale=${side}:${side}:force_original_aspect_ratio=decrease,format=rgb24[rgb_out];${tiny}`,
          "-map", "[jpeg_out]", "-vsync", "vfr", "-q:v", "3", "-f", "image2", "%06d.jpg",
          "-map", "[rgb_out]", "-vsync", "vfr", "-c:v", "ppm", "-atomic_writing", "1", "-f", "image2", `../${basename(pixelDir)}/%06d.ppm`,
          ...tinyOutput,
        );
        fanout.start();
      } else {
        args.push(
          "-filter_complex", `[0:${video.index}]split=2[all][tiny];[all]${select},${scale}[jpeg_out];${tiny}`,
          "-map", "[jpeg_out]", "-vsync", "vfr", "-q:v", "3", "-f", "image2", "%06d.jpg",
          ...tinyOutput,
        );
      }
      started(fanout);
      const run = await runProcess(binaries.ffmpegPath, args, {
        cwd: tempDir,
        spawn: options.spawn,
        keepStdout: false,
        onStdoutLine: (line) => {
          const match = /^out_time_us=(\d+)/.exec(line);
          if (match && video.durationMs > 0) progress(Math.min(0.99, Number(match[1]) / 1000 / video.durationMs));
        },
      });
      const streamed = await fanout?.end();
      if (run.code !== 0) {
        throw new NonRetryableError(`ffmpeg could not decode the video frames: ${run.stderr.trim().split("\n").slice(-3).join(" ")}`);
      }
      const selected = parseMetadata(await readFile(join(tempDir, "meta.txt"), "utf8").catch(() => ""));
      const images = (await readdir(tempDir)).filter((f) => /^\d{6}\.jpg$/.test(f)).sort();
      if (images.length === 0 || images.length !== selected.length || (streamed !== undefined && streamed !== images.length)) {
        throw new NonRetryableError(
          `the frame pass wrote ${images.length} images${streamed !== undefined ? ` and ${streamed} model frames` : ""} for ${selected.length} selected frames`,
        );
      }
      const size = jpegSize(await readFile(join(tempDir, images[0])));
      const hardCuts: FrameSet["cuts"] = [];
      const sampled: DecodedFrame[] = [];
      selected.forEach((entry, i) => {
        // ffmpeg already shifts decoded timestamps by the file's start time (1.4 s in MPEG-TS), so
        // pts_time is media time from 0, the clock every other stage uses.
        const timestampMs = Math.max(0, Math.round(entry.ptsTime * 1000));
        const keyframe = i === 0 || entry.score > settings.sceneThreshold;
        if (keyframe) hardCuts.push({ timestampMs, score: i === 0 ? 1 : Math.min(1, entry.score) });
        sampled.push({
          timestampMs,
          shotIndex: hardCuts.length - 1,
          keyframe,
          frame: { bucket: options.bucket, key: `${dirKey}/${images[i]}` },
          width: size.width,
          height: size.height,
        });
      });
      const gradual = await findTransitions(tempDir, hardCuts.slice(1).map((c) => c.timestampMs));
      const { cuts, frames } = withTransitions(hardCuts, sampled, gradual.transitions);
      const set: FrameSet = {
        durationMs: video.durationMs,
        width: video.width,
        height: video.height,
        cuts,
        frames,
        engine: { name: "ffmpeg", version: binaries.version, settings: { origin: binaries.origin, ...settings, gradualTransitions: gradual.settings } },
      };
      await rm(join(tempDir, "tiny.rgb"), { force: true });
      await rm(join(tempDir, "tiny.txt"), { force: true });
      const manifest = { version: MANIFEST_VERSION, mediaId, source, settings: { ...settings }, frameSet: set };
      await writeFile(join(tempDir, "manifest.json"), JSON.stringify(manifest));
      // The directory appears under its final name with frames and manifest together, or not at all.
      await rm(finalDir, { recursive: true, force: true });
      try {
        await rename(tempDir, finalDir);
      } catch (error) {
        // Another process finished the same pass between our rm and rename: use its frames.
        const theirs = await readManifest(finalDir, mediaId, source);
        if (!theirs) throw error;
        await rm(tempDir, { recursive: true, force: true });
        progress(1);
        return theirs;
      }
      progress(1);
      return set;
    } catch (error) {
      await fanout?.end();
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  async function readManifest(dir: string, mediaId: string, source: ObjectRef): Promise<FrameSet | undefined> {
    try {
      const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
      const same =
        manifest.version === MANIFEST_VERSION &&
        manifest.mediaId === mediaId &&
        manifest.source?.bucket === source.bucket &&
        manifest.source?.key === source.key &&
        JSON.stringify(manifest.settings) === JSON.stringify(settings);
      const set = manifest.frameSet as FrameSet;
      if (!same || !Array.isArray(set?.frames) || set.frames.length === 0) return undefined;
      const last = set.frames[set.frames.length - 1];
      await stat(options.pathOf(last.frame));
      return set;
    } catch {
      return undefined;
    }
  }
}

/**
 * The gradual transitions in the pass's tiny frames. When the frames and their times do not line up
 * (a stream ffmpeg dropped or repeated frames in), the pass keeps its hard cuts and says why.
 */
async function findTransitions(dir: string, hardCutsMs: number[]): Promise<{ transitions: GradualTransition[]; settings: Record<string, unknown> | string }> {
  const times = parseMetadata(await readFile(join(dir, "tiny.txt"), "utf8").catch(() => "")).map((e) => Math.max(0, Math.round(e.ptsTime * 1000)));
  const bytes = (await stat(join(dir, "tiny.rgb")).catch(() => undefined))?.size ?? 0;
  if (times.length === 0 || bytes !== times.length * TINY_BYTES) {
    return { transitions: [], settings: `not looked for: ${bytes / TINY_BYTES} tiny frames for ${times.length} frame times` };
  }
  const frames = openTinyFrames(join(dir, "tiny.rgb"), times);
  try {
    const { windowsS, minChange, maxResidual, minContrast } = GRADUAL_DEFAULTS;
    return { transitions: findGradualTransitions(frames, hardCutsMs), settings: { frame: `${TINY.width}x${TINY.height}`, windowsS, minChange, maxResidual, minContrast } };
  } finally {
    frames.close();
  }
}

/**
 * Tiny frames read from their file in blocks as the search walks through them: memory stays a few
 * blocks for any length (4 h at 30 fps is 750 MB of tiny frames).
 */
function openTinyFrames(path: string, times: number[]): TinyFrames & { close(): void } {
  const fd = openSync(path, "r");
  const BLOCK = 512;
  const blocks = new Map<number, Buffer>();
  const block = (b: number) => {
    let buf = blocks.get(b);
    if (!buf) {
      const count = Math.min(BLOCK, times.length - b * BLOCK);
      buf = Buffer.alloc(count * TINY_BYTES);
      readSync(fd, buf, 0, buf.length, b * BLOCK * TINY_BYTES);
      blocks.set(b, buf);
      // The search looks a few seconds either way: the last four blocks are enough.
      if (blocks.size > 4) blocks.delete(blocks.keys().next().value as number);
    }
    return buf;
  };
  return {
    count: times.length,
    timeMs: (i) => times[i],
    frame: (i) => {
      const buf = block(Math.floor(i / BLOCK));
      const at = (i % BLOCK) * TINY_BYTES;
      return buf.subarray(at, at + TINY_BYTES);
    },
    close: () => closeSync(fd),
  };
}

/**
 * Cuts and frames with each gradual transition opening a shot at its middle. The frames stay as the
 * pass wrote them, in order (streaming consumers know them by index); only their shots change. The
 * new shot's keyframe is its first sampled frame after the blend (the next shot alone, not a mix), or
 * its last one; a transition whose shot has no sampled frame at all (the next transition or cut
 * comes within the sampling interval) opens no shot.
 */
export function withTransitions(
  hardCuts: FrameSet["cuts"],
  sampled: readonly DecodedFrame[],
  transitions: readonly GradualTransition[],
): { cuts: FrameSet["cuts"]; frames: DecodedFrame[] } {
  const frames: DecodedFrame[] = sampled.map((f) => ({ ...f }));
  if (transitions.length === 0) return { cuts: [...hardCuts], frames };
  const all = [...hardCuts.map((c) => ({ ...c, blendEndMs: undefined as number | undefined })), ...transitions.map((t) => ({ timestampMs: t.middleMs, score: t.score, blendEndMs: t.endMs as number | undefined }))]
    .sort((a, b) => a.timestampMs - b.timestampMs);
  const cuts = all.filter((cut, index) => {
    if (cut.blendEndMs === undefined) return true;
    const endMs = all[index + 1]?.timestampMs ?? Number.POSITIVE_INFINITY;
    return frames.some((f) => f.timestampMs >= cut.timestampMs && f.timestampMs < endMs);
  });
  let shot = 0;
  for (const f of frames) {
    while (shot + 1 < cuts.length && f.timestampMs >= cuts[shot + 1].timestampMs) shot++;
    f.shotIndex = shot;
  }
  cuts.forEach((cut, index) => {
    if (cut.blendEndMs === undefined) return;
    const inShot = frames.filter((f) => f.shotIndex === index);
    (inShot.find((f) => f.timestampMs >= (cut.blendEndMs as number)) ?? (inShot.at(-1) as DecodedFrame)).keyframe = true;
  });
  return { cuts: cuts.map(({ timestampMs, score }) => ({ timestampMs, score })), frames };
}

function validateStream(stream: FfmpegFrameSourceOptions["stream"]) {
  if (!stream) return undefined;
  if (!(Number.isInteger(stream.maxSide) && stream.maxSide >= 16)) throw new TypeError("createFfmpegFrameSource: stream.maxSide must be an integer ≥ 16");
  if (!(Array.isArray(stream.consumers) && stream.consumers.length > 0 && stream.consumers.every((c) => typeof c === "string" && c))) {
    throw new TypeError("createFfmpegFrameSource: stream.consumers must name at least one consumer");
  }
  return { maxSide: stream.maxSide, consumers: [...stream.consumers] };
}

function validate(options: FfmpegFrameSourceOptions) {
  const prefix = options.prefix ?? "frames";
  const sceneThreshold = options.sceneThreshold ?? 0.3;
  const sampleEveryMs = options.sampleEveryMs ?? 2000;
  const maxWidth = options.maxWidth ?? 640;
  if (!options.bucket) throw new TypeError("createFfmpegFrameSource: bucket is required");
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix)) throw new TypeError(`createFfmpegFrameSource: bad prefix ${prefix}`);
  if (!(sceneThreshold > 0 && sceneThreshold < 1)) throw new TypeError("createFfmpegFrameSource: sceneThreshold must be in (0, 1)");
  if (!(Number.isInteger(sampleEveryMs) && sampleEveryMs >= 100)) throw new TypeError("createFfmpegFrameSource: sampleEveryMs must be an integer ≥ 100");
  if (!(Number.isInteger(maxWidth) && maxWidth >= 16)) throw new TypeError("createFfmpegFrameSource: maxWidth must be an integer ≥ 16");
  return { prefix, sceneThreshold, sampleEveryMs, maxWidth };
}

interface VideoInfo {
  index: number;
  width: number;
  height: number;
  durationMs: number;
}

async function probeVideo(binaries: FfmpegBinaries, input: string, spawn?: SpawnFn): Promise<VideoInfo> {
  const run = await runProcess(
    binaries.ffprobePath,
    ["-v", "error", "-show_entries", "stream=index,codec_type,width,height,duration:stream_disposition=attached_pic:format=duration", "-of", "json", fileInput(input)],
    { timeoutMs: 60_000, spawn },
  );
  if (run.code !== 0) throw new MediaRejectedError("not-media", `ffprobe could not read the video: ${run.stderr.trim()}`);
  const json = JSON.parse(run.stdout) as {
    streams?: Array<{ index: number; codec_type?: string; width?: number; height?: number; duration?: string; disposition?: { attached_pic?: number } }>;
    format?: { duration?: string };
  };
  const stream = json.streams?.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1 && s.width && s.height);
  if (!stream) throw new MediaRejectedError("no-usable-stream", "the file has no video stream to take frames from");
  const seconds = Number(json.format?.duration ?? stream.duration);
  return {
    index: stream.index,
    width: stream.width!,
    height: stream.height!,
    durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0,
  };
}

/** Parses `metadata=mode=print` output: a `frame:N pts:P pts_time:T` line, then `key=value` lines. */
export function parseMetadata(text: string): Array<{ ptsTime: number; score: number }> {
  const out: Array<{ ptsTime: number; score: number }> = [];
  for (const line of text.split("\n")) {
    const frame = /^frame:\d+\s+pts:\S+\s+pts_time:(\S+)/.exec(line);
    if (frame) out.push({ ptsTime: Number(frame[1]), score: 0 });
    const score = /^lavfi\.scene_score=(\S+)/.exec(line);
    if (score && out.length) out[out.length - 1].score = Number(score[1]) || 0;
  }
  return out;
}

/** Width and height from a JPEG's start-of-frame marker. */
export function jpegSize(data: Buffer): { width: number; height: number } {
  let offset = 2;
  while (offset + 9 < data.length) {
    if (data[offset] !== 0xff) {
      offset += 1;
      continue;
    }
    const marker = data[offset + 1];
    const length = data.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: data.readUInt16BE(offset + 5), width: data.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  throw new NonRetryableError("the frame pass wrote a JPEG without a frame header");
}
