/*
 * Local text-in-video: Debian's tesseract CLI (5.3.0 with Debian's tessdata_fast English model), not
 * tesseract.js 7 (the same Tesseract 5 LSTM compiled to WASM, with @tesseract.js-data/eng).
 *
 * Measured on this 2-core machine (under load from other jobs) on the same 30 tuning frames
 * (text-frames.ts: 1280×720, DejaVu fonts over photographs and plain backgrounds), both engines fed the
 * identical 205 images (each whole frame and each probable line):
 *   - words found / precision at confidence ≥ 70: CLI 0.71 / 0.88, tesseract.js 0.68 / 0.85; whole
 *     frames only: CLI 0.61 / 0.87, tesseract.js 0.60 / 0.82 (same engine, slightly older model).
 *   - CPU per frame: tesseract.js 341 ms in a warm worker (plus 1.2–2.6 s to start each worker); the CLI
 *     2,081 ms with one process per image (each start loads the model, ~0.3 s), ~225 ms with one process
 *     per batch reading a list of images (the model loaded once): native AVX2 code beats WASM SIMD once
 *     the load is shared.
 * Also: the CLI adds no npm package (tesseract.js, its core and data are ~60 MB more on a 1.8 GB
 * install), runs in child processes an aborted stage kills outright, and frees its memory when done.
 * It needs `tesseract-ocr` and `tesseract-ocr-eng` from Debian (CI: apt-get, like ffmpeg and
 * pocketsphinx); without them the detector fails with a non-retryable error that says how to install them.
 *
 * The whole pipeline as built here (the tuning frames, words kept at core's MIN_TEXT_CONFIDENCE, 80):
 * 1280×720 frames recall 0.85, precision 0.94, ~640 ms CPU per frame; 640×360 (the frame pass's
 * default JPEG size) recall 0.73, precision 0.95, ~350 ms. The held-out figures are in eval/text.eval.ts.
 */
import { availableParallelism } from "node:os";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type EngineCallOptions, type EngineInfo, type FrameText, MIN_TEXT_CONFIDENCE, type ProgressFn, type TextDetector, type VisionInput } from "@media-pipeline/core";
import { resolveFfmpegBinaries, type FfmpegBinaries, type FrameSource, type PathOf } from "@media-pipeline/media";
import { analyzeFrames } from "../vision/analyze.js";
import { prepThread } from "./prep-thread.js";
import { FULL_FRAME_PSM, LINE_PSM, readBatch, type FrameReading } from "./read-batch.js";
import { REGION_SETTINGS } from "./regions.js";
import { resolveTesseract } from "./tesseract.js";

/** The name text goes by as a consumer of the frame source (it reads the pass's JPEGs, not its stream). */
export const TEXT_CONSUMER = "text";

/**
 * Lowest confidence a word is reported with. Deliberately under core's MIN_TEXT_CONFIDENCE, which
 * decides what the document keeps: the frames carry what Tesseract half-read too, and below 40 its
 * output over photographs is mostly texture read as letters (precision under 0.35 on the tuning frames).
 */
export const REPORT_FLOOR = 40;

export interface TextDetectorOptions {
  /** The shared decode pass: text reads its full-size JPEGs once the pass is over. */
  frames: FrameSource;
  pathOf: PathOf;
  /** Tesseract language model(s), e.g. "eng" or "eng+deu". Default "eng". */
  language?: string;
  /** Lowest confidence (0–100) a word is reported with. Default REPORT_FLOOR (40). */
  minConfidence?: number;
  /**
   * Frames per batch: one ffmpeg and two tesseract processes per batch. Default: enough for two batches
   * per slot, between 8 and 32 (batchFor).
   */
  batchSize?: number;
  /**
   * Batches read at once (each runs its processes one after another). Default: one per core. Within a
   * batch each step waits for the last (grey decode, whole-frame read, line finder, line read), so one
   * batch at a time left a third of a core idle between its steps while the recognizer held the other
   * core; two batches on two cores fill those gaps (one profiled bench run: text done 8 s sooner, the
   * machine 2.4 core-seconds less idle).
   */
  concurrency?: number;
  /** The tesseract binary; default MEDIA_PIPELINE_TESSERACT, else PATH. */
  tesseractPath?: string;
  /** ffmpeg for decoding the JPEGs to grey; default: resolved as the media package does. */
  ffmpeg?: FfmpegBinaries;
}

/**
 * Text in video for the local runtime: Tesseract reads each frame of the shared decode pass (its
 * keyframes and sampled frames, as full-size JPEGs), once whole and once line by line. Occurrences over
 * time are core's (mergeTextFrames).
 * @example const text = createTextDetector({ frames, pathOf }); const { frames: read } = await text.detect(input)
 */
