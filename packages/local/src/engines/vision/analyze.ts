import type { ProgressFn, VisionInput } from "@media-pipeline/core";
import type { FrameSet, FrameSource, PathOf } from "@media-pipeline/media";
import type { BatchResult, FrameFile } from "./protocol.js";

/**
 * Requests sent to the vision threads and not yet answered: one running, one queued, so a thread never
 * waits on us. Streamed frames go one per request: batching them (CenterNet in batches of 2–4 costs
 * 9–15 % less per frame in isolation) made the whole pipeline slower and 200 MB bigger, the batch
 * copies and activations outweighing the gain.
 */
const IN_FLIGHT = 2;

export interface AnalyzeFramesOptions<R> {
  frames: FrameSource;
  pathOf: PathOf;
  input: VisionInput;
  /** This engine's name as the frame source knows it (see FrameSource.stream). */
  consumer: string;
  /** Frames per request when reading the FrameSet's JPEGs, or a rule from the number of frames to read. */
  batchSize: number | ((frames: number) => number);
  /** Runs the model on a batch of frame files (in its worker) and returns one result per file. */
  run: (files: FrameFile[]) => Promise<BatchResult<R>>;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface AnalyzedFrames<R> {
  set: FrameSet;
  /** One result per frame of `set.frames`, in order. */
  results: R[];
  /** Time the model spent, frame reading included (not the time spent waiting for frames). */
  computeMs: number;
}

/**
 * Runs one vision model over every frame of the shared decode pass.
 *
 * While the pass runs, frames come from its stream (model-size PPMs, as ffmpeg writes them), so
 * inference keeps pace with the decode instead of starting after it. Whatever the stream did not give
 * — no stream, a pass already finished, frames another attempt of this stage already released — is read
 * from the FrameSet's JPEGs once the pass is over. Results are matched to the FrameSet by index, so
 * their times and frame references are the pass's own.
 */
export async function analyzeFrames<R>(o: AnalyzeFramesOptions<R>): Promise<AnalyzedFrames<R>> {
  const { mediaId, source } = o.input;
  const results = new Map<number, R>();
  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let computeMs = 0;
  let decoded = 0;
  let known = 0;
  let reported = 0;
  const report = (note: string) => {
    const done = known > 0 ? results.size / known : 0;
    reported = Math.max(reported, 0.2 * decoded + 0.8 * decoded * done);
    o.onProgress?.(reported, note);
  };

  /** Frames sent to a thread: a streamed frame still running when the pass ends is not sent again as JPEG. */
  const dispatched = new Set<number>();
  const dispatch = (batch: Array<{ index: number; file: FrameFile; release?: () => void }>) => {
    for (const b of batch) dispatched.add(b.index);
    const p = o
      .run(batch.map((b) => b.file))
      .then(
        (r) => {
          computeMs += r.ms;
          batch.forEach((b, i) => {
            results.set(b.index, r.results[i] as R);
            report(`frame ${results.size}/${known}`);
          });
        },
        (error: unknown) => void (failure ??= { error }),
      )
      .finally(() => {
        for (const b of batch) b.release?.();
        inflight.delete(p);
      });
    inflight.add(p);
  };
  /** Waits for a free slot; stops at the first failed batch or an abort. */
  const slot = async () => {
    while (inflight.size >= IN_FLIGHT && !failure) await Promise.race(inflight);
    if (failure) throw failure.error;
    o.signal?.throwIfAborted();
  };

  const pass = o.frames.frames(mediaId, source, (f) => {
    decoded = f;
    report("decoding video");
  });
  pass.catch(() => undefined); // awaited below; streaming must not leave it unhandled meanwhile
  try {
    if (o.frames.stream) {
      for await (const frame of o.frames.stream(mediaId, source, o.consumer)) {
        known = Math.max(known, frame.index + 1);
        dispatch([{ index: frame.index, file: { path: frame.path, format: "ppm", label: `frame ${frame.index + 1}` }, release: frame.release }]);
        await slot();
      }
    }
    const set = await pass;
    decoded = 1;
    known = set.frames.length;
    const missing = set.frames.flatMap((f, index) => (dispatched.has(index) ? [] : [{ index, f }]));
    const size = typeof o.batchSize === "function" ? Math.max(1, Math.floor(o.batchSize(missing.length))) : o.batchSize;
    for (const batch of batches(missing, size)) {
      await slot();
      dispatch(batch.map(({ index, f }) => ({ index, file: { path: o.pathOf(f.frame), format: "jpeg", label: `frame at ${f.timestampMs} ms` } })));
    }
    while (inflight.size > 0) await Promise.race(inflight);
    if (failure) throw failure.error;
    if (set.frames.length === 0) o.onProgress?.(1, "no frames");
    return { set, results: set.frames.map((_, i) => results.get(i) as R), computeMs };
  } finally {
    // On failure, let running batches finish so their frames are released before the error surfaces.
    await Promise.allSettled([...inflight]);
  }
}

/** Splits work into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
