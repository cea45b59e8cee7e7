import { copyFile, mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { MediaPipelineError, NonRetryableError, type EngineInfo } from "@media-pipeline/core";
import { binariesFrom, runProcess, type SpawnFn } from "./binaries.js";
import { parseMetadata } from "./frames.js";
import type { FfmpegBinaries } from "./types.js";

/*
 * One keyframe per shot whose boundaries are already known (Rekognition's segment detection), without
 * decoding the whole video. Two ways, chosen by what they cost:
 *
 * - `seek`: one ffmpeg per shot, `-ss <start> -i <input> -frames:v 1`. On an http(s) URL ffmpeg reads
 *   the container's index and the bytes from the keyframe before the shot's start to its first frame
 *   (range requests), decodes at most one group of pictures, and writes the very frame the shot opens
 *   with, as the local detector does. Each seek reads the index again (about 1.5–3 MB per hour of MP4),
 *   so for many shots in a long video the reads add up past the file's own size.
 * - `pass`: one ffmpeg over the whole input that decodes only its key (I-) frames (`-skip_frame
 *   nokey`): the file is read once, and a key frame costs a few milliseconds to decode. A shot's
 *   keyframe is the first key frame inside it (encoders put one at a hard cut); a shot with none
 *   inside takes the key frame nearest its start, and the engine says how many did.
 */

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
export const SEEK_COST_MS = 1000;
/** The container index an MP4 holds per hour of media, which every seek reads again (3 MB measured on 30 fps with audio). */
export const INDEX_BYTES_PER_HOUR = 3 * 1024 ** 2;

/**
 * Seek when that reads less than one pass over the file and fits half the time there is; else pass.
 * @example chooseKeyframeStrategy({ shots: 40, durationMs: 3_600_000, sizeBytes: 2e9, budgetMs: 600_000, concurrency: 4 }) // "seek"
 */
export function chooseKeyframeStrategy(input: { shots: number; durationMs: number; sizeBytes: number; budgetMs: number; concurrency: number }): "seek" | "pass" {
  const indexBytes = Math.max(64 * 1024, (input.durationMs / 3_600_000) * INDEX_BYTES_PER_HOUR);
  const seekBytes = input.shots * indexBytes;
  const seekMs = (input.shots * SEEK_COST_MS) / Math.max(1, input.concurrency);
  return seekBytes <= input.sizeBytes && seekMs <= input.budgetMs / 2 ? "seek" : "pass";
}

/**
 * Writes a keyframe for every shot.
 * @example await extractKeyframes(shots, { input: url, outDir: "/tmp/k", strategy: "seek" })
 */
export async function extractKeyframes(shots: readonly KeyframeShot[], options: KeyframeOptions): Promise<{ frames: ExtractedKeyframe[]; engine: EngineInfo }> {
  const binaries = await binariesFrom(options.binaries)();
  const maxWidth = options.maxWidth ?? 640;
  await mkdir(options.outDir, { recursive: true });
  const scale = `scale='min(${maxWidth},iw)':-2`;
  const base = { origin: binaries.origin, strategy: options.strategy, maxWidth };
  if (options.strategy === "seek") {
    const concurrency = Math.max(1, options.concurrency ?? 4);
    const frames = await mapLimited(shots, concurrency, (shot) => seekOne(binaries, shot, scale, options));
    return { frames, engine: { name: "ffmpeg", version: binaries.version, settings: { ...base, concurrency } } };
  }
  const { frames, approximate } = await keyFramePass(binaries, shots, scale, options);
  return {
    frames,
    engine: {
      name: "ffmpeg", version: binaries.version, settings: { ...base, approximate },
      ...(approximate ? { note: `${approximate} of ${shots.length} shots hold no key frame; each shows the key frame nearest its start.` } : {}),
    },
  };
}

async function seekOne(binaries: FfmpegBinaries, shot: KeyframeShot, scale: string, options: KeyframeOptions): Promise<ExtractedKeyframe> {
  const file = join(options.outDir, `shot-${String(shot.index).padStart(6, "0")}.jpg`);
  // Half a millisecond early: a start rounded up to the millisecond must not skip to the next frame.
  for (const at of [Math.max(0, shot.startMs - 0.5), Math.max(0, shot.startMs - 1000)]) {
    const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-ss", (at / 1000).toFixed(4), "-i", options.input];
    args.push("-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", "1", "-vf", scale, "-q:v", "3", "-f", "image2", "-y", file);
    const run = await runProcess(binaries.ffmpegPath, args, { spawn: options.spawn, signal: options.signal, timeoutMs: 120_000 });
    if (run.code !== 0) throw readFailure(run.stderr, `the keyframe of shot ${shot.index}`);
    // Past the last decodable frame ffmpeg writes nothing: step back once.
    if (await exists(file)) return { index: shot.index, timestampMs: shot.startMs, file };
  }
  throw new NonRetryableError(`ffmpeg found no frame at or before ${shot.startMs} ms for shot ${shot.index}`);
}

async function keyFramePass(
  binaries: FfmpegBinaries, shots: readonly KeyframeShot[], scale: string, options: KeyframeOptions,
): Promise<{ frames: ExtractedKeyframe[]; approximate: number }> {
  const dir = join(options.outDir, "key-frames");
  await mkdir(dir, { recursive: true });
  const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-skip_frame", "nokey", "-i", options.input];
  // `select` keeps every frame and, computing a scene score, gives each one metadata to print (with its
  // time): the way both Debian's ffmpeg 5.1 and the layer's 4.1 write a line per frame.
  const select = "select='eq(n\\,0)+gte(scene\\,0)',metadata=mode=print:file=meta.txt";
  args.push("-map", "0:v:0", "-an", "-sn", "-dn", "-vf", `${select},${scale}`, "-vsync", "vfr", "-q:v", "3", "-f", "image2", "%06d.jpg");
  try {
    const run = await runProcess(binaries.ffmpegPath, args, { cwd: dir, spawn: options.spawn, signal: options.signal, keepStdout: false });
    if (run.code !== 0) throw readFailure(run.stderr, "the key frames");
    const times = parseMetadata(await readFile(join(dir, "meta.txt"), "utf8").catch(() => "")).map((m) => Math.max(0, Math.round(m.ptsTime * 1000)));
    const images = (await readdir(dir)).filter((f) => /^\d{6}\.jpg$/.test(f)).sort();
    if (images.length === 0 || images.length !== times.length) {
      throw new NonRetryableError(`the key-frame pass wrote ${images.length} images for ${times.length} key frames`);
    }
    let approximate = 0;
    const frames: ExtractedKeyframe[] = [];
    for (const shot of shots) {
      let pick = times.findIndex((t) => t >= shot.startMs && t < shot.endMs);
      if (pick < 0) {
        approximate += 1;
        pick = nearest(times, shot.startMs);
      }
      const file = join(options.outDir, `shot-${String(shot.index).padStart(6, "0")}.jpg`);
      await copyFile(join(dir, images[pick]!), file);
      frames.push({ index: shot.index, timestampMs: times[pick]!, file });
    }
    return { frames, approximate };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function nearest(times: readonly number[], t: number): number {
  let best = 0;
  for (let i = 1; i < times.length; i += 1) if (Math.abs(times[i]! - t) < Math.abs(times[best]! - t)) best = i;
  return best;
}

function readFailure(stderr: string, what: string): Error {
  const detail = stderr.trim().split("\n").slice(-3).join(" ");
  if (/HTTP error|Server returned|Connection (refused|reset|timed out)|Network is unreachable/i.test(detail)) {
    return new MediaPipelineError(`ffmpeg could not read the video from storage for ${what}: ${detail}`, { retryable: true });
  }
  return new NonRetryableError(`ffmpeg could not take ${what}: ${detail || "no message"}`);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.size > 0, () => false);
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order; the first error stops new work. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}
