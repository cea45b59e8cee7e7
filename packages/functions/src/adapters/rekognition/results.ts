import {
  GetContentModerationCommand,
  GetLabelDetectionCommand,
  GetTextDetectionCommand,
  type GetContentModerationResponse,
  type GetLabelDetectionResponse,
  type GetTextDetectionResponse,
  type Label,
  type TextDetection as RekognitionTextDetection,
} from "@aws-sdk/client-rekognition";
import type { EngineInfo, FrameDetections, FrameModeration, FrameText, TextDetection } from "@media-pipeline/core";
import { classifyRekognitionError, RekognitionJobFailedError, RekognitionJobInProgressError, RekognitionRequestError } from "./errors.js";
import { textWordFilter, type RekognitionSender, type TextWordFilter } from "./jobs.js";

/** The engine name every Rekognition Video result carries, beside the model version it reports. */
export const REKOGNITION_VIDEO_ENGINE = "amazon-rekognition-video";

/** Largest page Rekognition returns (and its default). */
const MAX_RESULTS = 1000;

export interface GetFramesOptions {
  /** The MinConfidence the job was started with: Get* does not echo it, so the caller records it. */
  minConfidence?: number;
}

export type Detection = FrameDetections["detections"][number];
export type ModerationScore = FrameModeration["labels"][number];

/**
 * Reads every page of a label detection job (TIMESTAMPS aggregation, sorted by timestamp) and turns
 * it into per-frame detections, the shape the local COCO engine produces, so core aggregates both
 * the same way. Each label instance becomes a detection with its box; a label Rekognition reports
 * without instances (scenes, concepts: "Outdoors") becomes one detection without a box.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_GetLabelDetection.html
 */
export async function getLabelFrames(
  client: RekognitionSender,
  jobId: string,
  options: GetFramesOptions = {},
): Promise<{ frames: FrameDetections[]; engine: EngineInfo }> {
  const byTime = new Map<number, Detection[]>();
  let version: string | undefined;
  await readPages<GetLabelDetectionResponse>("GetLabelDetection", jobId, (NextToken) =>
    client.send(new GetLabelDetectionCommand({ JobId: jobId, MaxResults: MAX_RESULTS, NextToken, SortBy: "TIMESTAMP", AggregateBy: "TIMESTAMPS" })),
    (page) => {
      version ??= page.LabelModelVersion;
      for (const item of page.Labels ?? []) {
        const detections = item.Label ? detectionsOf(item.Label) : [];
        if (detections.length) push(byTime, timestampOf(item.Timestamp), ...detections);
      }
    },
  );
  const frames = [...byTime.entries()].sort(([a], [b]) => a - b).map(([timestampMs, detections]) => ({ timestampMs, detections }));
  return { frames, engine: engineInfo(version, jobId, options, "GetLabelDetection") };
}

/**
 * Reads every page of a content moderation job and groups the labels per timestamp. Rekognition
 * reports a detected child label and its top-level category side by side at one timestamp
 * ("Barechested Male" with ParentName "Suggestive", and "Suggestive" with ParentName ""); both are
 * kept, as `{ name, parent }`, the two-level shape core segments and thresholds.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_GetContentModeration.html
 */
export async function getModerationFrames(
  client: RekognitionSender,
  jobId: string,
  options: GetFramesOptions = {},
): Promise<{ frames: FrameModeration[]; engine: EngineInfo }> {
  const byTime = new Map<number, ModerationScore[]>();
  let version: string | undefined;
  await readPages<GetContentModerationResponse>("GetContentModeration", jobId, (NextToken) =>
    client.send(new GetContentModerationCommand({ JobId: jobId, MaxResults: MAX_RESULTS, NextToken, SortBy: "TIMESTAMP", AggregateBy: "TIMESTAMPS" })),
    (page) => {
      version ??= page.ModerationModelVersion;
      for (const item of page.ModerationLabels ?? []) {
        const label = item.ModerationLabel;
        if (!label?.Name || label.Confidence === undefined) continue;
        push(byTime, timestampOf(item.Timestamp), { name: label.Name, parent: label.ParentName ?? "", confidence: label.Confidence });
      }
    },
  );
  const frames = [...byTime.entries()].sort(([a], [b]) => a - b).map(([timestampMs, labels]) => ({ timestampMs, labels }));
  return { frames, engine: engineInfo(version, jobId, options, "GetContentModeration") };
}

/**
 * One Rekognition `Label` (video or image: the same structure) as detections: each instance with
 * its box, or one detection without a box for a label without instances ("Outdoors").
 */
export function detectionsOf(label: Label): Detection[] {
  if (!label.Name || label.Confidence === undefined) return [];
  const parents = (label.Parents ?? []).flatMap((p) => (p.Name ? [p.Name] : []));
  const base = { name: label.Name, ...(parents.length ? { parents } : {}) };
  const boxes = (label.Instances ?? []).filter((i) => i.BoundingBox);
  return boxes.length
    ? boxes.map((i) => ({
        ...base,
        // The instance's own confidence is the box's; the label's is the fallback.
        confidence: i.Confidence ?? label.Confidence!,
        boundingBox: {
          left: i.BoundingBox!.Left ?? 0,
          top: i.BoundingBox!.Top ?? 0,
          width: i.BoundingBox!.Width ?? 0,
          height: i.BoundingBox!.Height ?? 0,
        },
      }))
    : [{ ...base, confidence: label.Confidence }];
}

