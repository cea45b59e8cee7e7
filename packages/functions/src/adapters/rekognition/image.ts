import { readFile } from "node:fs/promises";
import { DetectLabelsCommand, DetectModerationLabelsCommand, DetectTextCommand } from "@aws-sdk/client-rekognition";
import type {
  EngineInfo, FrameDetections, FrameModeration, FrameText, LabelDetector, ModerationDetector, ProgressFn, TextDetection, TextDetector, VisionInput,
} from "@media-pipeline/core";
import type { DecodedFrame, FrameSet, FrameSource, PathOf } from "@media-pipeline/media";
import { classifyRekognitionError, RekognitionRequestError, RekognitionUnavailableError } from "./errors.js";
import { detectionFilter, textWordFilter, type RekognitionSender } from "./jobs.js";
import { detectionsOf, textDetectionOf, type Detection, type ModerationScore } from "./results.js";

/*
 * Frames mode (the deploy setting MEDIA_VISION_MODE=frames): instead of a Rekognition Video job,
 * detect-labels and moderate sample frames with ffmpeg in their own Lambda and call the Rekognition
 * Image APIs on each. The per-frame results have the shape the video jobs' Get* pages are turned into
 * (results.ts), so core builds the same documents and events from either.
 */

/** The engine name frames-mode results carry, beside the model version the API reports. */
export const REKOGNITION_IMAGE_ENGINE = "amazon-rekognition-image";

/**
 * Largest image the APIs take as bytes: 5 MB (`Image.Bytes`, 5,242,880).
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_Image.html
 */
export const MAX_IMAGE_BYTES = 5_242_880;

/** Backoff for throttling and 5xx, on top of the SDK's own few attempts inside one call. */
export interface ImageRetryOptions {
  /** Calls in all, the first included. Default 5. */
  attempts: number;
  /** First delay; it doubles per attempt, with full jitter. Default 250 ms. */
  baseDelayMs: number;
  /** Longest single delay. Default 8 s. */
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const DEFAULT_RETRY: ImageRetryOptions = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export interface ImageCallOptions {
  /** Lowest confidence (0–100) returned; the same MinConfidence the video jobs start with. */
  minConfidence: number;
  retry?: Partial<ImageRetryOptions>;
}

/**
 * Calls `send` until it succeeds, Rekognition refuses the request, or the attempts run out.
 * Throttling (`ThrottlingException`, `ProvisionedThroughputExceededException`: the per-account TPS
 * quota, shared by every concurrent Lambda), 5xx and network faults wait and retry; what is left
 * after the last attempt is thrown retryable, so the platform retries the whole event later.
 */
async function withRetry<T>(operation: string, options: Partial<ImageRetryOptions> | undefined, send: () => Promise<T>): Promise<T> {
  const retry = { ...DEFAULT_RETRY, ...options };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      const classified = classifyRekognitionError(error, operation);
      if (!(classified instanceof RekognitionUnavailableError) || attempt >= retry.attempts) throw classified;
      await retry.sleep(Math.round(retry.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1))));
    }
  }
}

function checkBytes(bytes: Uint8Array, operation: string): void {
  if (bytes.length === 0 || bytes.length > MAX_IMAGE_BYTES) {
    throw new RekognitionRequestError(`${operation}: a frame of ${bytes.length} bytes is outside 1–${MAX_IMAGE_BYTES} bytes`, { code: "ImageTooLargeException" });
  }
}

/**
 * Labels on one image, as detections (each instance with its box; a scene or concept without one).
 * Only GENERAL_LABELS is asked for: IMAGE_PROPERTIES is billed on top.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectLabels.html
 * @example const { detections, version } = await detectImageLabels(client, jpeg, { minConfidence: 50 })
 */
export async function detectImageLabels(
  client: RekognitionSender,
  bytes: Uint8Array,
  options: ImageCallOptions,
): Promise<{ detections: Detection[]; version?: string }> {
  checkBytes(bytes, "DetectLabels");
  const response = await withRetry("DetectLabels", options.retry, () =>
    client.send(new DetectLabelsCommand({ Image: { Bytes: bytes }, MinConfidence: options.minConfidence, Features: ["GENERAL_LABELS"] })),
  );
  return { detections: (response.Labels ?? []).flatMap(detectionsOf), version: response.LabelModelVersion || undefined };
}

/**
 * Moderation labels on one image, every taxonomy level reported (`{ name, parent }`, top-level
 * categories with parent ""), as the video job's labels are kept.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectModerationLabels.html
 */
export async function detectImageModeration(
  client: RekognitionSender,
  bytes: Uint8Array,
  options: ImageCallOptions,
): Promise<{ labels: ModerationScore[]; version?: string }> {
  checkBytes(bytes, "DetectModerationLabels");
  const response = await withRetry("DetectModerationLabels", options.retry, () =>
    client.send(new DetectModerationLabelsCommand({ Image: { Bytes: bytes }, MinConfidence: options.minConfidence })),
  );
  const labels = (response.ModerationLabels ?? []).flatMap((l) =>
    l.Name && l.Confidence !== undefined ? [{ name: l.Name, parent: l.ParentName ?? "", confidence: l.Confidence }] : [],
  );
  return { labels, version: response.ModerationModelVersion || undefined };
}

