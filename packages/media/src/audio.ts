import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  AudioResult,
  DiskFullError,
  MediaPipelineError,
  MediaRejectedError,
  NonRetryableError,
  type AudioExtractor,
  type EngineCallOptions,
  type ObjectRef,
  type ProgressFn,
} from "@media-pipeline/core";
import { binariesFrom, fileInput, fluentCommand } from "./binaries.js";
import type { FfmpegBinaries, PathOf } from "./types.js";

export interface FfmpegAudioExtractorOptions {
  pathOf: PathOf;
  binaries?: FfmpegBinaries;
  /**
   * Where ffmpeg reads the source, when not from the file `pathOf` names: an http(s) URL such as an
   * S3 presigned GET, so the audio streams out of storage and the upload is never copied to disk.
   */
  inputOf?: (source: ObjectRef) => Promise<string>;
}

const SAMPLE_RATE = 16_000;

/**
 * 16 kHz mono PCM WAV for the speech engines. Written under a temporary name and renamed, so a crash
 * never leaves a half-written file under the name the next stage reads.
 * @example await createFfmpegAudioExtractor({ pathOf }).extract(source, { bucket: "media", key: "derived/01jd…/audio.wav" })
 */
export function createFfmpegAudioExtractor(options: FfmpegAudioExtractorOptions): AudioExtractor {
  const getBinaries = binariesFrom(options.binaries);
  return {
    async extract(source: ObjectRef, target: ObjectRef, onProgress?: ProgressFn, call: EngineCallOptions = {}): Promise<AudioResult> {
      const binaries = await getBinaries();
      const input = options.inputOf ? await options.inputOf(source) : fileInput(options.pathOf(source));
      const name = source.key.split("/").pop() ?? source.key;
      const output = options.pathOf(target);
      await mkdir(dirname(output), { recursive: true });
      const temp = join(dirname(output), `.${basename(output)}.${process.pid}-${randomBytes(4).toString("hex")}.partial`);
      try {
        await transcode(binaries, input, name, temp, onProgress, call.signal);
        const durationMs = await wavDurationMs(temp);
        await rename(temp, output);
        onProgress?.(1);
        return AudioResult.parse({
          audio: target,
          format: "wav",
          sampleRate: SAMPLE_RATE,
          channels: 1,
          durationMs,
          engine: {
            name: "ffmpeg",
            version: binaries.version,
            settings: { origin: binaries.origin, sampleRate: SAMPLE_RATE, channels: 1, codec: "pcm_s16le" },
          },
        });
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}

function transcode(binaries: FfmpegBinaries, input: string, name: string, temp: string, onProgress?: ProgressFn, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stopped(name, signal));
    const command = fluentCommand(binaries, input);
    // A stage that gives up (its timeout) must not leave ffmpeg running: SIGKILL, since a stuck
    // process may not answer SIGTERM. The promise settles from the abort, not from ffmpeg's exit.
    const onAbort = () => {
      command.kill("SIGKILL");
      reject(stopped(name, signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    command
      .noVideo()
      .audioChannels(1)
      .audioFrequency(SAMPLE_RATE)
      .audioCodec("pcm_s16le")
      .format("wav")
      // Drop subtitles/data and the source's tags: the speech engines want samples only.
      .outputOptions(["-sn", "-dn", "-map_metadata", "-1"])
      .on("progress", (progress: { percent?: number }) => {
        if (onProgress && typeof progress.percent === "number" && Number.isFinite(progress.percent)) {
          onProgress(Math.min(0.99, Math.max(0, progress.percent / 100)), "extracting audio");
        }
      })
      // Aborted while fluent-ffmpeg was still checking capabilities: there was nothing to kill yet.
      .on("start", () => {
        if (signal?.aborted) command.kill("SIGKILL");
      })
      .on("end", () => {
        done();
        resolve();
      })
      .on("error", (error: Error, _stdout: string | null, stderr: string | null) => {
        done();
        const detail = (stderr ?? "").trim().split("\n").slice(-4).join("\n");
        const cause = new Error(detail || error.message, { cause: error });
        if (/No space left on device|Disk quota exceeded/i.test(detail)) {
          reject(new DiskFullError(`disk full: ffmpeg could not write the audio of ${name} (no space left on device)`, { cause }));
        } else if (/does not contain any stream|matches no streams/i.test(detail)) {
          reject(new MediaRejectedError("no-usable-stream", `${name} has no audio stream to extract.`, { cause }));
        } else if (/killed with signal|SIGKILL|SIGTERM/i.test(error.message)) {
          reject(new MediaPipelineError(`ffmpeg was stopped while extracting audio from ${name}`, { cause, retryable: true }));
        } else if (/HTTP error|Server returned|Connection (refused|reset|timed out)/i.test(detail)) {
          // Storage refused or dropped the stream (a presigned URL): not the media's fault.
          reject(new MediaPipelineError(`ffmpeg could not read ${name} from storage: ${detail}`, { cause, retryable: true }));
        } else {
          reject(new NonRetryableError(`ffmpeg could not extract audio from ${name}: ${detail || error.message}`, { cause }));
        }
      })
      .save(fileInput(temp));
  });
}

/** Why the extraction stopped: the stage's own reason (its timeout) when it gave one. */
function stopped(name: string, signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new MediaPipelineError(`audio extraction from ${name} was stopped`, { retryable: true, cause: signal.reason });
}

/** Reads the WAV's own `data` chunk size: the length of what was written, not what the source claimed. */
export async function wavDurationMs(path: string): Promise<number> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(12);
    await file.read(header, 0, 12, 0);
    if (header.toString("latin1", 0, 4) !== "RIFF" || header.toString("latin1", 8, 12) !== "WAVE") {
      throw new NonRetryableError(`${basename(path)} is not a WAV file`);
    }
    let offset = 12;
    let byteRate = SAMPLE_RATE * 2;
    const chunk = Buffer.alloc(20);
    while (offset + 8 <= size) {
      await file.read(chunk, 0, 20, offset);
      const id = chunk.toString("latin1", 0, 4);
      const length = chunk.readUInt32LE(4);
      if (id === "fmt ") byteRate = chunk.readUInt32LE(16) || byteRate;
      if (id === "data") {
        // ffmpeg leaves 0xFFFFFFFF when it could not seek back; fall back to what is on disk.
        const bytes = length === 0xffffffff || offset + 8 + length > size ? size - offset - 8 : length;
        return Math.round((bytes / byteRate) * 1000);
      }
      offset += 8 + length + (length % 2);
    }
    throw new NonRetryableError(`${basename(path)} has no data chunk`);
  } finally {
    await file.close();
  }
}
