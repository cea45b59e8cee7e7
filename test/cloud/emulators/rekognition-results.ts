import type { FrameDetections, FrameModeration } from "@media-pipeline/core";
import { AwsServiceError, pageToken, readPageToken } from "./http.js";

/*
 * The local engines' per-frame results in Rekognition's response shapes: GetLabelDetection's
 * `Labels[]`, GetContentModeration's `ModerationLabels[]`, DetectLabels' and DetectModerationLabels'
 * labels. Nothing is invented: a frame's detections of one name become one `Label` with an instance
 * per box, and moderation scores keep the engine's two-level `{ name, parent }` taxonomy as
 * `Name`/`ParentName` (TaxonomyLevel 2). The top-level category is not added as a label of its own:
 * the engine did not report it, and the cloud report must match the local one.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_GetLabelDetection.html
 */

type Detection = FrameDetections["detections"][number];

export interface RekognitionLabel {
  Name: string;
  Confidence: number;
  Instances: Array<{ BoundingBox: { Width: number; Height: number; Left: number; Top: number }; Confidence: number }>;
  Parents: Array<{ Name: string }>;
  Aliases: Array<{ Name: string }>;
  Categories: Array<{ Name: string }>;
}

export interface LabelItem {
  Timestamp: number;
  Label: RekognitionLabel;
  StartTimestampMillis?: number;
  EndTimestampMillis?: number;
  DurationMillis?: number;
}

export interface ModerationLabel {
  Confidence: number;
  Name: string;
  ParentName: string;
  TaxonomyLevel: number;
}

