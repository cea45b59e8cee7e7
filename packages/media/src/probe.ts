import { stat } from "node:fs/promises";
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
import { formatBytes, formatDuration, inspectContainer, type ByteSource, type ContainerCheck } from "./container.js";
import type { FfmpegBinaries, PathOf } from "./types.js";

export { formatBytes, formatDuration, inspectContainer, type ByteSource, type ContainerCheck } from "./container.js";

/**
 * A source read where it is stored instead of from a local file: ffprobe reads `url` (an http(s) URL,
 * such as an S3 presigned GET) with range requests, and the container checks read byte ranges
 * through `bytes`. Only the header, the index and the last seconds are read, whatever the file's size.
 */
export interface RemoteInput {
  url: string;
  /** The object's size; undefined when it does not exist (yet). */
  sizeBytes: number | undefined;
  bytes: ByteSource;
}

export interface FfprobeProberOptions {
  pathOf: PathOf;
  binaries?: FfmpegBinaries;
  spawn?: SpawnFn;
  /** Probe the object where it is stored (see `RemoteInput`) rather than the file `pathOf` names. */
  remote?: (source: ObjectRef) => Promise<RemoteInput>;
}

/** Top-level boxes walked over HTTP, one range request each: a fragmented MP4 has thousands. */
const REMOTE_MAX_BOXES = 256;

/**
 * Probes with ffprobe and turns every way a file can be unusable into a `MediaRejectedError` whose
 * message says what was found and what to do.
 * @example await createFfprobeProber({ pathOf }).probe(source, { maxBytes: 10e9, maxDurationMs: 6 * 3600_000 })
 */
