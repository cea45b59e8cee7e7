import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type {
  FrameDetections, FrameModeration, FrameText, EngineInfo, LabelsDocument, ObjectRef, ShotsDocument, TextDetection, TranscriptDocument,
} from "@media-pipeline/core";
import { createLocalEngines, type LocalEngines } from "../../../packages/local/src/engines/index.js";
import { REPORT_FLOOR, resolveTesseract } from "../../../packages/local/src/engines/text/index.js";
import { prepThread } from "../../../packages/local/src/engines/text/prep-thread.js";
import { readBatch } from "../../../packages/local/src/engines/text/read-batch.js";
import { LOCAL_MODERATION_MODEL, visionPool, toModerationLabels } from "../../../packages/local/src/engines/vision/index.js";
import { resolveFfmpegBinaries } from "../../../packages/media/src/index.js";
import { loadConfig, type LocalConfig } from "../../../packages/local/src/runtime/config.js";
import { LocalObjectStore } from "../../../packages/local/src/runtime/object-store.js";
import type { MotoAccess } from "./moto-access.js";

const run = promisify(execFile);

/*
 * The local engines, as the emulated services use them: the same factories, defaults and frame pass
 * the local runtime uses (createLocalEngines with loadConfig's defaults), so an emulated Rekognition
 * or Transcribe job computes exactly what the local runtime computes for the same file.
 */

/** An S3 object copied into the work dir, once per ETag. */
export interface Materialized {
  /** Stable per (bucket, key, ETag): the frame pass's cache key. */
  id: string;
  /** Where the engines read it (through `pathOf`). */
  ref: ObjectRef;
  file: string;
  size: number;
}

/** One decode pass's results (shots, labels, moderation), each settled on its own. */
export interface VideoAnalysis {
  shots: PromiseSettledResult<ShotsDocument>;
  labels: PromiseSettledResult<{ frames: FrameDetections[]; faces?: LabelsDocument["faces"]; engine: EngineInfo }>;
  moderation: PromiseSettledResult<{ frames: FrameModeration[]; engine: EngineInfo }>;
}

/**
 * The OCR behind emulated text detection (StartTextDetection, DetectText): the local runtime's text
 * engine (Tesseract) by default, on the same frames the local runtime reads; a test that checks the
 * wire protocol alone may inject a deterministic fake through `createEmulatorEngines(…, { ocr })`.
 */
export interface EmulatorOcr {
  /** Lines and words per analysed frame of a video (frames without text may be left out), and the engine that read them. */
  recognizeText(media: Materialized): Promise<{ frames: FrameText[]; engine: EngineInfo }>;
  /** Lines and words on one still image, and the engine that read them. */
  recognizeImageText(file: string, format: "jpeg" | "ppm"): Promise<{ detections: TextDetection[]; engine: EngineInfo }>;
}

/**
 * The local runtime's OCR: a video through its text detector (the frame pass's keyframes and sampled
 * frames), a still image through the same Tesseract reading of one file.
 */
function localOcr(engines: LocalEngines): EmulatorOcr {
  return {
    recognizeText: (media) => engines.text.detect({ mediaId: media.id, source: media.ref, durationMs: 0 }),
    async recognizeImageText(file) {
      const binary = await resolveTesseract({ language: "eng" });
      const [detections = []] = await readBatch([file], {
        binary, ffmpegPath: (await resolveFfmpegBinaries()).ffmpegPath, language: "eng", prep: prepThread(), minConfidence: REPORT_FLOOR,
      });
      return { detections, engine: { name: "tesseract", version: binary.version } };
    },
  };
}

export interface EmulatorEngines {
  config: LocalConfig;
  engines: LocalEngines;
  ffmpegVersion(): Promise<string>;
  ffprobePath(): Promise<string>;
  ffmpegPath(): Promise<string>;
  materialize(bucket: string, key: string, etag: string): Promise<Materialized>;
  /**
   * Shots, labels and moderation of a video from one shared decode pass, the three detectors run
   * together as the local runtime runs them on `Media Probed`; memoized per object, so the label,
   * moderation and segment jobs of one video decode it once.
   */
  analyzeVideo(media: Materialized): Promise<VideoAnalysis>;
  /** Human's objects on one still image, and the library version. */
  labelImage(file: string, format: "jpeg" | "ppm"): Promise<{ detections: FrameDetections["detections"]; version: string }>;
  /** Nsfwjs's scores on one still image in our two-level taxonomy, and the library version. */
  moderateImage(file: string, format: "jpeg" | "ppm"): Promise<{ labels: FrameModeration["labels"]; version: string }>;
  /** Text in a video (the OCR's frames), memoized per object as `analyzeVideo`. */
  recognizeText(media: Materialized): Promise<{ frames: FrameText[]; engine: EngineInfo }>;
  /** Text on one still image. */
  recognizeImageText(file: string, format: "jpeg" | "ppm"): Promise<{ detections: TextDetection[]; engine: EngineInfo }>;
  /** 16 kHz mono WAV with the local extractor, as the pipeline's extract-audio stage makes it. */
  extractAudio(media: Materialized): Promise<{ audio: ObjectRef; durationMs: number; sampleRate: number }>;
  /** The local transcriber (VAD, speech to text, diarization) on extracted audio. */
  transcribe(media: Materialized, audio: { audio: ObjectRef; durationMs: number }, options: { maxSpeakers: number; language: string }): Promise<TranscriptDocument>;
  /** A scratch file path under the work dir. */
  scratch(name: string): string;
}

