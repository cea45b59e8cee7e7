import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ObjectRef } from "@media-pipeline/core";
import type { DecodedFrame, FrameSet, FrameSource, PathOf } from "@media-pipeline/media";

/**
 * Test support for the vision engines (used by the *.test.ts files beside it, not by the runtime):
 * real photographs from Debian's python3-skimage turned into frame JPEGs, and a fake FrameSource.
 */

/** The skimage data folder, or undefined when python3-skimage is not installed. */
export function skimageDataDir(): string | undefined {
  // Debian's python3 first: a pyenv python3 on PATH usually lacks the Debian package.
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const dir = execFileSync(python, ["-c", "import skimage.data,os;print(os.path.dirname(skimage.data.__file__))"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
      if (dir && existsSync(join(dir, "astronaut.png"))) return dir;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

export interface TestFrames {
  dir: string;
  pathOf: PathOf;
  /** One frame per photo name, 1 s apart, in the order asked; "grey" is a flat grey 640×360 frame. */
  frames: DecodedFrame[];
  byName: Record<string, DecodedFrame>;
}

/** Converts skimage PNGs to JPEG frames with ffmpeg, as the real frame source would write them. */
export function makeTestFrames(dataDir: string, names: readonly string[]): TestFrames {
  const dir = mkdtempSync(join(tmpdir(), "vision-frames-"));
  const frames: DecodedFrame[] = names.map((name, i) => {
    const key = `frames/${i}-${name}.jpg`;
    const out = join(dir, `${i}-${name}.jpg`);
    const input = name === "grey" ? ["-f", "lavfi", "-i", "color=c=gray:s=640x360"] : ["-i", join(dataDir, `${name}.png`)];
    execFileSync("ffmpeg", ["-loglevel", "error", "-y", ...input, "-frames:v", "1", "-q:v", "3", out]);
    const [width, height] = execFileSync(
      "ffprobe",
      ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", out],
      { encoding: "utf8" },
    )
      .trim()
      .split(",")
      .map(Number);
    return { timestampMs: i * 1000, shotIndex: i, keyframe: true, frame: { bucket: "media", key }, width, height };
  });
  const pathOf: PathOf = (ref: ObjectRef) => join(dir, ref.key.replace(/^frames\//, ""));
  return { dir, pathOf, frames, byName: Object.fromEntries(names.map((n, i) => [n, frames[i]])) };
}

/** A FrameSource that hands out prepared frames per mediaId and counts its calls. */
export function fakeFrameSource(byMedia: Record<string, DecodedFrame[]>): FrameSource & { calls: number } {
  const source = {
    calls: 0,
    async frames(mediaId: string, _source: ObjectRef, onProgress?: (fraction: number) => void): Promise<FrameSet> {
      source.calls += 1;
      const frames = byMedia[mediaId];
      if (!frames) throw new Error(`no frames prepared for ${mediaId}`);
      onProgress?.(1);
      const durationMs = (frames.at(-1)?.timestampMs ?? 0) + 1000;
      return {
        durationMs,
        width: frames[0]?.width ?? 0,
        height: frames[0]?.height ?? 0,
        cuts: frames.filter((f) => f.keyframe).map((f) => ({ timestampMs: f.timestampMs, score: 1 })),
        frames,
        engine: { name: "fake-frame-source", version: "0" },
      };
    },
  };
  return source;
}