export function createTextDetector(options: TextDetectorOptions): TextDetector {
  const language = options.language ?? "eng";
  const minConfidence = options.minConfidence ?? REPORT_FLOOR;
  const fixedBatch = options.batchSize;
  const concurrency = options.concurrency ?? Math.max(1, availableParallelism());
  const batchOf = (frames: number) => fixedBatch ?? batchFor(frames, concurrency);
  if (!/^[A-Za-z_]+(\+[A-Za-z_]+)*$/.test(language)) throw new RangeError(`language must be tesseract model names joined by +, got ${language}`);
  if (!(minConfidence >= 0 && minConfidence <= 100)) throw new RangeError(`minConfidence must be within 0–100, got ${minConfidence}`);
  if (fixedBatch !== undefined && !(Number.isInteger(fixedBatch) && fixedBatch >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${fixedBatch}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const slots = new Slots(concurrency);
  // Only the pass's JPEGs: its stream is scaled for the object model (~512 px), too small to read text.
  const jpegsOnly: FrameSource = { frames: (mediaId, source, onProgress) => options.frames.frames(mediaId, source, onProgress) };

  return {
    async detect(input: VisionInput, onProgress?: ProgressFn, call: EngineCallOptions = {}) {
      const binary = await resolveTesseract({ language: language.split("+")[0], ...(options.tesseractPath ? { path: options.tesseractPath } : {}) });
      for (const l of language.split("+")) {
        if (!binary.languages.includes(l)) await resolveTesseract({ language: l, ...(options.tesseractPath ? { path: options.tesseractPath } : {}) });
      }
      const ffmpeg = options.ffmpeg ?? (await resolveFfmpegBinaries());
      const languageData = await debianPackageVersion(`tesseract-ocr-${language.split("+")[0]}`);
      const { set, results, computeMs } = await analyzeFrames<FrameReading>({
        frames: jpegsOnly,
        pathOf: options.pathOf,
        input,
        consumer: TEXT_CONSUMER,
        batchSize: batchOf,
        run: (files) =>
          slots.run(async () => {
            const started = performance.now();
            const results = await readBatch(
              files.map((f) => f.path),
              { binary, ffmpegPath: ffmpeg.ffmpegPath, language, prep: prepThread(), minConfidence, ...(call.signal ? { signal: call.signal } : {}) },
            );
            return { results, ms: performance.now() - started };
          }),
        ...(onProgress ? { onProgress } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      const frames: FrameText[] = set.frames.map((f, i) => ({ timestampMs: Math.round(f.timestampMs), detections: results[i] }));
      const engine: EngineInfo = {
        name: "tesseract",
        version: binary.version,
        settings: {
          leptonica: binary.leptonica,
          language,
          ...(languageData ? { languageData: `tesseract-ocr-${language.split("+")[0]} ${languageData}` } : {}),
          psm: { fullFrame: FULL_FRAME_PSM, perLine: LINE_PSM },
          oem: "LSTM (tessdata_fast)",
          minConfidence,
          documentMinConfidence: MIN_TEXT_CONFIDENCE,
          preprocessing:
            "grey (BT.601 luma); each probable line (3×3 morphological gradient > 60, closing 9×3, joined into lines) " +
            "cropped, contrast stretched 2–98 %, upscaled ×2 under 40 px, and read three ways: stretched, its brightest 8 % " +
            "and its darkest 8 % of pixels as black on white; the whole frame read too; of overlapping readings the more confident kept",
          regions: REGION_SETTINGS,
          frameSize: `${set.frames[0]?.width ?? set.width}×${set.frames[0]?.height ?? set.height}`,
          batchSize: batchOf(set.frames.length),
          concurrency,
          timings: { perFrameMs: set.frames.length > 0 ? Math.round(computeMs / set.frames.length) : 0, frames: set.frames.length },
        },
        note:
          "Local Tesseract OCR, an LSTM trained on printed documents, with a simple line finder for overlaid text: it reads " +
          "horizontal captions, titles and lower thirds, but is weaker than Amazon Rekognition text detection on scene text " +
          "(signs, labels on objects), rotated, curved or stylised text, low-contrast text over busy backgrounds and text " +
          "under about 10 px tall in the analysed frame; it reads the languages of its installed models only (English by default).",
      };
      return { frames, engine };
    },
  };
}

/**
 * Frames per batch when none is configured: each batch starts one ffmpeg and two tesseract processes,
 * ~0.3 CPU-s before the first frame is read (tesseract loads its model each time), so a long video's
 * frames go in batches of up to 32 (10 batches for 10 minutes of frames every 2 s, not 38), while a
 * short one still gives every slot two batches (at least 8 frames each).
 * @example batchFor(300, 1) // 32
 */
export function batchFor(frames: number, slots: number): number {
  return Math.min(MAX_BATCH, Math.max(MIN_BATCH, Math.ceil(frames / (2 * Math.max(1, slots)))));
}
const MIN_BATCH = 8;
const MAX_BATCH = 32;

/** At most `size` tasks at once; the rest wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

const run = promisify(execFile);
const packageVersions = new Map<string, Promise<string | undefined>>();

/** The Debian package's version (the language model's provenance), when installed from one. */
function debianPackageVersion(name: string): Promise<string | undefined> {
  let found = packageVersions.get(name);
  if (!found) {
    found = run("dpkg-query", ["-W", "-f=${Version}", name], { timeout: 5000 }).then(
      ({ stdout }) => stdout.trim() || undefined,
      () => undefined,
    );
    packageVersions.set(name, found);
  }
  return found;
}
