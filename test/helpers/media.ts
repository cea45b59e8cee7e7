import { execFile } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Test media made on the spot with ffmpeg's lavfi sources: nothing is downloaded, every file is small
 * and takes well under a few seconds, and the cut times are known exactly because we put them there.
 */

const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";

async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args], { maxBuffer: 16 << 20 });
}

/** Visual sources chosen so that every neighbouring pair differs strongly (scene score well over 0.3). */
const SEGMENT_SOURCES = [
  (s: string, r: number) => `testsrc2=s=${s}:r=${r}`,
  (s: string, r: number) => `mandelbrot=s=${s}:r=${r}`,
  (s: string, r: number) => `smptebars=s=${s}:r=${r}`,
  (s: string, r: number) => `color=c=0xe0d040:s=${s}:r=${r}`,
  (s: string, r: number) => `rgbtestsrc=s=${s}:r=${r}`,
  (s: string, r: number) => `color=c=0xf0f0f0:s=${s}:r=${r}`,
];

export interface CutVideoOptions {
  /** File name inside the directory (may contain spaces, quotes, unicode). */
  name?: string;
  /** Length of each shot in seconds; the number of hard cuts is `segments.length - 1`. */
  segments?: number[];
  audio?: "sine" | "noise" | false;
  width?: number;
  height?: number;
  fps?: number;
}

export interface MadeMedia {
  path: string;
  durationMs: number;
  /** Times of the hard cuts (not counting t = 0). */
  cutsMs: number[];
}

/** A video of hard cuts between unlike test patterns, H.264 (+ AAC when `audio`) in MP4. */
export async function makeCutVideo(dir: string, options: CutVideoOptions = {}): Promise<MadeMedia> {
  const { name = "cuts.mp4", segments = [3, 2, 5, 2], audio = "sine", width = 320, height = 180, fps = 25 } = options;
  const size = `${width}x${height}`;
  const args: string[] = [];
  segments.forEach((seconds, i) => args.push("-f", "lavfi", "-t", String(seconds), "-i", SEGMENT_SOURCES[i % SEGMENT_SOURCES.length](size, fps)));
  const total = segments.reduce((a, b) => a + b, 0);
  const inputs = segments.map((_, i) => `[${i}:v]`).join("");
  if (audio) {
    const src = audio === "sine" ? "sine=frequency=440:sample_rate=44100" : "anoisesrc=color=pink:seed=7:amplitude=0.2:sample_rate=44100";
    args.push("-f", "lavfi", "-t", String(total), "-i", src);
  }
  args.push("-filter_complex", `${inputs}concat=n=${segments.length}:v=1:a=0,format=yuv420p[v]`, "-map", "[v]");
  if (audio) args.push("-map", `${segments.length}:a`, "-c:a", "aac", "-b:a", "48k");
  const path = join(dir, name);
  args.push("-c:v", "libx264", "-preset", "ultrafast", "-crf", "32", "-t", String(total), path);
  await ffmpeg(args);
  const cutsMs: number[] = [];
  segments.slice(0, -1).reduce((at, seconds) => (cutsMs.push((at + seconds) * 1000), at + seconds), 0);
  return { path, durationMs: total * 1000, cutsMs };
}

/** A video with no audio track. */
export function makeVideoOnly(dir: string, options: CutVideoOptions = {}): Promise<MadeMedia> {
  return makeCutVideo(dir, { name: "video-only.mp4", ...options, audio: false });
}

const AUDIO_CODECS = {
  wav: ["-c:a", "pcm_s16le"],
  m4a: ["-c:a", "aac", "-b:a", "48k"],
  aac: ["-c:a", "aac", "-b:a", "48k", "-f", "adts"], // raw ADTS: the duration is only estimated
  mp3: ["-c:a", "libmp3lame", "-b:a", "64k"],
  flac: ["-c:a", "flac"],
  ogg: ["-c:a", "libvorbis", "-q:a", "2"],
} as const;

/** Audio only: a sine tone as WAV, M4A, raw AAC, MP3, FLAC or Ogg Vorbis (44.1 kHz stereo unless told). */
export async function makeAudioOnly(
  dir: string, format: keyof typeof AUDIO_CODECS = "wav", seconds = 3, options: { sampleRate?: number; channels?: number } = {},
): Promise<MadeMedia> {
  const { sampleRate = 44_100, channels = 2 } = options;
  const path = join(dir, `tone.${format}`);
  const codec = AUDIO_CODECS[format];
  await ffmpeg(["-f", "lavfi", "-i", `sine=frequency=330:sample_rate=${sampleRate}:duration=${seconds}`, "-ac", String(channels), ...codec, path]);
  return { path, durationMs: seconds * 1000, cutsMs: [] };
}

/** For benchmarks: e.g. 600 s of 1280x720 H.264 + AAC, with a cut every `shotSeconds`. */
export async function makeLongVideo(
  dir: string,
  options: { seconds?: number; width?: number; height?: number; shotSeconds?: number; name?: string } = {},
): Promise<MadeMedia> {
  const { seconds = 600, width = 1280, height = 720, shotSeconds = 10, name = `long-${seconds}s-${height}p.mp4` } = options;
  const path = join(dir, name);
  // testsrc2 moves a little every frame; negating the picture every other shot is a hard cut in luma,
  // which is what the scene score looks at (a hue jump is not).
  const cut = `negate=enable='mod(floor(t/${shotSeconds}),2)'`;
  await ffmpeg([
    "-f", "lavfi", "-i", `testsrc2=s=${width}x${height}:r=25:d=${seconds}`,
    "-f", "lavfi", "-i", `sine=frequency=220:sample_rate=44100:duration=${seconds}`,
    "-vf", `${cut},format=yuv420p`, "-c:v", "libx264", "-preset", "veryfast", "-crf", "30",
    "-c:a", "aac", "-b:a", "64k", "-shortest", path,
  ]);
  const cutsMs = Array.from({ length: Math.ceil(seconds / shotSeconds) - 1 }, (_, i) => (i + 1) * shotSeconds * 1000);
  return { path, durationMs: seconds * 1000, cutsMs };
}