export function createFfprobeProber(options: FfprobeProberOptions): MediaProber {
  const getBinaries = binariesFrom(options.binaries);
  return {
    async probe(source: ObjectRef, limits: MediaLimits): Promise<ProbeResult> {
      const name = source.key.split("/").pop() ?? source.key;
      const remote = options.remote ? await options.remote(source) : undefined;
      const path = remote ? remote.url : options.pathOf(source);
      const input = remote ? remote.url : fileInput(path);
      // The upload may still be landing; not the media's fault, so let the stage retry.
      const sizeBytes = remote
        ? remote.sizeBytes
        : await stat(path).then(
          (s) => s.size,
          (cause: unknown) => {
            throw new RetryableError(`${name} could not be read (${(cause as Error).message})`, { cause });
          },
        );
      if (sizeBytes === undefined) throw new RetryableError(`${name} could not be read (it is not in storage yet)`);
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
      const box = remote ? await inspectContainer(remote.bytes, sizeBytes, { maxBoxes: REMOTE_MAX_BOXES }) : await inspectContainer(path, sizeBytes);
      if (box.truncated) {
        throw new MediaRejectedError("truncated", `${name} is cut short: ${box.truncated}. Upload the complete file again.`);
      }
      const run = await runProcess(
        binaries.ffprobePath,
        ["-v", "warning", "-show_format", "-show_streams", "-of", "json", input],
        { timeoutMs: 120_000, spawn: options.spawn },
      );
      const stderr = run.stderr.trim();
      const cause = stderr ? new Error(stderr) : undefined;
      if (run.code !== 0) throw classifyFailure(name, stderr, box, cause);

      const json = JSON.parse(run.stdout || "{}") as FfprobeJson;
      const format = json.format ?? {};
      // ffmpeg reads a PNG or JPEG as a one-frame "video" with no length: say what it really is.
      if (/^(image2|\w+_pipe)$/.test(format.format_name ?? "")) {
        const codec = json.streams?.[0]?.codec_name ?? "image";
        throw new MediaRejectedError("not-media", `${name} is a still image (${codec}), not audio or video: upload the video or recording itself.`);
      }
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
      const declared = declaredDurationMs(format, json.streams ?? []);
      // An MP4 whose boxes add up holds all its samples; its movie header (mvhd) can still claim
      // hours the sample tables do not have. The tracks are what plays and what every stage decodes.
      const tracks = box.verified && box.isoBmff ? tracksEndMs(json.streams ?? []) : undefined;
      const headerLies = declared !== undefined && tracks !== undefined && tracks > 0 && declared > tracks + slackMs(tracks);
      const durationMs = headerLies ? tracks : declared;
      const note = headerLies
        ? `The file's header declares ${formatDuration(declared)}, but its tracks hold ${formatDuration(tracks)}: the ${formatDuration(tracks)} that are there were analysed. ` +
          "The header is damaged; remuxing (ffmpeg -i in.mp4 -c copy out.mp4) repairs it for players."
        : undefined;
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
      // The box/RIFF walk (or Ogg's end-of-stream mark) already proved nothing is missing; a duration estimated from the bitrate
      // (raw AAC, MP3 without a Xing header) shrinks with the file, so there is nothing to compare.
      const estimated = /Estimating duration from bitrate/i.test(stderr);
      if (!box.verified && !estimated && !(await readsToTheEnd(binaries, input, durationMs, options.spawn))) {
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
        // What tells MP4, MOV and 3GP apart (they share a demuxer): Rekognition reads the first two.
        ...(format.tags?.major_brand ? { brand: format.tags.major_brand } : {}),
        streams,
        hasVideo,
        hasAudio,
        engine: { name: "ffprobe", version: binaries.version, settings: { origin: binaries.origin }, ...(note ? { note } : {}) },
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
  start_time?: string;
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
  format?: { format_name?: string; duration?: string; size?: string; tags?: { major_brand?: string } };
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

/** Where the last primary stream ends by its own sample tables (start + duration), if every one says. */
function tracksEndMs(streams: FfprobeStream[]): number | undefined {
  const ends = streams.filter(isPrimary).map((s) => Math.max(0, Number(s.start_time) || 0) + Number(s.duration));
  return ends.length && ends.every(Number.isFinite) ? Math.round(Math.max(...ends) * 1000) : undefined;
}

/** Declared and real ends differ a little legitimately (edit lists, encoder padding). */
function slackMs(durationMs: number): number {
  return 2000 + durationMs * 0.005;
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

function classifyFailure(name: string, stderr: string, box: ContainerCheck, cause: Error | undefined): Error {
  const lastLine = stderr.split("\n").filter(Boolean).pop() ?? "ffprobe failed";
  // Our problem, not the media's: let the stage retry (and an operator see it). Over HTTP (a presigned
  // URL) that includes the storage refusing or dropping the connection.
  if (/Permission denied|No such file|Too many open files|Cannot allocate memory|HTTP error|Server returned|Connection (refused|reset|timed out)|Network is unreachable/i.test(stderr)) {
    return new RetryableError(`ffprobe could not open ${name}: ${lastLine}`, { cause });
  }
  // ffmpeg knows the codec but will only decode it with -strict experimental (e.g. Sonic audio): every
  // later stage would fail the same way, and an experimental decoder's output is not to be trusted.
  const experimental = /The decoder '([^']+)' is experimental/i.exec(stderr);
  if (experimental) {
    return new MediaRejectedError(
      "unsupported",
      `${name} uses the ${experimental[1]} codec, which this ffmpeg only has an experimental decoder for, so the pipeline does not decode it: ` +
        "re-encode it to H.264/AAC (or FLAC/WAV for audio only) and upload again.",
      { cause },
    );
  }
  if (/moov atom not found/i.test(stderr) && box.isoBmff) {
    return new MediaRejectedError(
      "truncated",
      `${name} is an MP4 whose index (moov atom) is missing, which happens when an upload or recording stops early. Upload the complete file again.`,
      { cause },
    );
  }
  if (box.headersOnly) {
    return new MediaRejectedError(
      "no-usable-stream",
      `${name} holds only its ${box.format} stream headers and no audio or video (0 s): the recording is empty or stopped right after it started. Record or export it again.`,
      { cause },
    );
  }
  if (/partial file|end of file|truncat|premature/i.test(stderr)) {
    return new MediaRejectedError("truncated", `${name} ends early (${lastLine}). Upload the complete file again.`, { cause });
  }
  if (box.format) {
    // It announces itself as media, so "not media" would be wrong: it is an empty or broken one.
    return new MediaRejectedError(
      "no-usable-stream",
      `${name} starts like ${article(box.format)} ${box.format} file, but ffmpeg finds no audio or video in it that it can read: ` +
        "it holds a header without samples, or is damaged. Export it again and upload the new file.",
      { cause },
    );
  }
  return new MediaRejectedError(
    "not-media",
    `${name} is not an audio or video file ffmpeg recognises (it may be text, an image or a renamed file): upload the original media file.`,
    { cause },
  );
}

function article(word: string): string {
  return /^(MP3|Ogg|AAC|AMR|AVI)/.test(word) ? "an" : "a";
}

/**
 * Seeks to 3 s before the declared end and reads packets (demuxing only, no decoding) to the end of
 * the file: in a complete file they reach the declared duration; in a cut-short one they stop early,
 * or the seek lands where the data ends. One ffprobe start (~80–100 ms) plus at most a GOP of packets.
 */
async function readsToTheEnd(binaries: FfmpegBinaries, input: string, durationMs: number, spawn?: SpawnFn): Promise<boolean> {
  const declared = durationMs / 1000;
  // The interval names its end (well past the declared one): ffprobe 6+ (the npm static build the
  // Lambda layer ships) reads no packet at all for an interval with a start and no end.
  const args = ["-v", "error", "-read_intervals", `${Math.max(0, declared - 3).toFixed(3)}%+${Math.ceil(declared) + 60}`];
  args.push("-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", input);
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
