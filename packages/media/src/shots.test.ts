import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShotsDocument, type ObjectRef } from "@media-pipeline/core";
import * as media from "../../../test/helpers/media.js";
import { createFfmpegFrameSource } from "./frames.js";
import { createFfmpegShotDetector } from "./shots.js";
import type { FrameSet, FrameSource } from "./types.js";

const frame = (key: string): ObjectRef => ({ bucket: "derived", key });
const engine = { name: "ffmpeg", version: "5.1", settings: { sceneThreshold: 0.3, sampleEveryMs: 2000 } };

describe("createFfmpegShotDetector", () => {
  it("turns cuts into shots that end at the next cut or the probe's duration", async () => {
    const set: FrameSet = {
      durationMs: 9980,
      width: 1280,
      height: 720,
      cuts: [{ timestampMs: 0, score: 1 }, { timestampMs: 4000, score: 0.82 }],
      frames: [
        { timestampMs: 0, shotIndex: 0, keyframe: true, frame: frame("f/1.jpg"), width: 640, height: 360 },
        { timestampMs: 2000, shotIndex: 0, keyframe: false, frame: frame("f/2.jpg"), width: 640, height: 360 },
        { timestampMs: 4000, shotIndex: 1, keyframe: true, frame: frame("f/3.jpg"), width: 640, height: 360 },
      ],
      engine,
    };
    const calls: string[] = [];
    const frames: FrameSource = { frames: async (mediaId) => (calls.push(mediaId), set) };
    const doc = await createFfmpegShotDetector({ frames }).detect({ mediaId: "m1", source: frame("u/x.mp4"), durationMs: 10000 });

    expect(calls).toEqual(["m1"]);
    expect(ShotsDocument.parse(doc)).toEqual(doc);
    expect(doc.shots).toEqual([
      { index: 0, startMs: 0, endMs: 4000, keyframe: frame("f/1.jpg"), cutScore: 1 },
      { index: 1, startMs: 4000, endMs: 10000, keyframe: frame("f/3.jpg"), cutScore: 0.82 },
    ]);
    expect(doc.frames.map((f) => [f.timestampMs, f.keyframe])).toEqual([[0, true], [2000, false], [4000, true]]);
    expect(doc).toMatchObject({ durationMs: 10000, width: 1280, height: 720, engine });
  });
});

describe("createFfmpegShotDetector on a real decode", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "shots-test-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("finds one shot per generated segment with keyframes at the cuts", async () => {
    const dir = join(root, "media", "uploads");
    await mkdir(dir, { recursive: true });
    const made = await media.makeCutVideo(dir, { segments: [2, 3, 2] });
    const pathOf = (ref: ObjectRef) => join(root, ref.bucket, ref.key);
    const frames = createFfmpegFrameSource({ pathOf, bucket: "derived" });
    const doc = await createFfmpegShotDetector({ frames }).detect({
      mediaId: "m1",
      source: { bucket: "media", key: `uploads/${basename(made.path)}` },
      durationMs: made.durationMs,
    });
    expect(doc.shots.map((s) => [s.startMs, s.endMs])).toEqual([[0, 2000], [2000, 5000], [5000, 7000]]);
    expect(doc.shots.every((s, i) => doc.frames.some((f) => f.keyframe && f.shotIndex === i && f.frame.key === s.keyframe.key))).toBe(true);
    expect(doc.engine.settings).toMatchObject({ sceneThreshold: 0.3, sampleEveryMs: 2000, maxWidth: 640 });
  });
});
