import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { skimageDataDir } from "../../../packages/local/test-support/test-frames.js";

const run = promisify(execFile);

/*
 * Short videos for the Rekognition emulator tests, made with ffmpeg on the spot: real photographs
 * (Debian's python3-skimage) so the object model has something to find, a black second for the
 * technical cues, and the codecs Rekognition Video cannot read.
 */

async function ffmpeg(args: string[]): Promise<void> {
  await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args], { maxBuffer: 16 << 20 });
}

export function photoDir(): string {
  const dir = skimageDataDir();
  if (!dir) throw new Error("python3-skimage's photographs are needed (apt-get install python3-skimage); the test is never skipped.");
  return dir;
}

const FIT = "scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p";

/**
 * H.264 + AAC MP4, 640×360 at 25 fps: the astronaut (0–2 s), black (2–3 s), a motorcycle (3–5 s).
 * Cuts at 2 s and 3 s; the black second is BlackFrames.
 */
export async function makePhotoVideo(dir: string): Promise<{ path: string; cutsMs: number[]; blackMs: [number, number] }> {
  const photos = photoDir();
  const out = path.join(dir, "photos.mp4");
  await ffmpeg([
    "-loop", "1", "-t", "2", "-i", path.join(photos, "astronaut.png"),
    "-f", "lavfi", "-t", "1", "-i", "color=c=black:s=640x360:r=25",
    "-loop", "1", "-t", "2", "-i", path.join(photos, "motorcycle_left.png"),
    "-f", "lavfi", "-t", "5", "-i", "sine=frequency=440:sample_rate=44100",
    "-filter_complex", `[0:v]${FIT}[a];[1:v]${FIT}[b];[2:v]${FIT}[c];[a][b][c]concat=n=3:v=1:a=0[v]`,
    "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-c:a", "aac", "-b:a", "48k", "-shortest", out,
  ]);
  return { path: out, cutsMs: [2000, 3000], blackMs: [2000, 3000] };
}

/** One second of test pattern in a codec/container Rekognition Video cannot read. */
export async function makeUnreadableVideo(dir: string, kind: "vp9-webm" | "hevc-mp4"): Promise<string> {
  const out = path.join(dir, kind === "vp9-webm" ? "clip.webm" : "clip-hevc.mp4");
  const codec = kind === "vp9-webm" ? ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"] : ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1"];
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=1", "-pix_fmt", "yuv420p", ...codec, out]);
  return out;
}

/** A photograph as JPEG (as the frames mode sends) and as the PNG it ships as. */
export async function photoImage(dir: string, name: string): Promise<{ jpeg: string; png: string }> {
  const png = path.join(photoDir(), `${name}.png`);
  const jpeg = path.join(dir, `${name}.jpg`);
  await ffmpeg(["-i", png, "-frames:v", "1", "-q:v", "3", jpeg]);
  return { jpeg, png };
}
