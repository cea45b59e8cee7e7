import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, rm, copyFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaRejectedError, type ObjectRef } from "@media-pipeline/core";
import * as bad from "../../../test/helpers/bad-media.js";
import * as media from "../../../test/helpers/media.js";
import { createFfprobeProber, inspectContainer } from "./probe.js";
import type { FfmpegBinaries } from "./types.js";

const limits = { maxBytes: 500 * 1024 * 1024, maxDurationMs: 6 * 3600_000 };
let root: string;
let dir: string;
const pathOf = (ref: ObjectRef) => join(root, ref.bucket, ref.key);
const ref = (path: string): ObjectRef => ({ bucket: "media", key: `uploads/${basename(path)}` });
const prober = () => createFfprobeProber({ pathOf });

async function rejection(path: string, custom = limits): Promise<MediaRejectedError> {
  const error = await prober().probe(ref(path), custom).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MediaRejectedError);
  return error as MediaRejectedError;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "probe-test-"));
  dir = join(root, "media", "uploads");
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("createFfprobeProber accepts", () => {
  it("a video with audio as kind video with both streams and its duration", async () => {
    const made = await media.makeCutVideo(dir, { segments: [2, 2] });
    const result = await prober().probe(ref(made.path), limits);
    expect(result).toMatchObject({ kind: "video", hasVideo: true, hasAudio: true });
    expect(Math.abs(result.durationMs - 4000)).toBeLessThan(100);
    expect(result.container).toContain("mp4");
    expect(result.streams.map((s) => [s.type, s.codec])).toEqual([["video", "h264"], ["audio", "aac"]]);
    expect(result.streams[0]).toMatchObject({ width: 320, height: 180, fps: 25 });
    expect(result.streams[1]).toMatchObject({ sampleRate: 44100, channels: 1 });
    expect(result.engine).toMatchObject({ name: "ffprobe", settings: { origin: expect.stringMatching(/system|npm/) } });
    expect(result.engine.version).toMatch(/\d/);
  });

  it("a wav and an m4a as kind audio", async () => {
    for (const format of ["wav", "m4a"] as const) {
      const made = await media.makeAudioOnly(dir, format, 3);
      const result = await prober().probe(ref(made.path), limits);
      expect(result).toMatchObject({ kind: "audio", hasVideo: false, hasAudio: true });
      expect(Math.abs(result.durationMs - 3000)).toBeLessThan(100);
      expect(result.streams[0]).toMatchObject({ type: "audio", sampleRate: 44100, channels: 2 });
    }
  });

  it("complete files in other containers, without mistaking them for truncated ones", async () => {
    for (const format of ["mp3", "flac", "ogg", "aac"] as const) {
      const made = await media.makeAudioOnly(dir, format, 5);
      const result = await prober().probe(ref(made.path), limits);
      expect([format, result.kind, Math.abs(result.durationMs - 5000) < 300]).toEqual([format, "audio", true]);
    }
    for (const name of ["cuts.mkv", "cuts.ts"]) {
      const made = await media.makeCutVideo(dir, { name, segments: [3, 3] });
      expect((await prober().probe(ref(made.path), limits)).kind).toBe("video");
    }
  });

  it("a video without audio as kind video with hasAudio false", async () => {
    const made = await media.makeVideoOnly(dir, { segments: [1, 1] });
    const result = await prober().probe(ref(made.path), limits);
    expect(result).toMatchObject({ kind: "video", hasVideo: true, hasAudio: false });
    expect(result.streams).toHaveLength(1);
  });

  it("an mp3 with cover art as audio: the picture is listed as an attachment, not video", async () => {
    const path = await media.makeAudioWithCoverArt(dir);
    const result = await prober().probe(ref(path), limits);
    expect(result).toMatchObject({ kind: "audio", hasVideo: false, hasAudio: true });
    expect(result.streams.map((s) => s.type).sort()).toEqual(["attachment", "audio"]);
  });

  it("a complete MP4 whose headers claim 100 h for 5 s of samples: the 5 s, with a note saying why", async () => {
    const made = await bad.makeLyingDurationMp4(dir);
    const result = await prober().probe(ref(made.path), limits);
    expect(result).toMatchObject({ kind: "video", hasVideo: true, hasAudio: true });
    expect(Math.abs(result.durationMs - made.realMs)).toBeLessThan(100);
    expect(result.engine.note).toMatch(/header declares 100 h 0 min, but its tracks hold 5 s: the 5 s that are there were analysed/);
    // The same file with honest headers carries no note.
    const honest = await prober().probe(ref(join(dir, "honest-lying-duration.mp4")), limits);
    expect([honest.durationMs, honest.engine.note]).toEqual([result.durationMs, undefined]);
  });

  it("a file name with spaces, quotes and unicode", async () => {
    const made = await media.makeCutVideo(dir, { name: `it's a "clip" – été 映像 -x.mp4`, segments: [1] });
    const result = await prober().probe(ref(made.path), limits);
    expect(result.kind).toBe("video");
  });
});

