import { createRequire } from "node:module";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaRejectedError, type ObjectRef } from "@media-pipeline/core";
import * as media from "../../../test/helpers/media.js";
import { createFfmpegAudioExtractor, wavDurationMs } from "./audio.js";

let root: string;
let dir: string;
const pathOf = (ref: ObjectRef) => join(root, ref.bucket, ref.key);
const ref = (path: string): ObjectRef => ({ bucket: "media", key: `uploads/${basename(path)}` });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "audio-test-"));
  dir = join(root, "media", "uploads");
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("createFfmpegAudioExtractor", () => {
  it("writes 16 kHz mono s16le WAV of the source's duration into a new directory, with progress", async () => {
    const made = await media.makeCutVideo(dir, { name: "talk 'n' noise – ü.mp4", segments: [4, 3], audio: "noise" });
    const target = { bucket: "media", key: "derived/m1/audio.wav" };
    const progress: number[] = [];
    const result = await createFfmpegAudioExtractor({ pathOf }).extract(ref(made.path), target, (f) => progress.push(f));

    expect(result).toMatchObject({ audio: target, format: "wav", sampleRate: 16000, channels: 1 });
    expect(Math.abs(result.durationMs - 7000)).toBeLessThanOrEqual(50);
    expect(result.engine).toMatchObject({ name: "ffmpeg", settings: { sampleRate: 16000, codec: "pcm_s16le" } });
    const wav = await readFile(pathOf(target));
    expect(wav.toString("latin1", 0, 4)).toBe("RIFF");
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt16LE(34)).toBe(16); // bits per sample
    expect(await wavDurationMs(pathOf(target))).toBe(result.durationMs);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]))).toBe(true);
    expect((await readdir(dirname(pathOf(target)))).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("extracts from an audio-only m4a", async () => {
    const made = await media.makeAudioOnly(dir, "m4a", 3);
    const result = await createFfmpegAudioExtractor({ pathOf }).extract(ref(made.path), { bucket: "media", key: "derived/m2/audio.wav" });
    expect(Math.abs(result.durationMs - 3000)).toBeLessThanOrEqual(50);
  });

  it("leaves no file under the target name when ffmpeg fails", async () => {
    const made = await media.makeVideoOnly(dir, { segments: [1] });
    const target = { bucket: "media", key: "derived/m3/audio.wav" };
    const error = await createFfmpegAudioExtractor({ pathOf }).extract(ref(made.path), target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaRejectedError);
    expect((error as MediaRejectedError).reason).toBe("no-usable-stream");
    expect(await readdir(dirname(pathOf(target)))).toEqual([]);
  });
});

describe("createFfmpegAudioExtractor with the npm static ffmpeg (~4.1)", () => {
  const require = createRequire(import.meta.url);
  // The npm installer packages are dependencies: if they are missing, the install is broken and this fails.
  const npm = { ffmpeg: require("@ffmpeg-installer/ffmpeg").path as string, ffprobe: require("@ffprobe-installer/ffprobe").path as string };
  it("writes the same 16 kHz mono WAV", async () => {
    const made = await media.makeAudioOnly(dir, "m4a", 2);
    const binaries = { ffmpegPath: npm!.ffmpeg, ffprobePath: npm!.ffprobe, version: "4.1", origin: "npm" as const };
    const target = { bucket: "media", key: "derived/npm/audio.wav" };
    const result = await createFfmpegAudioExtractor({ pathOf, binaries }).extract(ref(made.path), target);
    expect(Math.abs(result.durationMs - 2000)).toBeLessThanOrEqual(50);
    expect((await readFile(pathOf(target))).readUInt32LE(24)).toBe(16000);
  });
});