export interface GetTextFramesOptions {
  /** The MinConfidence the job was started with (`startTextDetection`'s input): Get* does not echo it. */
  minConfidence?: number;
  /**
   * The word filter the job was started with, when it was not `textWordFilter(minConfidence)`;
   * recorded in the engine's settings only (the job applied it).
   */
  wordFilter?: TextWordFilter;
  /** Aborts the paging: the request in flight and any page after it. */
  signal?: AbortSignal;
}

/**
 * Reads every page of a text detection job (GetTextDetection pages are in time order; it has no
 * SortBy) and groups the lines and words per timestamp, the shape the local OCR engine produces, so
 * core merges both the same way (policy/text.ts). `Type` LINE/WORD becomes `line`/`word`, `Id` and
 * `ParentId` (a word's line, unique within its frame) are kept, `Geometry.BoundingBox` becomes the
 * box; the polygon is dropped. Only frames with text appear: the job does not say which frames it
 * looked at and found none.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_GetTextDetection.html
 * @example const { frames, engine } = await getTextFrames(client, jobId, { minConfidence: 80, signal })
 */
export async function getTextFrames(
  client: RekognitionSender,
  jobId: string,
  options: GetTextFramesOptions = {},
): Promise<{ frames: FrameText[]; engine: EngineInfo }> {
  const byTime = new Map<number, TextDetection[]>();
  let version: string | undefined;
  const abortSignal = options.signal;
  await readPages<GetTextDetectionResponse>(
    "GetTextDetection",
    jobId,
    (NextToken) => client.send(new GetTextDetectionCommand({ JobId: jobId, MaxResults: MAX_RESULTS, NextToken }), abortSignal ? { abortSignal } : {}),
    (page) => {
      version ??= page.TextModelVersion;
      for (const item of page.TextDetections ?? []) {
        const detection = item.TextDetection ? textDetectionOf(item.TextDetection) : undefined;
        if (detection) push(byTime, timestampOf(item.Timestamp), detection);
      }
    },
    abortSignal,
  );
  const frames = [...byTime.entries()].sort(([a], [b]) => a - b).map(([timestampMs, detections]) => ({ timestampMs, detections }));
  const filter = options.wordFilter ?? (options.minConfidence !== undefined ? textWordFilter(options.minConfidence) : undefined);
  return {
    frames,
    engine: {
      name: REKOGNITION_VIDEO_ENGINE,
      version: version || "unknown",
      settings: { api: "GetTextDetection", jobId, ...(filter ? { wordFilter: filter } : {}) },
    },
  };
}

/**
 * One Rekognition `TextDetection` (video or image: the same structure) as core's, or undefined for
 * one that cannot be placed or read: no text, no box, or a type other than LINE and WORD.
 */
export function textDetectionOf(t: RekognitionTextDetection): TextDetection | undefined {
  const type = t.Type === "LINE" ? "line" : t.Type === "WORD" ? "word" : undefined;
  const box = t.Geometry?.BoundingBox;
  if (!type || !t.DetectedText || t.Confidence === undefined || !box) return undefined;
  return {
    text: t.DetectedText,
    type,
    confidence: Math.min(100, Math.max(0, t.Confidence)),
    box: { left: box.Left ?? 0, top: box.Top ?? 0, width: Math.max(0, box.Width ?? 0), height: Math.max(0, box.Height ?? 0) },
    ...(isId(t.Id) ? { id: t.Id } : {}),
    // A LINE's ParentId is null; only a word names its line.
    ...(type === "word" && isId(t.ParentId) ? { parentId: t.ParentId } : {}),
  };
}

function isId(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 0;
}

export interface JobPage {
  JobStatus?: string;
  StatusMessage?: string;
  NextToken?: string;
}

/**
 * Follows NextToken to the end, checking the job's status on the first page. With `signal`, an abort
 * stops it with the signal's reason (a stage deadline, not a Rekognition failure).
 */
export async function readPages<P extends JobPage>(
  operation: string,
  jobId: string,
  fetch: (nextToken: string | undefined) => Promise<P>,
  onPage: (page: P) => void,
  signal?: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  let nextToken: string | undefined;
  do {
    signal?.throwIfAborted();
    let page: P;
    try {
      page = await fetch(nextToken);
    } catch (error) {
      signal?.throwIfAborted();
      throw classifyRekognitionError(error, operation);
    }
    if (page.JobStatus === "IN_PROGRESS") throw new RekognitionJobInProgressError(jobId);
    if (page.JobStatus === "FAILED") throw new RekognitionJobFailedError(jobId, page.StatusMessage);
    onPage(page);
    nextToken = page.NextToken || undefined;
    // A token handed back twice would page forever; Rekognition never does, but a loop must not hang a Lambda.
    if (nextToken !== undefined) {
      if (seen.has(nextToken)) throw new RekognitionRequestError(`${operation} for ${jobId} repeated NextToken ${nextToken}`, { code: "RepeatedNextToken" });
      seen.add(nextToken);
    }
  } while (nextToken !== undefined);
}

function timestampOf(timestamp: number | undefined): number {
  // Milliseconds from the start of the video; core's TimeMs is a non-negative integer.
  return Math.max(0, Math.round(timestamp ?? 0));
}

function push<T>(map: Map<number, T[]>, key: number, ...values: T[]): void {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, [...values]);
}

function engineInfo(version: string | undefined, jobId: string, options: GetFramesOptions, api: string): EngineInfo {
  return {
    name: REKOGNITION_VIDEO_ENGINE,
    version: version || "unknown",
    settings: {
      api,
      jobId,
      ...(options.minConfidence !== undefined ? { minConfidence: options.minConfidence } : {}),
      aggregation: "TIMESTAMPS",
      sortBy: "TIMESTAMP",
    },
  };
}