/**
 * Lines and words on one image, with the word filter a video text job starts with
 * (`textWordFilter(minConfidence)`), so frames mode and the video job keep the same words. DetectText
 * reads at most 100 words per image.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectText.html
 * @example const { detections, version } = await detectImageText(client, jpeg, { minConfidence: 80 })
 */
export async function detectImageText(
  client: RekognitionSender,
  bytes: Uint8Array,
  options: ImageCallOptions,
): Promise<{ detections: TextDetection[]; version?: string }> {
  checkBytes(bytes, "DetectText");
  const WordFilter = detectionFilter(textWordFilter(options.minConfidence));
  const response = await withRetry("DetectText", options.retry, () => client.send(new DetectTextCommand({ Image: { Bytes: bytes }, Filters: { WordFilter } })));
  const detections = (response.TextDetections ?? []).flatMap((t) => {
    const detection = textDetectionOf(t);
    return detection ? [detection] : [];
  });
  return { detections, version: response.TextModelVersion || undefined };
}

export interface ImageFrameDetectorOptions extends ImageCallOptions {
  client: RekognitionSender;
  /** The frame pass (keyframe at each cut, then one every N seconds), the local engines' own. */
  frames: FrameSource;
  pathOf: PathOf;
  /** Calls in flight at once per media item. Default 4. */
  concurrency?: number;
  /** Injectable for tests. */
  readFrame?: (path: string) => Promise<Uint8Array>;
}

/** Runs `fn` over `items` with at most `limit` running at once, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Frames from the pass, then one API call per frame; progress is half pass, half calls. */
async function perFrame<R>(
  options: ImageFrameDetectorOptions,
  input: VisionInput,
  onProgress: ProgressFn | undefined,
  call: (bytes: Uint8Array) => Promise<R>,
): Promise<{ set: FrameSet; results: Array<{ frame: DecodedFrame; result: R }> }> {
  const set = await options.frames.frames(input.mediaId, input.source, (f) => onProgress?.(f / 2));
  const read = options.readFrame ?? ((path: string) => readFile(path));
  let done = 0;
  const results = await mapLimit(set.frames, options.concurrency ?? 4, async (frame) => {
    const result = await call(await read(options.pathOf(frame.frame)));
    onProgress?.(0.5 + (++done / set.frames.length) / 2);
    return { frame, result };
  });
  return { set, results };
}

function engineInfo(api: string, version: string | undefined, options: ImageFrameDetectorOptions, set: FrameSet, extra: Record<string, unknown> = {}): EngineInfo {
  const sampling = set.engine.settings ?? {};
  return {
    name: REKOGNITION_IMAGE_ENGINE,
    version: version ?? "unknown",
    settings: {
      api,
      minConfidence: options.minConfidence,
      ...extra,
      frames: set.frames.length,
      // How the frames were chosen, so a reader can tell frames mode's coverage from a video job's.
      sampleEveryMs: sampling.sampleEveryMs,
      sceneThreshold: sampling.sceneThreshold,
      maxWidth: sampling.maxWidth,
      ffmpeg: set.engine.version,
    },
  };
}

/**
 * detect-labels in frames mode: `DetectLabels` on every sampled frame.
 * @example createImageLabelDetector({ client, frames, pathOf, minConfidence: 50 }).detect({ mediaId, source, durationMs })
 */
export function createImageLabelDetector(options: ImageFrameDetectorOptions): LabelDetector {
  return {
    async detect(input, onProgress) {
      const { set, results } = await perFrame(options, input, onProgress, (bytes) => detectImageLabels(options.client, bytes, options));
      const frames: FrameDetections[] = results.map(({ frame, result }) => ({ timestampMs: frame.timestampMs, detections: result.detections }));
      return { frames, engine: engineInfo("DetectLabels", results.find((r) => r.result.version)?.result.version, options, set) };
    },
  };
}

/**
 * moderate in frames mode: `DetectModerationLabels` on every sampled frame. Frames are not kept in
 * S3, so segments carry no keyframe, as with the video job.
 */
export function createImageModerationDetector(options: ImageFrameDetectorOptions): ModerationDetector {
  return {
    async detect(input, onProgress) {
      const { set, results } = await perFrame(options, input, onProgress, (bytes) => detectImageModeration(options.client, bytes, options));
      const frames: FrameModeration[] = results.map(({ frame, result }) => ({ timestampMs: frame.timestampMs, labels: result.labels }));
      return { frames, engine: engineInfo("DetectModerationLabels", results.find((r) => r.result.version)?.result.version, options, set) };
    },
  };
}

/**
 * detect-text in frames mode: `DetectText` on every sampled frame. Every frame is reported, those
 * without text with no detections, so core knows how many frames were read.
 * @example createImageTextDetector({ client, frames, pathOf, minConfidence: 80 }).detect({ mediaId, source, durationMs })
 */
export function createImageTextDetector(options: ImageFrameDetectorOptions): TextDetector {
  return {
    async detect(input, onProgress) {
      const { set, results } = await perFrame(options, input, onProgress, (bytes) => detectImageText(options.client, bytes, options));
      const frames: FrameText[] = results.map(({ frame, result }) => ({ timestampMs: frame.timestampMs, detections: result.detections }));
      const version = results.find((r) => r.result.version)?.result.version;
      return { frames, engine: engineInfo("DetectText", version, options, set, { wordFilter: textWordFilter(options.minConfidence) }) };
    },
  };
}
