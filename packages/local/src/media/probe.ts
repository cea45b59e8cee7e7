import { open, stat } from "node:fs/promises";
import {
  MediaRejectedError,
  ProbeResult,
  RetryableError,
  type MediaLimits,
  type MediaProber,
  type MediaStream,
  type ObjectRef,
} from "@media-pipeline/core";
import { binariesFrom, decodableCodecs, fileInput, runProcess, type SpawnFn } from "./binaries.js";
import type { FfmpegBinaries, PathOf } from "./types.js";

export interface FfprobeProberOptions {
  pathOf: PathOf;
  binaries?: FfmpegBinaries;
  spawn?: SpawnFn;
}

/**
 * Probes with ffprobe and turns every way a file can be unusable into a `MediaRejectedError` whose
 * message says what was found and what to do.
 * @example await createFfprobeProber({ pathOf }).probe(source, { maxBytes: 10e9, maxDurationMs: 6 * 3600_000 })
 */
export function createFfprobeProber(options: FfprobeProberOptions): MediaProber {
  const getBinaries = binariesFrom(options.binaries);
  return {
    async probe(source: ObjectRef, limits: MediaLimits): Promise<ProbeResult> {
      const path = options.pathOf(source);
      const name = source.key.split("/").pop() ?? source.key;
      const sizeBytes = await stat(path).then(
        (s) => s.size,
        (cause: unknown) => {
          // The upload may still be landing; not the media's fault, so let the stage retry.
          throw new RetryableError(`${name} could not be read (${(cause as Error).message})`, { cause });
        },
      );
      if (sizeBytes === 0) {
        throw new MediaRejectedError("empty", `${name} is empty (0 bytes): the upload probably failed; upload it again.`);
      }
      if (sizeBytes > limits.maxBytes) {
        throw new MediaRejectedError(
          "too-large",
          `${name} is ${formatBytes(sizeBytes)}, over the ${formatBytes(limits.maxBytes)} limit: trim or re-encode it at a lower bitrate.`,
        );
      }
      const binaries = await getBinaries();
      const box = await inspectContainer(path, sizeBytes);
      if (box.truncated) {
        throw new MediaRejectedError("truncated", `${name} is cut short: ${box.truncated}. Upload the complete file again.`);
      }
      const run = await runProcess(
        binaries.ffprobePath,
        ["-v", "warning", "-show_format", "-show_streams", "-of", "json", fileInput(path)],
        { timeoutMs: 120_000, spawn: options.spawn },
      );
      const stderr = run.stderr.trim();
      const cause = stderr ? new Error(stderr) : undefined;
      if (run.code !== 0) throw classifyFailure(name, stderr, box.isoBmff, cause);

      const json = JSON.parse(run.stdout || "{}") as FfprobeJson;
      const format = json.format ?? {};
      const codecs = await decodableCodecs(binaries, options.spawn);
      const streams = (json.streams ?? []).map(toMediaStream);
      const avStreams = (json.streams ?? []).filter((s) => isPrimary(s));
      const decodable = avStreams.filter((s) => s.codec_name && codecs.has(s.codec_name));
      if (avStreams.length > 0 && decodable.length === 0) {
        const list = avStreams.map((s) => `${s.codec_type} codec ${s.codec_name ?? s.codec_tag_string ?? "unknown"}`);
        throw new MediaRejectedError(
          "unsupported",
          `${name} uses a codec this ffmpeg cannot decode (${list.join(", ")}): re-encode it to H.264/AAC and upload again.`,
        );
      }
      const hasVideo = decodable.some((s) => s.codec_type === "video");
      const audio = decodable.filter((s) => s.codec_type === "audio");
      const durationMs = declaredDurationMs(format, json.streams ?? []);
      const hasAudio = audio.length > 0 && (durationMs ?? 0) > 0 && audio.some((s) => Number(s.channels ?? 1) > 0);
      if (!hasVideo && !hasAudio) throw noUsableStream(name, json.streams ?? [], durationMs);
      if (durationMs === undefined || durationMs <= 0) {
        throw new MediaRejectedError(
          "no-usable-stream",
          `${name} has ${hasVideo ? "video" : "audio"} but no length (0 s): nothing to analyse; check the export.`,
        );
      }
      if (durationMs > limits.maxDurationMs) {
        // A header can claim centuries for a few KB: say so rather than blame the person's video.
        const implausible = (sizeBytes * 1000) / durationMs < 16;
        throw new MediaRejectedError(
          "too-long",
          implausible
            ? `${name} declares a length of ${formatDuration(durationMs)} for only ${formatBytes(sizeBytes)}, which is not plausible: its header is probably damaged; re-export it.`
            : `${name} is ${formatDuration(durationMs)} long, over the ${formatDuration(limits.maxDurationMs)} limit: trim it or split it into parts.`,
        );
      }
      // The box/RIFF walk already proved the sizes add up; a duration estimated from the bitrate
      // (raw AAC, MP3 without a Xing header) shrinks with the file, so there is nothing to compare.
      const estimated = /Estimating duration from bitrate/i.test(stderr);
      if (!box.verified && !estimated && !(await readsToTheEnd(binaries, path, durationMs, options.spawn))) {
        throw new MediaRejectedError(
          "truncated",
          `${name} declares ${formatDuration(durationMs)}, but its data ends before that: the file is cut short. Upload the complete file again.`,
          { cause },
        );
      }
      return ProbeResult.parse({
        kind: hasVideo ? "video" : "audio",
        durationMs,
        sizeBytes,
        container: format.format_name ?? "unknown",
        streams,
        hasVideo,
        hasAudio,
        engine: { name: "ffprobe", version: binaries.version, settings: { origin: binaries.origin } },
      });
    },
  };
}

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  duration?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  bit_rate?: string;
  disposition?: { attached_pic?: number; timed_thumbnails?: number };
}
interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; size?: string };
}

