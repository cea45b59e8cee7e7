import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fileInput } from "./binaries.js";
import { chooseKeyframeStrategy, extractKeyframes } from "./keyframes.js";

/*
 * Keyframes of known shots without decoding the whole video: by seeking (the frame each shot opens
 * with) or by one pass over the key frames only. Real ffmpeg on generated media.
 */

let dir: string;
/** 4 s at 25 fps: a moving test pattern, a hard cut at 2 s (frame 50), colour bars. */
let fastClip: string;
/** The same pictures encoded with scene-cut detection, which puts a key frame at the cut. */
let cutClip: string;
const shots = [{ index: 0, startMs: 0, endMs: 2000 }, { index: 1, startMs: 2000, endMs: 4000 }];

function encode(name: string, preset: string): string {
  const file = path.join(dir, name);
  execFileSync("ffmpeg", [
    "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-t", "2", "-i", "testsrc2=s=320x180:r=25", "-f", "lavfi", "-t", "2", "-i", "smptebars=s=320x180:r=25",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-c:v", "libx264", "-preset", preset, file,
  ]);
  return file;
}

/** The average colour of a picture (an image file, or frame `n` of a video decoded in full). */
function meanColour(file: string, n?: number): number[] {
  const select = n === undefined ? [] : ["-vf", `select=eq(n\\,${n})`, "-vsync", "0"];
  const rgb = execFileSync("ffmpeg", ["-v", "error", "-i", file, ...select, "-frames:v", "1", "-vf", `${n === undefined ? "" : `select=eq(n\\,${n}),`}scale=1:1`, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
  return [...rgb.subarray(0, 3)];
}

const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 6);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "keyframes-"));
  fastClip = encode("fast.mp4", "ultrafast"); // ultrafast turns scene-cut detection off: one key frame, at 0
  cutClip = encode("cut.mp4", "medium");
}, 60_000);

describe("keyframes of known shots", () => {
  it("seeks to the very frame each shot opens with, as the local detector keeps it", async () => {
    const { frames, engine } = await extractKeyframes(shots, { input: fileInput(fastClip), outDir: path.join(dir, "seek"), strategy: "seek" });
    expect(frames.map((f) => [f.index, f.timestampMs])).toEqual([[0, 0], [1, 2000]]);
    expect(close(meanColour(frames[0]!.file), meanColour(fastClip, 0))).toBe(true);
    expect(close(meanColour(frames[1]!.file), meanColour(fastClip, 50))).toBe(true);
    expect(close(meanColour(frames[1]!.file), meanColour(fastClip, 49))).toBe(false);
    expect(readFileSync(frames[1]!.file).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(engine.settings).toMatchObject({ strategy: "seek", maxWidth: 640 });
  });

  it("with one pass over the key frames, takes the key frame at the cut when the encoder put one there", async () => {
    const { frames, engine } = await extractKeyframes(shots, { input: fileInput(cutClip), outDir: path.join(dir, "pass-cut"), strategy: "pass" });
    expect(frames.map((f) => [f.index, f.timestampMs])).toEqual([[0, 0], [1, 2000]]);
    expect(close(meanColour(frames[1]!.file), meanColour(cutClip, 50))).toBe(true);
    expect(engine).toMatchObject({ settings: { strategy: "pass", approximate: 0 } });
    expect(engine.note).toBeUndefined();
  });

  it("says so when a shot holds no key frame and the pass had to take the nearest one", async () => {
    const { frames, engine } = await extractKeyframes(shots, { input: fileInput(fastClip), outDir: path.join(dir, "pass-fast"), strategy: "pass" });
    expect(frames.map((f) => [f.index, f.timestampMs])).toEqual([[0, 0], [1, 0]]);
    expect(engine).toMatchObject({ settings: { approximate: 1 }, note: "1 of 2 shots hold no key frame; each shows the key frame nearest its start." });
  });

  it("seeks when that reads less than the file and fits the time, and passes over the key frames otherwise", () => {
    const hour = 3_600_000;
    expect(chooseKeyframeStrategy({ shots: 40, durationMs: hour, sizeBytes: 2e9, budgetMs: 600_000, concurrency: 4 })).toBe("seek");
    // 5,000 shots in 4 h: every seek reads the 12 MB index again, 60 GB in all, more than the 8 GB file.
    expect(chooseKeyframeStrategy({ shots: 5000, durationMs: 4 * hour, sizeBytes: 8e9, budgetMs: 600_000, concurrency: 4 })).toBe("pass");
    // Few bytes, but not the time: 3,000 seeks at 1 s, 4 at a time, is over half of 10 minutes.
    expect(chooseKeyframeStrategy({ shots: 3000, durationMs: 20 * 60_000, sizeBytes: 1e10, budgetMs: 600_000, concurrency: 4 })).toBe("pass");
  });
});
