import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectRef } from "@media-pipeline/core";
import * as media from "../../../test/helpers/media.js";
import { resolveFfmpegBinaries, type SpawnFn } from "./binaries.js";
import { createFfmpegFrameSource, jpegSize, parseMetadata } from "./frames.js";
import type { FfmpegBinaries, StreamedFrame } from "./types.js";

let root: string;
let dir: string;
let made: media.MadeMedia;
const pathOf = (ref: ObjectRef) => join(root, ref.bucket, ref.key);
const ref = (path: string): ObjectRef => ({ bucket: "media", key: `uploads/${basename(path)}` });
const FRAME_MS = 40; // 25 fps

/** Counts ffmpeg decode passes (ffprobe calls are not passes). */
function countingSpawn(): { spawn: SpawnFn; passes: () => number } {
  let passes = 0;
  const counting = ((file: string, ...rest: unknown[]) => {
    if (/ffmpeg$/.test(file)) passes += 1;
    return (spawn as (...a: unknown[]) => ReturnType<SpawnFn>)(file, ...rest);
  }) as unknown as SpawnFn;
  return { spawn: counting, passes: () => passes };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "frames-test-"));
  dir = join(root, "media", "uploads");
  await mkdir(dir, { recursive: true });
  // Shots of 3, 2, 5 and 2 s: cuts at 3, 5 and 10 s; the 5 s shot needs samples at 7 and 9 s.
  made = await media.makeCutVideo(dir, { segments: [3, 2, 5, 2], width: 960, height: 540 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("createFfmpegFrameSource", () => {
  it("finds the generated cuts, writes a JPEG keyframe per shot and samples long shots every 2 s", async () => {
    const progress: number[] = [];
    const source = createFfmpegFrameSource({ pathOf, bucket: "derived" });
    const set = await source.frames("m1", ref(made.path), (f) => progress.push(f));

    expect(set.cuts.map((c) => c.timestampMs)).toHaveLength(made.cutsMs.length + 1);
    expect(set.cuts[0]).toEqual({ timestampMs: 0, score: 1 });
    set.cuts.slice(1).forEach((cut, i) => {
      expect(Math.abs(cut.timestampMs - made.cutsMs[i])).toBeLessThanOrEqual(FRAME_MS);
      expect(cut.score).toBeGreaterThan(0.3);
    });
    expect(set.frames.map((f) => [Math.round(f.timestampMs / 1000), f.shotIndex, f.keyframe])).toEqual([
      [0, 0, true], [2, 0, false], [3, 1, true], [5, 2, true], [7, 2, false], [9, 2, false], [10, 3, true],
    ]);
    expect(set).toMatchObject({ width: 960, height: 540, durationMs: 12000 });
    expect(set.engine).toMatchObject({ name: "ffmpeg", settings: { sceneThreshold: 0.3, sampleEveryMs: 2000, maxWidth: 640 } });
    for (const frame of set.frames) {
      expect(frame.frame.key).toMatch(/^frames\/m1\/\d{6}\.jpg$/);
      const jpeg = await readFile(pathOf(frame.frame));
      expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(jpegSize(jpeg)).toEqual({ width: 640, height: 360 });
      expect(frame).toMatchObject({ width: 640, height: 360 });
    }
    expect(progress.at(-1)).toBe(1);
    expect(existsSync(join(root, "derived", "frames", "m1", "manifest.json"))).toBe(true);
    expect((await readdir(join(root, "derived", "frames"))).filter((d) => d.includes(".tmp-"))).toEqual([]);
  });

  it("decodes once for concurrent callers, who all get the same frames", async () => {
    const counter = countingSpawn();
    const source = createFfmpegFrameSource({ pathOf, bucket: "derived", spawn: counter.spawn });
    const sets = await Promise.all([1, 2, 3].map(() => source.frames("m2", ref(made.path))));
    expect(counter.passes()).toBe(1);
    expect(sets[1]).toBe(sets[0]);
    expect(sets[2]).toBe(sets[0]);
  });

  it("reuses a finished pass's manifest after a restart instead of decoding again", async () => {
    await createFfmpegFrameSource({ pathOf, bucket: "derived" }).frames("m3", ref(made.path));
    const counter = countingSpawn();
    const restarted = createFfmpegFrameSource({ pathOf, bucket: "derived", spawn: counter.spawn });
    const set = await restarted.frames("m3", ref(made.path));
    expect(counter.passes()).toBe(0);
    expect(set.cuts).toHaveLength(4);
    // Other settings mean other frames: the manifest is not reused for them.
    const other = createFfmpegFrameSource({ pathOf, bucket: "derived", sampleEveryMs: 1000, spawn: counter.spawn });
    expect((await other.frames("m3", ref(made.path))).frames.length).toBeGreaterThan(set.frames.length);
    expect(counter.passes()).toBe(1);
  });

  it("handles a file name with spaces, quotes and unicode", async () => {
    const odd = await media.makeCutVideo(dir, { name: `shot's "list" – 映像 ü,x;y.mp4`, segments: [2, 2], audio: false });
    const set = await createFfmpegFrameSource({ pathOf, bucket: "derived", prefix: "odd/frames" }).frames("m4", ref(odd.path));
    expect(set.cuts.map((c) => c.timestampMs)).toEqual([0, 2000]);
    expect(set.frames[0].frame.key).toMatch(/^odd\/frames\/m4\//);
  });

  it("measures times from the video's start in MPEG-TS, whose timestamps start at 1.4 s", async () => {
    const ts = await media.makeCutVideo(dir, { name: "cuts.ts", segments: [2, 3, 1] });
    const set = await createFfmpegFrameSource({ pathOf, bucket: "derived" }).frames("m7", ref(ts.path));
    expect(set.cuts.map((c) => Math.round(c.timestampMs / FRAME_MS) * FRAME_MS)).toEqual([0, 2000, 5000]);
  });

  it("never upscales: a video narrower than maxWidth keeps its size", async () => {
    const small = await media.makeCutVideo(dir, { name: "small.mp4", segments: [1], width: 320, height: 180 });
    const set = await createFfmpegFrameSource({ pathOf, bucket: "derived" }).frames("m5", ref(small.path));
    expect(set.frames[0]).toMatchObject({ width: 320, height: 180 });
  });

  it("streams every frame at model size while the pass runs, from the same decode, to each consumer", async () => {
    const counter = countingSpawn();
    const source = createFfmpegFrameSource({ pathOf, bucket: "derived", spawn: counter.spawn, stream: { maxSide: 512, consumers: ["a", "b"] } });
    const seen: Record<string, StreamedFrame[]> = { a: [], b: [] };
    const headers: string[] = [];
    const consume = async (name: "a" | "b") => {
      for await (const frame of source.stream!("s1", ref(made.path), name)) {
        seen[name].push(frame);
        if (name === "a") headers.push((await readFile(frame.path)).subarray(0, 15).toString("latin1"));
        frame.release();
      }
    };
    const [set] = await Promise.all([source.frames("s1", ref(made.path)), consume("a"), consume("b")]);
    expect(counter.passes()).toBe(1);
    for (const name of ["a", "b"] as const) expect(seen[name].map((f) => f.index)).toEqual(set.frames.map((_, i) => i));
    // 960×540 fitted into 512×512: the longer side at the model's 512, the aspect kept.
    expect(headers.every((h) => h.startsWith("P6\n512 288\n255\n"))).toBe(true);
    // Released by both consumers, so gone — files and directory — once the pass is over.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.a.some((f) => existsSync(f.path))).toBe(false);
    expect((await readdir(join(root, "derived", "frames"))).filter((d) => d.startsWith("s1.raw-"))).toEqual([]);
    // The stream changes nothing in what the pass returns.
    expect(set.frames).toHaveLength(7);
    expect(set.engine.settings).not.toHaveProperty("stream");
  });

  it("keeps a streamed frame until every consumer has released it, and gives late consumers nothing", async () => {
    const source = createFfmpegFrameSource({ pathOf, bucket: "derived", stream: { maxSide: 256, consumers: ["labels", "moderation"] } });
    const held: StreamedFrame[] = [];
    const pass = source.frames("s2", ref(made.path));
    for await (const frame of source.stream!("s2", ref(made.path), "labels")) {
      frame.release();
      held.push(frame);
    }
    await pass;
    // Only "labels" came: while the pass ran, nothing was deleted for "moderation"; once it ended with
    // no subscription left, everything went.
    await new Promise((r) => setTimeout(r, 50));
    expect(held.length).toBe(7);
    expect(held.some((f) => existsSync(f.path))).toBe(false);
    const late: StreamedFrame[] = [];
    for await (const frame of source.stream!("s2", ref(made.path), "moderation")) late.push(frame);
    expect(late).toEqual([]);
  });

  it("holds a frame a consumer has not released past the end of the pass", async () => {
    const source = createFfmpegFrameSource({ pathOf, bucket: "derived", stream: { maxSide: 256, consumers: ["only"] } });
    let kept: StreamedFrame | undefined;
    const pass = source.frames("s3", ref(made.path));
    for await (const frame of source.stream!("s3", ref(made.path), "only")) {
      if (kept) frame.release();
      else kept = frame;
    }
    await pass;
    expect(existsSync(kept!.path)).toBe(true);
    kept!.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(kept!.path)).toBe(false);
    expect((await readdir(join(root, "derived", "frames"))).filter((d) => d.startsWith("s3.raw-"))).toEqual([]);
  });

  it("rejects options that make no sense, loudly", () => {
    expect(() => createFfmpegFrameSource({ pathOf, bucket: "b", stream: { maxSide: 8, consumers: ["a"] } })).toThrow(/maxSide/);
    expect(() => createFfmpegFrameSource({ pathOf, bucket: "b", stream: { maxSide: 512, consumers: [] } })).toThrow(/consumers/);
    expect(() => createFfmpegFrameSource({ pathOf, bucket: "b", threads: 0 })).toThrow(/threads/);
    expect(() => createFfmpegFrameSource({ pathOf, bucket: "b", sceneThreshold: 30 })).toThrow(/sceneThreshold/);
    expect(() => createFfmpegFrameSource({ pathOf, bucket: "b", sampleEveryMs: 2 })).toThrow(/sampleEveryMs/);
    expect(() => createFfmpegFrameSource({ pathOf, bucket: "b", prefix: "/abs" })).toThrow(/prefix/);
  });

  const require = createRequire(import.meta.url);
  // The npm installer packages are dependencies: if they are missing, the install is broken and this fails.
  const npm = { ffmpeg: require("@ffmpeg-installer/ffmpeg").path as string, ffprobe: require("@ffprobe-installer/ffprobe").path as string };
  it("finds the same cuts with the npm static ffmpeg build (~4.1), and streams with it too", async () => {
    const npmBinaries: FfmpegBinaries = { ffmpegPath: npm.ffmpeg, ffprobePath: npm.ffprobe, version: "npm", origin: "npm" };
    const set = await createFfmpegFrameSource({ pathOf, bucket: "npm", binaries: npmBinaries }).frames("m6", ref(made.path));
    expect(set.cuts.map((c) => Math.round(c.timestampMs / 1000))).toEqual([0, 3, 5, 10]);
    expect(set.frames).toHaveLength(7);
    const streaming = createFfmpegFrameSource({ pathOf, bucket: "npm", binaries: npmBinaries, threads: 1, stream: { maxSide: 512, consumers: ["a"] } });
    const indices: number[] = [];
    const [again] = await Promise.all([
      streaming.frames("m8", ref(made.path)),
      (async () => {
        for await (const f of streaming.stream!("m8", ref(made.path), "a")) (indices.push(f.index), f.release());
      })(),
    ]);
    expect(again.frames).toHaveLength(7);
    expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe("parseMetadata", () => {
  it("reads pts_time and scene score per printed frame", () => {
    const text = "frame:0    pts:0       pts_time:0\nlavfi.scene_score=0.000000\nframe:1    pts:38400   pts_time:3\nlavfi.scene_score=0.729530\n";
    expect(parseMetadata(text)).toEqual([{ ptsTime: 0, score: 0 }, { ptsTime: 3, score: 0.72953 }]);
  });
});

describe("resolveFfmpegBinaries", () => {
  it("prefers the env overrides and parses the version", async () => {
    const system = await resolveFfmpegBinaries();
    const viaEnv = await resolveFfmpegBinaries({
      env: { PATH: "", MEDIA_PIPELINE_FFMPEG: system.ffmpegPath, MEDIA_PIPELINE_FFPROBE: system.ffprobePath },
    });
    expect(viaEnv).toMatchObject({ ffmpegPath: system.ffmpegPath, ffprobePath: system.ffprobePath });
    expect(viaEnv.version).toMatch(/^\S*\d/);
    expect(await resolveFfmpegBinaries()).toBe(await resolveFfmpegBinaries());
  });

  it("falls back to the npm installer packages when nothing is on PATH", async () => {
    const found = await resolveFfmpegBinaries({ env: { PATH: "" } });
    expect(found.origin).toBe("npm");
    expect(found.ffmpegPath).toMatch(/@ffmpeg-installer/);
  });
});