export interface ModerationItem {
  Timestamp: number;
  ModerationLabel: ModerationLabel;
  ContentTypes: Array<{ Confidence: number; Name: string }>;
  StartTimestampMillis?: number;
  EndTimestampMillis?: number;
  DurationMillis?: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** One frame's detections as Rekognition labels: grouped by name, each box an instance. */
export function labelsOf(detections: readonly Detection[], minConfidence: number): RekognitionLabel[] {
  const byName = new Map<string, Detection[]>();
  for (const d of detections) {
    if (d.confidence < minConfidence) continue;
    byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  }
  return [...byName].map(([name, list]) => ({
    Name: name,
    Confidence: round2(Math.max(...list.map((d) => d.confidence))),
    Instances: list
      .filter((d) => d.boundingBox)
      .map((d) => ({
        BoundingBox: { Width: d.boundingBox!.width, Height: d.boundingBox!.height, Left: d.boundingBox!.left, Top: d.boundingBox!.top },
        Confidence: round2(d.confidence),
      })),
    Parents: (list[0]!.parents ?? []).map((p) => ({ Name: p })),
    Aliases: [],
    Categories: [],
  }));
}

/** GetLabelDetection's items, aggregated by TIMESTAMPS (each analysed frame) or SEGMENTS (runs of frames). */
export function labelItems(frames: readonly FrameDetections[], minConfidence: number, aggregateBy: string, durationMs: number): LabelItem[] {
  const sorted = [...frames].sort((a, b) => a.timestampMs - b.timestampMs);
  const perFrame = sorted.map((f) => ({ timestampMs: f.timestampMs, labels: labelsOf(f.detections, minConfidence) }));
  if (aggregateBy !== "SEGMENTS") {
    return perFrame.flatMap((f) => f.labels.map((Label) => ({ Timestamp: f.timestampMs, Label })));
  }
  return segmentRuns(perFrame.map((f) => ({ timestampMs: f.timestampMs, items: f.labels, key: (l: RekognitionLabel) => l.Name })), durationMs).map(
    ({ startMs, endMs, items }) => {
      const best = items.reduce((a, b) => (b.Confidence > a.Confidence ? b : a));
      return {
        Timestamp: startMs,
        Label: { ...best, Instances: [] },
        StartTimestampMillis: startMs,
        EndTimestampMillis: endMs,
        DurationMillis: endMs - startMs,
      };
    },
  );
}

function moderationLabel(l: FrameModeration["labels"][number]): ModerationLabel {
  return { Confidence: round2(l.confidence), Name: l.name, ParentName: l.parent, TaxonomyLevel: l.parent ? 2 : 1 };
}

/** GetContentModeration's items, aggregated by TIMESTAMPS or SEGMENTS. */
export function moderationItems(frames: readonly FrameModeration[], minConfidence: number, aggregateBy: string, durationMs: number): ModerationItem[] {
  const sorted = [...frames].sort((a, b) => a.timestampMs - b.timestampMs);
  const perFrame = sorted.map((f) => ({ timestampMs: f.timestampMs, items: f.labels.filter((l) => l.confidence >= minConfidence).map(moderationLabel) }));
  if (aggregateBy !== "SEGMENTS") {
    return perFrame.flatMap((f) => f.items.map((ModerationLabel) => ({ Timestamp: f.timestampMs, ModerationLabel, ContentTypes: [] })));
  }
  return segmentRuns(perFrame.map((f) => ({ ...f, key: (l: ModerationLabel) => `${l.ParentName}/${l.Name}` })), durationMs).map(({ startMs, endMs, items }) => ({
    Timestamp: startMs,
    ModerationLabel: items.reduce((a, b) => (b.Confidence > a.Confidence ? b : a)),
    ContentTypes: [],
    StartTimestampMillis: startMs,
    EndTimestampMillis: endMs,
    DurationMillis: endMs - startMs,
  }));
}

/**
 * Runs of consecutive analysed frames in which the same key is present; a run ends at the next
 * analysed frame without it (or at the end of the video).
 */
function segmentRuns<T>(
  frames: Array<{ timestampMs: number; items: T[]; key: (item: T) => string }>,
  durationMs: number,
): Array<{ startMs: number; endMs: number; items: T[] }> {
  const open = new Map<string, { startMs: number; items: T[] }>();
  const done: Array<{ startMs: number; endMs: number; items: T[] }> = [];
  for (const frame of frames) {
    const present = new Map(frame.items.map((i) => [frame.key(i), i]));
    for (const [key, run] of open) {
      if (!present.has(key)) {
        done.push({ startMs: run.startMs, endMs: frame.timestampMs, items: run.items });
        open.delete(key);
      }
    }
    for (const [key, item] of present) {
      const run = open.get(key);
      if (run) run.items.push(item);
      else open.set(key, { startMs: frame.timestampMs, items: [item] });
    }
  }
  const last = frames.at(-1)?.timestampMs ?? 0;
  for (const run of open.values()) done.push({ startMs: run.startMs, endMs: Math.max(durationMs, last), items: run.items });
  return done.sort((a, b) => a.startMs - b.startMs);
}

/** SortBy NAME orders by label name, then time; TIMESTAMP (the default) by time, then name. */
export function sortItems<T extends { Timestamp: number }>(items: T[], sortBy: string, name: (item: T) => string): T[] {
  return [...items].sort((a, b) =>
    sortBy === "NAME" ? name(a).localeCompare(name(b)) || a.Timestamp - b.Timestamp : a.Timestamp - b.Timestamp || name(a).localeCompare(name(b)),
  );
}

/**
 * One page of `items`: MaxResults 1–1000 (default 1000), NextToken as handed out by an earlier page
 * of the same job and query (another job's token is InvalidPaginationTokenException).
 */
export function pageOf<T>(items: readonly T[], scope: string, input: Record<string, unknown>): { page: T[]; NextToken?: string } {
  const max = input.MaxResults === undefined ? 1000 : Number(input.MaxResults);
  if (!Number.isInteger(max) || max < 1) {
    throw new AwsServiceError("InvalidParameterException", "MaxResults must be a positive integer.");
  }
  const size = Math.min(1000, max);
  const token = typeof input.NextToken === "string" ? input.NextToken : undefined;
  const offset = readPageToken(token, scope, "InvalidPaginationTokenException");
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? pageToken(scope, offset + size) : undefined;
  return { page, ...(next ? { NextToken: next } : {}) };
}
