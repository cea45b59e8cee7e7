import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * More bad inputs, each made honestly with ffmpeg (and, where a header must lie, by patching the
 * exact field ffmpeg wrote): nothing downloaded. The common ones live in media.ts.
 */

const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";

async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args], { maxBuffer: 16 << 20 });
}

/**
 * Sonic audio in Matroska: a real codec ffmpeg can encode, and identifies on reading, but whose decoder
 * is marked experimental, so ffprobe and ffmpeg refuse it without `-strict experimental`.
 */
export async function makeSonicAudio(dir: string, name = "sonic.mkv"): Promise<string> {
  const path = join(dir, name);
  await ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "sonic", "-strict", "experimental", path]);
  return path;
}

/**
 * A complete 5 s MP4 (H.264 + AAC) whose movie header (mvhd) and media headers (mdhd, tkhd) were
 * patched to claim `hours`: the boxes still add up and the sample tables still hold 5 s. Timescales
 * are chosen (1000 for video, 8 kHz audio) so that 100 h fits the 32-bit fields ffmpeg writes.
 */
export async function makeLyingDurationMp4(dir: string, hours = 100, name = "lying-duration.mp4"): Promise<{ path: string; realMs: number; claimedMs: number }> {
  const source = join(dir, `honest-${name}`);
  await ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=s=160x90:r=10:d=5", "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=8000:duration=5",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k", "-video_track_timescale", "1000", source,
  ]);
  const bytes = await readFile(source);
  let patched = 0;
  const walk = (start: number, end: number) => {
    for (let at = start; at + 8 <= end; ) {
      const size = bytes.readUInt32BE(at);
      const type = bytes.toString("latin1", at + 4, at + 8);
      if (size < 8) throw new Error(`unexpected box size ${size} at ${at}`);
      if (["moov", "trak", "mdia"].includes(type)) walk(at + 8, at + size);
      if (type === "mvhd" || type === "mdhd" || type === "tkhd") {
        const body = at + 8;
        if (bytes[body] !== 0) throw new Error(`${type} is version ${bytes[body]}; expected 0`);
        // v0 layouts: mvhd/mdhd … timescale @12, duration @16; tkhd … duration @20 in the movie timescale.
        const timescale = type === "tkhd" ? 1000 : bytes.readUInt32BE(body + 12);
        bytes.writeUInt32BE(hours * 3600 * timescale, body + (type === "tkhd" ? 20 : 16));
        patched += 1;
      }
      at += size;
    }
  };
  walk(0, bytes.length);
  if (patched !== 5) throw new Error(`patched ${patched} headers; expected mvhd + 2 × (tkhd, mdhd)`);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, realMs: 5000, claimedMs: hours * 3600_000 };
}

/** A single PNG or JPEG frame saved under a `.mp4` name. */
export async function makeImageAsMp4(dir: string, format: "png" | "jpg"): Promise<string> {
  const image = join(dir, `frame.${format}`);
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", image]);
  const path = join(dir, `photo-${format}.mp4`);
  await writeFile(path, await readFile(image));
  return path;
}

/** A complete Ogg file (Vorbis, or Opus for `.opus`) of `seconds`. */
async function makeOgg(dir: string, name: string, seconds: number): Promise<string> {
  const path = join(dir, name);
  const codec = name.endsWith(".opus") ? ["-c:a", "libopus", "-b:a", "24k"] : ["-c:a", "libvorbis", "-q:a", "2"];
  await ffmpeg(["-f", "lavfi", "-i", `sine=frequency=500:sample_rate=48000:duration=${seconds}`, ...codec, path]);
  return path;
}

/** Start offsets of the Ogg pages of a file ffmpeg wrote (walked from the first page). */
function oggPages(bytes: Buffer): number[] {
  const pages: number[] = [];
  for (let at = 0; at + 27 <= bytes.length && bytes.toString("latin1", at, at + 4) === "OggS"; ) {
    pages.push(at);
    const segments = bytes[at + 26]!;
    let size = 27 + segments;
    for (let i = 0; i < segments; i += 1) size += bytes[at + 27 + i]!;
    at += size;
  }
  return pages;
}

/**
 * The first half of an Ogg file. Ogg declares no total, so ffprobe reports what is there as if it were
 * all; `atPageBoundary` cuts exactly between two pages, so no partial page gives it away either.
 */
export async function makeTruncatedOgg(dir: string, options: { opus?: boolean; atPageBoundary?: boolean } = {}): Promise<string> {
  const ext = options.opus ? "opus" : "ogg";
  const full = await makeOgg(dir, `full-6s.${ext}`, 6);
  const bytes = await readFile(full);
  const half = Math.floor(bytes.length / 2);
  const cut = options.atPageBoundary ? oggPages(bytes).find((p) => p >= half) : half;
  if (cut === undefined || cut >= bytes.length) throw new Error("no page boundary in the second half");
  const path = join(dir, `truncated${options.atPageBoundary ? "-at-page" : ""}.${ext}`);
  await writeFile(path, bytes.subarray(0, cut));
  return path;
}

/** Audio files with a header and not one sample, as recorders leave them when stopped at once. */
export async function makeZeroLengthAudioIn(dir: string, format: "ogg" | "opus" | "mp3" | "flac" | "m4a"): Promise<string> {
  const codecs = { ogg: "libvorbis", opus: "libopus", mp3: "libmp3lame", flac: "flac", m4a: "aac" } as const;
  const path = join(dir, `empty-recording.${format}`);
  await ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "0", "-c:a", codecs[format], path]);
  return path;
}

/**
 * A 2-hour video that is big on disk but quick to make and to decode: 10 s of 64×36 video at 1 fps
 * with uncompressed 22.05 kHz stereo audio (~88 KB/s), looped with `-c copy`, so ffmpeg only copies
 * packets. About 630 MB: far more than the memory bound the test asserts, so a reader that loads the
 * file whole cannot pass.
 */
export async function makeTwoHourVideo(dir: string, name = "two-hours.mkv"): Promise<{ path: string; durationMs: number }> {
  const piece = join(dir, "piece-10s.mkv");
  await ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=s=64x36:r=1:d=10", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=22050:duration=10",
    "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "pcm_s16le", piece,
  ]);
  const path = join(dir, name);
  await ffmpeg(["-stream_loop", "719", "-i", piece, "-c", "copy", path]);
  return { path, durationMs: 7200_000 };
}