/** Moderation runs the local detector's default nsfwjs model. */
const NSFW_MODEL = LOCAL_MODERATION_MODEL;
/** The local label detector's default floor; Rekognition's MinConfidence filters above it. */
const LABEL_FLOOR = 40;

export interface EmulatorEnginesOptions {
  /** The OCR for text detection; the local runtime's (Tesseract) by default. */
  ocr?: EmulatorOcr;
}

export function createEmulatorEngines(workDir: string, moto: MotoAccess, options: EmulatorEnginesOptions = {}): EmulatorEngines {
  const dataDir = path.join(workDir, "engines");
  // Defaults only (no config file, no MEDIA_PIPELINE_* variables): what `analyze` runs with out of the box.
  const config = loadConfig({ dataDir }, {}, workDir);
  const store = new LocalObjectStore(dataDir);
  const engines = createLocalEngines(config, store.pathOf);
  const ocr = options.ocr ?? localOcr(engines);
  const downloads = new Map<string, Promise<Materialized>>();
  const analyses = new Map<string, Promise<VideoAnalysis>>();
  const texts = new Map<string, Promise<{ frames: FrameText[]; engine: EngineInfo }>>();
  let scratchCount = 0;

  return {
    config,
    engines,
    ffmpegVersion: async () => (await resolveFfmpegBinaries()).version,
    ffprobePath: async () => (await resolveFfmpegBinaries()).ffprobePath,
    ffmpegPath: async () => (await resolveFfmpegBinaries()).ffmpegPath,

    materialize(bucket, key, etag) {
      const id = createHash("sha256").update(`${bucket}\0${key}\0${etag}`).digest("hex").slice(0, 32);
      let pending = downloads.get(id);
      if (!pending) {
        const name = (key.split("/").pop() ?? "object").replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[._-]+/, "") || "object";
        const ref = { bucket: "sources", key: `${id}/${name}` };
        const file = store.pathOf(ref);
        pending = moto.download(bucket, key, file).then(async () => ({ id, ref, file, size: (await stat(file)).size }));
        pending.catch(() => downloads.delete(id));
        downloads.set(id, pending);
      }
      return pending;
    },

    analyzeVideo(media) {
      let pending = analyses.get(media.id);
      if (!pending) {
        const input = { mediaId: media.id, source: media.ref, durationMs: 0 };
        pending = (async () => {
          const [shots, labels, moderation] = await Promise.allSettled([
            engines.shots.detect(input),
            engines.labels.detect(input),
            engines.moderation.detect(input),
          ]);
          // A failed part is not kept: the next job on the object tries again (the fault may have passed).
          if ([shots, labels, moderation].some((r) => r.status === "rejected")) analyses.delete(media.id);
          return { shots, labels, moderation };
        })();
        analyses.set(media.id, pending);
      }
      return pending;
    },

    async labelImage(file, format) {
      const pool = visionPool();
      const loaded = await pool.call("human.load", {});
      const out = await pool.call("human.detect", { frames: [{ path: file, format, label: "image" }], minConfidence: LABEL_FLOOR });
      return { detections: out.results[0]?.detections ?? [], version: loaded.version };
    },

    async moderateImage(file, format) {
      const pool = visionPool();
      const loaded = await pool.call("nsfw.load", { model: NSFW_MODEL });
      const out = await pool.call("nsfw.classify", { model: NSFW_MODEL, frames: [{ path: file, format, label: "image" }] });
      return { labels: toModerationLabels(out.results[0] ?? []), version: loaded.version };
    },

    recognizeText(media) {
      let pending = texts.get(media.id);
      if (!pending) {
        pending = ocr.recognizeText(media);
        // A failure is not kept: the next job on the object tries again.
        pending.catch(() => texts.delete(media.id));
        texts.set(media.id, pending);
      }
      return pending;
    },

    recognizeImageText: (file, format) => ocr.recognizeImageText(file, format),

    async extractAudio(media) {
      const audio = { bucket: "derived", key: `${media.id}/audio.wav` };
      const extracted = await engines.extractor.extract(media.ref, audio);
      return { audio, durationMs: extracted.durationMs, sampleRate: extracted.sampleRate };
    },

    transcribe(media, { audio, durationMs }, options) {
      return engines.transcriber.transcribe({ mediaId: media.id, audio, durationMs, maxSpeakers: options.maxSpeakers, language: options.language });
    },

    scratch(name) {
      scratchCount += 1;
      return path.join(workDir, "scratch", `${Date.now().toString(36)}-${scratchCount}-${name}`);
    },
  };
}

/** Writes bytes to a scratch file (creating its folder); removes it with the returned function. */
export async function writeScratch(file: string, bytes: Uint8Array): Promise<() => Promise<void>> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return () => rm(file, { force: true });
}

/** Converts any still image ffmpeg reads (PNG, …) to a PPM the vision threads can read. */
export async function toPpm(ffmpegPath: string, input: string, output: string): Promise<void> {
  await run(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", input, "-frames:v", "1", "-pix_fmt", "rgb24", "-c:v", "ppm", "-f", "image2", output]);
}