/** Cover art and thumbnails are stored as video streams but are not video. */
function isCoverArt(s: FfprobeStream): boolean {
  return s.codec_type === "video" && (s.disposition?.attached_pic === 1 || s.disposition?.timed_thumbnails === 1);
}

function isPrimary(s: FfprobeStream): boolean {
  return (s.codec_type === "video" && !isCoverArt(s)) || s.codec_type === "audio";
}

function toMediaStream(s: FfprobeStream): MediaStream {
  const types = ["video", "audio", "subtitle", "data", "attachment"] as const;
  const type = isCoverArt(s) ? "attachment" : (types.find((t) => t === s.codec_type) ?? "unknown");
  const positiveInt = (v: unknown) => {
    const n = Math.round(Number(v));
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const seconds = Number(s.duration);
  return {
    index: s.index,
    type,
    codec: s.codec_name ?? "unknown",
    durationMs: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined,
    width: positiveInt(s.width),
    height: positiveInt(s.height),
    fps: type === "video" ? parseRate(s.avg_frame_rate) ?? parseRate(s.r_frame_rate) : undefined,
    sampleRate: positiveInt(s.sample_rate),
    channels: positiveInt(s.channels),
    bitRate: positiveInt(s.bit_rate),
  };
}

function parseRate(rate: string | undefined): number | undefined {
  const [num, den] = (rate ?? "").split("/").map(Number);
  const fps = den ? num / den : NaN;
  return Number.isFinite(fps) && fps > 0 ? Math.round(fps * 1000) / 1000 : undefined;
}

function declaredDurationMs(format: FfprobeJson["format"] & object, streams: FfprobeStream[]): number | undefined {
  const candidates = [format.duration, ...streams.filter(isPrimary).map((s) => s.duration)]
    .map(Number)
    .filter((n) => Number.isFinite(n) && n >= 0);
  return candidates.length ? Math.round(Math.max(...candidates) * 1000) : undefined;
}

function noUsableStream(name: string, streams: FfprobeStream[], durationMs: number | undefined): MediaRejectedError {
  const cover = streams.some(isCoverArt);
  const audio = streams.some((s) => s.codec_type === "audio");
  const found = streams.length === 0 ? "no streams at all" : streams.map((s) => (isCoverArt(s) ? "cover art" : s.codec_type)).join(", ");
  const what = audio
    ? `an audio stream of ${formatDuration(durationMs ?? 0)}${cover ? " and cover art" : ""}, so nothing to listen to`
    : cover
      ? "only cover art, no audio or video"
      : `no audio or video (found: ${found})`;
  return new MediaRejectedError("no-usable-stream", `${name} has ${what}: upload a file with sound or moving pictures.`);
}

function classifyFailure(name: string, stderr: string, isoBmff: boolean, cause: Error | undefined): Error {
  const lastLine = stderr.split("\n").filter(Boolean).pop() ?? "ffprobe failed";
  // Our problem, not the media's: let the stage retry (and an operator see it).
  if (/Permission denied|No such file|Too many open files|Cannot allocate memory/i.test(stderr)) {
    return new RetryableError(`ffprobe could not open ${name}: ${lastLine}`, { cause });
  }
  if (/moov atom not found/i.test(stderr) && isoBmff) {
    return new MediaRejectedError(
      "truncated",
      `${name} is an MP4 whose index (moov atom) is missing, which happens when an upload or recording stops early. Upload the complete file again.`,
      { cause },
    );
  }
  if (/partial file|end of file|truncat|premature/i.test(stderr)) {
    return new MediaRejectedError("truncated", `${name} ends early (${lastLine}). Upload the complete file again.`, { cause });
  }
  return new MediaRejectedError(
    "not-media",
    `${name} is not an audio or video file ffmpeg recognises (it may be text, an image or a renamed file): upload the original media file.`,
    { cause },
  );
}

const ISO_BOXES = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "styp", "sidx", "moof", "uuid", "meta"]);

