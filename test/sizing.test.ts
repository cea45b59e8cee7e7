import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  extractedAudioBytes, framePassBytes, LAMBDA_TMP_MAX_BYTES, LAMBDA_TMP_MAX_MB, MAX_MEDIA_DURATION_MS, MAX_UPLOAD_BYTES, MIB,
  REKOGNITION_VIDEO_MAX_BYTES, TMP_HEADROOM_BYTES, TMP_USE, tmpUses, VISION_FRAMES, visionFramesTmpUse, type ObjectRef,
} from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloud, settings } from "../packages/functions/src/cloud.js";
import { createFfmpegAudioExtractor, createFfmpegFrameSource } from "../packages/media/src/index.js";
import { loadConfig } from "../packages/local/src/runtime/config.js";
import { SIZES, visionFramesDiskSize } from "../stacks/sizing.js";
import { makeCutVideo } from "./helpers/media.js";

const mb = (size: string) => Number.parseInt(size, 10);

describe("the upload cap", () => {
  it("is below Rekognition Video's 10 GB, and leaves room in Lambda's largest /tmp for every function at the longest media", () => {
    expect(MAX_UPLOAD_BYTES).toBeLessThan(REKOGNITION_VIDEO_MAX_BYTES);
    for (const [name, use] of tmpUses()) {
      expect((use.holdsUpload ? MAX_UPLOAD_BYTES : 0) + use.outputBytes + TMP_HEADROOM_BYTES, name).toBeLessThanOrEqual(LAMBDA_TMP_MAX_BYTES);
    }
    // 16 kHz mono 16-bit WAV: 32,000 bytes a second, for the longest accepted media.
    expect(TMP_USE["extract-audio"]!.outputBytes).toBeGreaterThanOrEqual((MAX_MEDIA_DURATION_MS / 1000) * 32_000);
  });

  it("is the default limit of probe in the cloud and of the local runtime, which may lower it", () => {
    const env = { EVENT_BUS_NAME: "b", MEDIA_BUCKET: "m", STATE_TABLE: "t" };
    expect(settings.limits(createCloud(env))).toMatchObject({ maxBytes: MAX_UPLOAD_BYTES, maxDurationMs: MAX_MEDIA_DURATION_MS });
    expect(settings.limits(createCloud({ ...env, MAX_BYTES: "1000", MAX_DURATION_SECONDS: "60" }))).toMatchObject({ maxBytes: 1000, maxDurationMs: 60_000 });
    expect(() => settings.limits(createCloud({ ...env, MAX_BYTES: String(MAX_UPLOAD_BYTES + 1) }))).toThrow(/MAX_BYTES/);
    expect(() => settings.limits(createCloud({ ...env, MAX_DURATION_SECONDS: String(MAX_MEDIA_DURATION_MS / 1000 + 1) }))).toThrow(/MAX_DURATION_SECONDS/);
    const dir = mkdtempSync(path.join(os.tmpdir(), "limits-"));
    try {
      expect(loadConfig({}, {}, dir).limits).toEqual({ maxBytes: MAX_UPLOAD_BYTES, maxDurationMs: MAX_MEDIA_DURATION_MS });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("function /tmp sizes", () => {
  it("hold each function's outputs, and the largest upload where the function keeps a copy of it", () => {
    expect(mb(SIZES.probe.diskSize) * MIB).toBeGreaterThanOrEqual(TMP_USE.probe!.outputBytes);
    expect(mb(SIZES.ffmpeg.diskSize) * MIB).toBeGreaterThanOrEqual(TMP_USE["extract-audio"]!.outputBytes);
    for (const seconds of [2, 3, 10, 60]) {
      const size = mb(visionFramesDiskSize(seconds));
      expect(size * MIB, `${seconds} s`).toBeGreaterThanOrEqual(MAX_UPLOAD_BYTES + visionFramesTmpUse(seconds * 1000).outputBytes);
      expect(size, `${seconds} s`).toBeLessThanOrEqual(LAMBDA_TMP_MAX_MB);
    }
    // A longer interval writes fewer frames.
    expect(mb(visionFramesDiskSize(10))).toBeLessThan(mb(visionFramesDiskSize(2)));
  });

  it("refuses at synthesis a frames-mode interval whose frames would not fit beside the largest upload, naming one that does", () => {
    expect(() => visionFramesDiskSize(0.5)).toThrow(/MEDIA_FRAME_SAMPLE_SECONDS=0\.5: 60 min of frames .* use \d+(\.\d)? s or more/);
    const shortest = Number(/use (\S+) s or more/.exec((() => {
      try {
        visionFramesDiskSize(0.5);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })())![1]);
    expect(() => visionFramesDiskSize(shortest)).not.toThrow();
    expect(() => visionFramesDiskSize(shortest - 0.1)).toThrow();
  });
});

describe("the output budgets against what ffmpeg writes", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "budget-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pathOf = (ref: ObjectRef) => path.join(dir, ref.bucket, ref.key);

  it("extract-audio's WAV is within its budget, at 32,000 bytes a second", async () => {
    const video = await makeCutVideo(path.join(dir), { name: "talk.mp4", segments: [4, 6], audio: "noise" });
    const source = { bucket: ".", key: "talk.mp4" };
    const target = { bucket: "out", key: "audio.wav" };
    const result = await createFfmpegAudioExtractor({ pathOf: (ref) => (ref === source ? video.path : pathOf(ref)) }).extract(source, target);
    const bytes = statSync(pathOf(target)).size;
    expect(bytes).toBeLessThanOrEqual(extractedAudioBytes(result.durationMs));
    expect(bytes).toBeGreaterThanOrEqual(Math.floor((result.durationMs / 1000) * 32_000));
  });

  it("frames mode's JPEGs of a portrait phone video are within the per-frame budget", async () => {
    const video = await makeCutVideo(dir, { name: "portrait.mp4", segments: [2, 2, 2], audio: false, width: 720, height: 1280 });
    const source = { bucket: ".", key: "portrait.mp4" };
    const pass = { sampleEveryMs: 2000, maxWidth: VISION_FRAMES.maxWidth };
    const frames = createFfmpegFrameSource({ pathOf: (ref) => (ref.key === source.key ? video.path : pathOf(ref)), bucket: "out", prefix: "vision", ...pass });
    const set = await frames.frames("01jd8x7k2m4n6p8q0r2s4t6v8w", source);
    const folder = pathOf({ bucket: "out", key: "vision/01jd8x7k2m4n6p8q0r2s4t6v8w" });
    const jpegs = readdirSync(folder).filter((f) => f.endsWith(".jpg")).map((f) => statSync(path.join(folder, f)).size);
    expect(jpegs.length).toBe(set.frames.length);
    // framePassBytes of no duration is one frame's budget.
    for (const bytes of jpegs) expect(bytes).toBeLessThanOrEqual(framePassBytes(0, pass));
    expect(jpegs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(framePassBytes(video.durationMs, pass) + framePassBytes(0, pass) * video.cutsMs.length);
  });
});