describe("createFfprobeProber rejects", () => {
  it("a zero-byte upload as empty", async () => {
    const error = await rejection(await media.makeEmptyFile(dir));
    expect(error.reason).toBe("empty");
    expect(error.message).toMatch(/empty \(0 bytes\).*upload it again/);
  });

  it("a file over maxBytes as too-large without running ffprobe", async () => {
    const notMedia = await media.makeRandomBytes(dir, 4096);
    const error = await rejection(notMedia, { ...limits, maxBytes: 1000 });
    expect(error.reason).toBe("too-large");
    expect(error.message).toMatch(/4\.0 KB, over the 1000 bytes limit/);
  });

  it("a video over maxDurationMs as too-long", async () => {
    const made = await media.makeCutVideo(dir, { name: "long.mp4", segments: [3] });
    const error = await rejection(made.path, { ...limits, maxDurationMs: 2000 });
    expect(error.reason).toBe("too-long");
    expect(error.message).toMatch(/3 s long, over the 2 s limit: trim it/);
  });

  it("an absurd declared duration as too-long and says the header is damaged", async () => {
    const error = await rejection(await media.makeAbsurdDuration(dir));
    expect(error.reason).toBe("too-long");
    expect(error.message).toMatch(/317 years .* not plausible/);
  });

  it("text renamed .mp4 as not-media", async () => {
    const error = await rejection(await media.makeTextAsMp4(dir));
    expect(error.reason).toBe("not-media");
    expect(error.message).toMatch(/not an audio or video file/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("a PNG or JPEG renamed .mp4 as not-media, saying it is a still image", async () => {
    for (const [file, codec] of [[await bad.makeImageAsMp4(dir, "png"), "png"], [await bad.makeImageAsMp4(dir, "jpg"), "mjpeg"]] as const) {
      const error = await rejection(file);
      expect([error.reason, error.message]).toEqual(["not-media", `${basename(file)} is a still image (${codec}), not audio or video: upload the video or recording itself.`]);
    }
  });

  it("random bytes as not-media", async () => {
    const error = await rejection(await media.makeRandomBytes(dir));
    expect(error.reason).toBe("not-media");
  });

  it("the first half of an MP4 (index at the end) as truncated", async () => {
    const error = await rejection(await media.makeTruncatedMp4(dir));
    expect(error.reason).toBe("truncated");
    expect(error.message).toMatch(/cut short.*Upload the complete file again/);
  });

  it("the first half of a faststart MP4 (index intact, data missing) as truncated", async () => {
    const error = await rejection(await media.makeTruncatedMp4(dir, { faststart: true }));
    expect(error.reason).toBe("truncated");
    expect(error.message).toMatch(/'mdat' box declares/);
  });

  it("a WAV whose data ends before its RIFF header says as truncated", async () => {
    const error = await rejection(await media.makeTruncatedWav(dir));
    expect(error.reason).toBe("truncated");
    expect(error.message).toMatch(/its WAVE header declares 689 KB but only 230 KB are there/);
  });

  it("the first half of a Matroska file as truncated (tail read past the declared duration)", async () => {
    const error = await rejection(await media.makeTruncatedMkv(dir));
    expect(error.reason).toBe("truncated");
    expect(error.message).toMatch(/declares 6 s, but its data ends before that/);
  });

  it("the first half of an MP3 whose Xing header declares the full length as truncated", async () => {
    const error = await rejection(await media.makeTruncatedMp3(dir));
    expect(error.reason).toBe("truncated");
    expect(error.message).toMatch(/declares 10 s, but its data ends before that/);
  });

  it("a file with only subtitles as no-usable-stream", async () => {
    const error = await rejection(await media.makeSubtitlesOnly(dir));
    expect(error.reason).toBe("no-usable-stream");
    expect(error.message).toMatch(/no audio or video \(found: subtitle\)/);
  });

  it("a zero-length audio file as no-usable-stream", async () => {
    const error = await rejection(await media.makeZeroLengthAudio(dir));
    expect(error.reason).toBe("no-usable-stream");
    expect(error.message).toMatch(/audio stream of 0 s/);
  });

  it("a codec ffmpeg cannot decode as unsupported", async () => {
    const error = await rejection(await media.makeUnknownCodec(dir));
    expect(error.reason).toBe("unsupported");
    expect(error.message).toMatch(/cannot decode .*re-encode it/);
  });
});

describe("createFfprobeProber rejects, with a message that says what is wrong", () => {
  it("Sonic audio, which ffmpeg identifies but only decodes experimentally, as unsupported (not as 'not media')", async () => {
    const error = await rejection(await bad.makeSonicAudio(dir));
    expect(error.reason).toBe("unsupported");
    expect(error.message).toMatch(/uses the sonic codec, which this ffmpeg only has an experimental decoder for.*re-encode it/);
  });

  it("an Ogg file cut inside a page, or exactly between pages, as truncated (ffprobe alone reports a shorter, complete file)", async () => {
    const inside = await rejection(await bad.makeTruncatedOgg(dir));
    expect([inside.reason, inside.message]).toEqual(["truncated", expect.stringMatching(/cut short: it stops inside an Ogg page at byte \d+/)]);
    for (const opus of [false, true]) {
      const between = await rejection(await bad.makeTruncatedOgg(dir, { opus, atPageBoundary: true }));
      expect([between.reason, between.message]).toEqual(["truncated", expect.stringMatching(/last Ogg page is not marked as the end of the stream/)]);
    }
  });

  it("recordings with a header and no samples, in every audio container, as no-usable-stream", async () => {
    const expected = {
      ogg: /holds only its Ogg stream headers and no audio or video \(0 s\)/,
      opus: /holds only its Ogg stream headers and no audio or video \(0 s\)/,
      mp3: /starts like an MP3 file, but ffmpeg finds no audio or video in it that it can read: it holds a header without samples/,
      flac: /has an audio stream of 0 s, so nothing to listen to/,
      m4a: /has no audio or video \(found: no streams at all\)/,
    };
    for (const [format, message] of Object.entries(expected)) {
      const error = await rejection(await bad.makeZeroLengthAudioIn(dir, format as keyof typeof expected));
      expect([format, error.reason, error.message]).toEqual([format, "no-usable-stream", expect.stringMatching(message)]);
    }
  });
});

describe("inspectContainer", () => {
  it("walks a complete MP4 without finding truncation", async () => {
    const made = await media.makeCutVideo(dir, { name: "walk.mp4", segments: [1] });
    const copy = join(dir, "walk copy.mp4");
    await copyFile(made.path, copy);
    expect(await inspectContainer(copy, await media.sizeOf(copy))).toEqual({ isoBmff: true, verified: true });
  });
});

// The npm installer packages are dependencies: if they are missing, the install is broken and this fails.
const require = createRequire(import.meta.url);
const npmBinaries: FfmpegBinaries = {
  ffmpegPath: require("@ffmpeg-installer/ffmpeg").path as string,
  ffprobePath: require("@ffprobe-installer/ffprobe").path as string,
  version: "npm",
  origin: "npm",
};

describe("createFfprobeProber with the npm installer binaries", () => {
  const npmProber = () => createFfprobeProber({ pathOf, binaries: npmBinaries });
  it("accepts a video and classifies the bad inputs the same way", async () => {
    const made = await media.makeCutVideo(dir, { name: "npm.mp4", segments: [1, 1] });
    expect(await npmProber().probe(ref(made.path), limits)).toMatchObject({ kind: "video", hasAudio: true, engine: { settings: { origin: "npm" } } });
    const cases: Array<[Promise<string>, string]> = [
      [media.makeTextAsMp4(dir), "not-media"],
      [media.makeTruncatedMp4(dir), "truncated"],
      [media.makeTruncatedMkv(dir), "truncated"],
      [media.makeTruncatedMp3(dir), "truncated"],
      [media.makeUnknownCodec(dir), "unsupported"],
      [media.makeSubtitlesOnly(dir), "no-usable-stream"],
      [bad.makeSonicAudio(dir, "sonic-npm.mkv"), "unsupported"],
      [bad.makeTruncatedOgg(dir, { atPageBoundary: true }), "truncated"],
      [bad.makeZeroLengthAudioIn(dir, "mp3"), "no-usable-stream"],
    ];
    for (const [made, reason] of cases) {
      const path = await made;
      const error = await npmProber().probe(ref(path), limits).catch((e: unknown) => e);
      expect([basename(path), (error as MediaRejectedError).reason]).toEqual([basename(path), reason]);
    }
    const lying = await bad.makeLyingDurationMp4(dir, 100, "lying-npm.mp4");
    // ffprobe 4.1 already reports the tracks' 5 s as the file's duration, so there is nothing to note.
    expect((await npmProber().probe(ref(lying.path), limits)).durationMs).toBeCloseTo(lying.realMs, -2);
  });
});

const ffmpeg = (args: string[]) =>
  new Promise<void>((resolve, reject) => execFile("ffmpeg", ["-v", "error", "-nostdin", "-y", ...args], (e) => (e ? reject(e) : resolve())));

describe("createFfprobeProber for the cloud's video decisions", () => {
  // (MPEG-TS is left out: that ffprobe build crashes on it, whatever the probe asks.)
  it("accepts complete WebM and Matroska with the npm ffprobe the Lambda layer ships, as with Debian's", async () => {
    const npmProber = createFfprobeProber({ pathOf, binaries: npmBinaries });
    const webm = join(dir, "layer.webm");
    await ffmpeg(["-f", "lavfi", "-t", "4", "-i", "testsrc2=s=320x180:r=25", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", webm]);
    for (const name of ["layer.webm", "layer.mkv"]) {
      if (name !== "layer.webm") await media.makeCutVideo(dir, { name, segments: [2, 2], audio: false });
      const result = await npmProber.probe(ref(join(dir, name)), limits).catch((e: unknown) => e);
      expect([name, (result as { kind?: string }).kind ?? (result as Error).message]).toEqual([name, "video"]);
    }
  });

  it("reports the ISO brand that tells MP4, MOV and 3GP apart", async () => {
    const made = await media.makeCutVideo(dir, { name: "brand.mp4", segments: [1] });
    for (const [ext, brand] of [["mp4", /^isom$/], ["mov", /^qt {2}$/], ["3gp", /^3gp\d$/]] as const) {
      const out = join(dir, `brand-out.${ext}`);
      await ffmpeg(["-i", made.path, "-c", "copy", out]);
      expect((await prober().probe(ref(out), limits)).brand).toMatch(brand);
    }
  });
});