export interface ContainerCheck {
  /** An MP4/MOV/M4A (ISO base media) box structure. */
  isoBmff: boolean;
  /** The declared sizes were checked to the end of the file and add up: no tail read needed. */
  verified?: boolean;
  /** Why the file is cut short, in words. */
  truncated?: string;
}

/**
 * Checks the sizes a container declares against the file's real size, before ffprobe runs: the
 * top-level MP4/MOV boxes (a 16-byte read per box, ~1 ms in all) and the RIFF header of WAV/AVI.
 * A box or chunk that claims to reach past the end means the file was cut short, even when the index
 * sits at the front and ffprobe happily reports the full duration (ffprobe's WAV reader silently
 * shortens the duration to what is there).
 */
export async function inspectContainer(path: string, sizeBytes: number): Promise<ContainerCheck> {
  const file = await open(path, "r");
  try {
    const header = Buffer.alloc(16);
    const first = await file.read(header, 0, 16, 0);
    if (first.bytesRead >= 12 && header.toString("latin1", 0, 4) === "RIFF") {
      const declared = header.readUInt32LE(4) + 8;
      const form = header.toString("latin1", 8, 12).trim();
      // Streaming writers leave a 0xFFFFFFFF-ish placeholder: only a plausible size is evidence.
      if (header.readUInt32LE(4) >= 0xfffffff0) return { isoBmff: false };
      return declared > sizeBytes
        ? { isoBmff: false, truncated: `its ${form} header declares ${formatBytes(declared)} but only ${formatBytes(sizeBytes)} are there` }
        : { isoBmff: false, verified: true };
    }
    let offset = 0;
    let boxes = 0;
    let fragmented = false;
    while (offset < sizeBytes && boxes < 10_000) {
      const { bytesRead } = await file.read(header, 0, 16, offset);
      if (bytesRead < 8) {
        return boxes === 0 ? { isoBmff: false } : { isoBmff: true, truncated: `it stops inside a box header at byte ${offset}` };
      }
      const type = header.toString("latin1", 4, 8);
      if (boxes === 0 && !ISO_BOXES.has(type)) return { isoBmff: false };
      if (!/^[\x20-\x7e]{4}$/.test(type)) return { isoBmff: true };
      fragmented ||= type === "moof";
      let size = header.readUInt32BE(0);
      if (size === 1) {
        if (bytesRead < 16) return { isoBmff: true, truncated: `it stops inside the '${type}' box header` };
        size = Number(header.readBigUInt64BE(8));
      } else if (size === 0) {
        return { isoBmff: true }; // "runs to the end of the file": nothing declared to compare
      }
      if (size < 8) return { isoBmff: boxes > 0 };
      if (offset + size > sizeBytes) {
        return {
          isoBmff: true,
          truncated: `its '${type}' box declares ${formatBytes(size)} but only ${formatBytes(sizeBytes - offset)} are there`,
        };
      }
      offset += size;
      boxes += 1;
    }
    // A fragmented MP4 cut exactly between fragments still adds up; let the tail read judge it.
    return { isoBmff: boxes > 0, verified: boxes > 0 && offset === sizeBytes && !fragmented };
  } finally {
    await file.close();
  }
}

/**
 * Seeks to 3 s before the declared end and reads packets (demuxing only, no decoding) to the end of
 * the file: in a complete file they reach the declared duration; in a cut-short one they stop early,
 * or the seek lands where the data ends. One ffprobe start (~80–100 ms) plus at most a GOP of packets.
 */
async function readsToTheEnd(binaries: FfmpegBinaries, path: string, durationMs: number, spawn?: SpawnFn): Promise<boolean> {
  const declared = durationMs / 1000;
  const args = ["-v", "error", "-read_intervals", `${Math.max(0, declared - 3).toFixed(3)}%`];
  args.push("-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", fileInput(path));
  // A file whose seek falls back to the start is read whole: bounded, and inconclusive if too slow.
  const run = await runProcess(binaries.ffprobePath, args, { timeoutMs: 30_000, spawn }).catch(() => undefined);
  if (!run) return true;
  // Matroska without its cues (they sit at the end) falls back to the start and says so on stderr.
  if (/ended prematurely|partial file|truncated/i.test(run.stderr)) return false;
  if (run.code !== 0) return true; // a failed seek is not proof of truncation
  let reached = 0;
  for (const line of run.stdout.split("\n")) {
    const [pts, duration] = line.split(",").map(Number);
    if (Number.isFinite(pts)) reached = Math.max(reached, pts + (Number.isFinite(duration) ? duration : 0));
  }
  // Declared and last-packet times differ a little legitimately (edit lists, encoder padding).
  return reached >= declared - (2 + declared * 0.005);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  const hours = seconds / 3600;
  if (hours < 24 * 365) return `${Math.floor(hours)} h ${Math.round((seconds % 3600) / 60)} min`;
  return `${Math.round(hours / (24 * 365))} years`;
}
