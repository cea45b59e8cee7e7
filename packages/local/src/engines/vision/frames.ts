import type { TfjsRuntime } from "./tfjs.js";
import { readFile } from "node:fs/promises";
import jpeg from "jpeg-js";
import { NonRetryableError } from "@media-pipeline/core";
import type { DecodedFrame, PathOf } from "../../media/types.js";

/** A decoded frame: packed RGB, 3 bytes per pixel, row by row. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Reads and decodes a frame JPEG written by the frame source. A frame that does not decode is bad
 * media, not a passing fault, so it is not retried.
 */
export async function readRgbFrame(frame: DecodedFrame, pathOf: PathOf): Promise<RgbImage> {
  const path = pathOf(frame.frame);
  try {
    const img = jpeg.decode(await readFile(path), { useTArray: true, formatAsRGBA: false });
    return { data: img.data, width: img.width, height: img.height };
  } catch (err) {
    throw new NonRetryableError(`cannot decode frame at ${frame.timestampMs} ms (${path})`, { cause: err });
  }
}

/** Splits work into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** Confidence on Rekognition's 0–100 scale, two decimals. */
export function percent(probability: number): number {
  return Math.round(Math.min(1, Math.max(0, probability)) * 10_000) / 100;
}

/**
 * How long an engine took: model load plus first inference once per process (`warmupMs`), then the
 * mean time per frame of this call, decode included (`perFrameMs`).
 */
export interface VisionTimings {
  warmupMs: number;
  perFrameMs: number;
  frames: number;
}

export function timings(warmupMs: number, startedAt: number, frames: number): VisionTimings {
  const elapsed = performance.now() - startedAt;
  return {
    warmupMs: Math.round(warmupMs),
    perFrameMs: frames > 0 ? Math.round((elapsed / frames) * 10) / 10 : 0,
    frames,
  };
}

/** The settings every vision result reports about the TensorFlow.js runtime it ran on, with timings. */
export function runtimeSettings(runtime: TfjsRuntime, warmupMs: number, startedAt: number, frames: number) {
  return {
    backend: runtime.backend,
    simd: runtime.simd,
    threads: runtime.threads,
    tfjs: runtime.version,
    timings: timings(warmupMs, startedAt, frames),
  };
}

/**
 * Runs `task` after every task queued before it. The shared TensorFlow.js engine and human's model
 * state are not meant for interleaved inference, and on a single WASM thread nothing is lost.
 */
export function serial(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
