import { describe, expect, it } from "vitest";
import { NonRetryableError, type ObjectRef } from "@media-pipeline/core";
import type { DecodedFrame, FrameSet, FrameSource, StreamedFrame } from "@media-pipeline/media";
import { analyzeFrames } from "./analyze.js";
import type { FrameFile } from "./protocol.js";

const source = { bucket: "media", key: "uploads/m1/v.mp4" };
const input = { mediaId: "m1", source, durationMs: 10_000 };
const frame = (i: number): DecodedFrame => ({
  timestampMs: i * 1000, shotIndex: 0, keyframe: i === 0, frame: { bucket: "derived", key: `frames/m1/${i}.jpg` }, width: 640, height: 360,
});

/** A source whose pass "decodes" `count` frames, streaming those in `streamed` while it runs. */
function streamingSource(count: number, streamed: number[]) {
  const released: number[] = [];
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const set: FrameSet = {
    durationMs: 10_000, width: 640, height: 360, cuts: [{ timestampMs: 0, score: 1 }],
    frames: Array.from({ length: count }, (_, i) => frame(i)), engine: { name: "fake", version: "0" },
  };
  const frames: FrameSource = {
    async frames(_id: string, _src: ObjectRef, onProgress?: (f: number) => void) {
      await done;
      onProgress?.(1);
      return set;
    },
    async *stream(): AsyncGenerator<StreamedFrame> {
      for (const index of streamed) {
        await new Promise((r) => setTimeout(r, 5));
        yield { index, path: `/raw/${index}.ppm`, release: () => released.push(index) };
      }
      finish();
    },
  };
  return { frames, released, finish };
}

const pathOf = (ref: ObjectRef) => `/data/${ref.key}`;

describe("analyzeFrames", () => {
  it("runs streamed frames as they come, the rest from the pass's JPEGs, and matches results to frames by index", async () => {
    const { frames, released } = streamingSource(5, [0, 1, 3]);
    const calls: FrameFile[][] = [];
    const progress: number[] = [];
    const out = await analyzeFrames({
      frames, pathOf, input, consumer: "labels", batchSize: 8,
      run: async (files) => (calls.push(files), { results: files.map((f) => f.path), ms: 2 * files.length }),
      onProgress: (f) => progress.push(f),
    });
    expect(out.results).toEqual(["/raw/0.ppm", "/raw/1.ppm", "/data/frames/m1/2.jpg", "/raw/3.ppm", "/data/frames/m1/4.jpg"]);
    expect(calls.slice(0, 3).map((c) => c.map((f) => f.format))).toEqual([["ppm"], ["ppm"], ["ppm"]]);
    expect(calls[3]!.map((f) => f.format)).toEqual(["jpeg", "jpeg"]);
    expect(released.sort()).toEqual([0, 1, 3]);
    expect(out.computeMs).toBe(10);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("runs a streamed frame still in flight when the pass ends once, from the stream, not again from its JPEG", async () => {
    // Two results for one frame raced: whichever finished last won, so the same video gave
    // slightly different labels from one run to the next (a model-size PPM vs the 640-wide JPEG).
    const { frames } = streamingSource(3, [0, 1, 2]);
    const calls: string[] = [];
    const out = await analyzeFrames({
      frames, pathOf, input, consumer: "labels", batchSize: 8,
      run: async (files) => {
        calls.push(...files.map((f) => f.path));
        await new Promise((r) => setTimeout(r, 30));
        return { results: files.map((f) => f.path), ms: 1 };
      },
    });
    expect(calls).toEqual(["/raw/0.ppm", "/raw/1.ppm", "/raw/2.ppm"]);
    expect(out.results).toEqual(["/raw/0.ppm", "/raw/1.ppm", "/raw/2.ppm"]);
  });

  it("keeps no more than two batches in flight", async () => {
    const { frames } = streamingSource(6, [0, 1, 2, 3, 4, 5]);
    let running = 0;
    let most = 0;
    await analyzeFrames({
      frames, pathOf, input, consumer: "labels", batchSize: 1,
      run: async (files) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running -= 1;
        return { results: files.map(() => 1), ms: 1 };
      },
    });
    expect(most).toBe(2);
  });

  it("fails with the first batch's error and still releases every frame it took", async () => {
    const { frames, released, finish } = streamingSource(6, [0, 1, 2, 3, 4, 5]);
    const ran: number[] = [];
    const error = await analyzeFrames({
      frames, pathOf, input, consumer: "labels", batchSize: 1,
      run: async (files) => {
        ran.push(Number(/(\d+)\.ppm$/.exec(files[0]!.path)![1]));
        await new Promise((r) => setTimeout(r, 10));
        if (files[0]!.path.endsWith("1.ppm")) throw new NonRetryableError("cannot decode frame 2");
        return { results: [1], ms: 1 };
      },
    }).catch((e: unknown) => e);
    finish();
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(ran.length).toBeLessThan(6);
    expect([...released].sort()).toEqual([...ran].sort());
  });

  it("works on a source without a stream, in batches", async () => {
    const set: FrameSet = {
      durationMs: 3000, width: 640, height: 360, cuts: [{ timestampMs: 0, score: 1 }],
      frames: [frame(0), frame(1), frame(2)], engine: { name: "fake", version: "0" },
    };
    const sizes: number[] = [];
    const out = await analyzeFrames({
      frames: { frames: async () => set }, pathOf, input, consumer: "labels", batchSize: 2,
      run: async (files) => (sizes.push(files.length), { results: files.map((f) => f.label), ms: 1 }),
    });
    expect(sizes).toEqual([2, 1]);
    expect(out.results).toEqual(["frame at 0 ms", "frame at 1000 ms", "frame at 2000 ms"]);
  });
});