// ---- bad inputs ---------------------------------------------------------------------------------

export async function makeEmptyFile(dir: string, name = "empty.mp4"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, Buffer.alloc(0));
  return path;
}

/**
 * The first half of a real MP4. With `faststart` the index is at the front, so the container still
 * parses and reports the full duration: only the data is missing.
 */
export async function makeTruncatedMp4(dir: string, options: { faststart?: boolean } = {}): Promise<string> {
  const full = await makeCutVideo(dir, { name: options.faststart ? "full-fs.mp4" : "full.mp4", segments: [2, 2] });
  if (options.faststart) await ffmpeg(["-i", full.path, "-c", "copy", "-movflags", "+faststart", `${full.path}.fs.mp4`]);
  const bytes = await readFile(options.faststart ? `${full.path}.fs.mp4` : full.path);
  const path = join(dir, options.faststart ? "truncated-faststart.mp4" : "truncated.mp4");
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return path;
}

/** A truncated WAV: its header still declares the full length. */
export async function makeTruncatedWav(dir: string): Promise<string> {
  const full = await makeAudioOnly(dir, "wav", 4);
  const bytes = await readFile(full.path);
  const path = join(dir, "truncated.wav");
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 3)));
  return path;
}

/** The first half of a Matroska file: the header still declares the full duration, the cues are gone. */
export async function makeTruncatedMkv(dir: string): Promise<string> {
  const full = join(dir, "full.mkv");
  await ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=6", "-f", "lavfi", "-i", "sine=duration=6",
    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "32", "-c:a", "aac", full,
  ]);
  const bytes = await readFile(full);
  const path = join(dir, "truncated.mkv");
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return path;
}

/** The first half of an MP3: its Xing header still declares all 10 s. */
export async function makeTruncatedMp3(dir: string): Promise<string> {
  const full = join(dir, "full.mp3");
  await ffmpeg(["-f", "lavfi", "-i", "sine=frequency=500:duration=10", "-c:a", "libmp3lame", "-b:a", "64k", full]);
  const bytes = await readFile(full);
  const path = join(dir, "truncated.mp3");
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return path;
}

export async function makeTextAsMp4(dir: string): Promise<string> {
  const path = join(dir, "notes.mp4");
  await writeFile(path, "Meeting notes\n- this is a text file that somebody renamed to .mp4\n".repeat(20));
  return path;
}

/** Pseudo-random bytes from a fixed seed, so the test never meets a lucky valid header. */
export async function makeRandomBytes(dir: string, bytes = 64 * 1024, seed = 42): Promise<string> {
  const path = join(dir, "random.mp4");
  const data = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  await writeFile(path, data);
  return path;
}

/** An MKV whose video codec ID was rewritten to one no ffmpeg knows (same length, so the file stays valid). */
export async function makeUnknownCodec(dir: string): Promise<string> {
  const source = join(dir, "h264-for-unknown.mkv");
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=2", "-c:v", "libx264", "-preset", "ultrafast", source]);
  const bytes = await readFile(source);
  const at = bytes.indexOf("V_MPEG4/ISO/AVC", 0, "latin1");
  if (at < 0) throw new Error("codec ID not found in the MKV");
  bytes.write("V_QQQQQ/QQQ/QQQ", at, "latin1");
  const path = join(dir, "unknown-codec.mkv");
  await writeFile(path, bytes);
  return path;
}

/** An MKV whose header claims 10^10 seconds (~317 years) for 2 s of data. */
export async function makeAbsurdDuration(dir: string): Promise<string> {
  const source = join(dir, "short-for-absurd.mkv");
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=2", "-c:v", "libx264", "-preset", "ultrafast", source]);
  const bytes = await readFile(source);
  // Segment Info → Duration (EBML ID 0x4489), a float in TimecodeScale units (1 ms by default).
  const at = bytes.indexOf(Buffer.from([0x44, 0x89]));
  const size = bytes[at + 2] & 0x7f;
  if (size === 8) bytes.writeDoubleBE(1e13, at + 3);
  else bytes.writeFloatBE(1e13, at + 3);
  const path = join(dir, "absurd-duration.mkv");
  await writeFile(path, bytes);
  return path;
}

/** A WAV with a header and no samples. */
export async function makeZeroLengthAudio(dir: string): Promise<string> {
  const path = join(dir, "silence-0s.wav");
  await ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "0", "-c:a", "pcm_s16le", path]);
  return path;
}

/** An MKV that holds only subtitles. */
export async function makeSubtitlesOnly(dir: string): Promise<string> {
  const srt = join(dir, "subs.srt");
  await writeFile(srt, "1\n00:00:00,000 --> 00:00:02,000\nHello\n");
  const path = join(dir, "subtitles-only.mkv");
  await ffmpeg(["-i", srt, path]);
  return path;
}

/** An MP3 with cover art: audio, even though ffprobe lists the picture as a video stream. */
export async function makeAudioWithCoverArt(dir: string): Promise<string> {
  const cover = join(dir, "cover.png");
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x64:d=1", "-frames:v", "1", cover]);
  const path = join(dir, "song.mp3");
  await ffmpeg(["-i", cover, "-f", "lavfi", "-i", "sine=d=2", "-map", "0", "-map", "1", "-c:v", "mjpeg", "-disposition:v:0", "attached_pic", "-c:a", "libmp3lame", path]);
  return path;
}

export async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}
