import type { BoundingBox, FrameText, TextDetection } from "@media-pipeline/core";
import { AwsServiceError, num, obj } from "./http.js";

/*
 * Text detection's request filters and response shapes, from an OCR engine's per-frame lines and
 * words: GetTextDetection's `TextDetections[]` ({ Timestamp, TextDetection }) and DetectText's
 * `TextDetections[]`. A frame's lines come first, then its words, numbered from 0 in that order, each
 * word's `ParentId` its line's `Id`, as the API reference's DetectText example has them.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_TextDetection.html
 */

/** StartTextDetection's and DetectText's `Filters`, with Rekognition's defaults filled in. */
export interface TextFilters {
  /** WordFilter.MinConfidence, 0–100; 80 when not given. */
  minConfidence: number;
  /** WordFilter.MinBoundingBoxHeight, 0–1 of the frame; 0 when not given. */
  minHeight: number;
  /** WordFilter.MinBoundingBoxWidth, 0–1 of the frame; 0 when not given. */
  minWidth: number;
  /** RegionsOfInterest as boxes (a polygon by its bounds); none: the whole frame. */
  regions: BoundingBox[];
}

export interface RekognitionTextDetection {
  DetectedText: string;
  Type: "LINE" | "WORD";
  Id: number;
  ParentId?: number;
  Confidence: number;
  Geometry: { BoundingBox: { Width: number; Height: number; Left: number; Top: number }; Polygon: Array<{ X: number; Y: number }> };
}

export interface TextItem {
  Timestamp: number;
  TextDetection: RekognitionTextDetection;
}

/** DetectText reads up to 100 words in an image; GetTextDetection up to 100 words per frame. */
const MAX_WORDS = 100;

/** Reads and checks `Filters` as Rekognition does (DetectionFilter ranges, at most 10 regions). */
export function textFilters(input: Record<string, unknown>): TextFilters {
  const filters = obj(input, "Filters");
  const word = obj(filters, "WordFilter");
  const regions = filters.RegionsOfInterest ?? [];
  if (!Array.isArray(regions) || regions.length > 10) {
    throw new AwsServiceError("InvalidParameterException", "RegionsOfInterest must be a list of at most 10 regions.");
  }
  return {
    minConfidence: num(word, "MinConfidence", { min: 0, max: 100 }) ?? 80,
    minHeight: num(word, "MinBoundingBoxHeight", { min: 0, max: 1 }) ?? 0,
    minWidth: num(word, "MinBoundingBoxWidth", { min: 0, max: 1 }) ?? 0,
    regions: regions.map((r: unknown) => regionBox(r)),
  };
}

function regionBox(region: unknown): BoundingBox {
  const r = (region && typeof region === "object" ? region : {}) as Record<string, unknown>;
  if (r.BoundingBox !== undefined) {
    const b = obj(r, "BoundingBox");
    const unit = { min: 0, max: 1 };
    return { left: num(b, "Left", unit) ?? 0, top: num(b, "Top", unit) ?? 0, width: num(b, "Width", unit) ?? 0, height: num(b, "Height", unit) ?? 0 };
  }
  const points = Array.isArray(r.Polygon) ? (r.Polygon as Array<Record<string, unknown>>) : [];
  if (points.length < 3 || points.length > 10) throw new AwsServiceError("InvalidParameterException", "A region of interest needs a BoundingBox or a Polygon of 3–10 points.");
  const xs = points.map((p) => num(p, "X", { min: 0, max: 1 }) ?? 0);
  const ys = points.map((p) => num(p, "Y", { min: 0, max: 1 }) ?? 0);
  return { left: Math.min(...xs), top: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
}

/** "More than half in that region", as RegionOfInterest documents it. */
function inRegions(box: BoundingBox, regions: readonly BoundingBox[]): boolean {
  if (regions.length === 0) return true;
  const area = box.width * box.height;
  return regions.some((r) => {
    const w = Math.min(box.left + box.width, r.left + r.width) - Math.max(box.left, r.left);
    const h = Math.min(box.top + box.height, r.top + r.height) - Math.max(box.top, r.top);
    return w > 0 && h > 0 && w * h > area / 2;
  });
}

function passes(d: TextDetection, f: TextFilters): boolean {
  return d.confidence >= f.minConfidence && d.box.height >= f.minHeight && d.box.width >= f.minWidth && inRegions(d.box, f.regions);
}

function shape(d: TextDetection, id: number, parentId: number | undefined): RekognitionTextDetection {
  const { left, top, width, height } = d.box;
  return {
    DetectedText: d.text,
    Type: d.type === "line" ? "LINE" : "WORD",
    Id: id,
    ...(parentId !== undefined ? { ParentId: parentId } : {}),
    Confidence: d.confidence,
    Geometry: {
      BoundingBox: { Width: width, Height: height, Left: left, Top: top },
      Polygon: [{ X: left, Y: top }, { X: left + width, Y: top }, { X: left + width, Y: top + height }, { X: left, Y: top + height }],
    },
  };
}

/**
 * One frame's (or image's) lines and words as Rekognition reports them after the filters. The word
 * filter applies to words; a line stays while one of its words does (a line the engine gave no
 * words is judged as a word), and the first 100 words are kept.
 */
export function textDetectionsOf(detections: readonly TextDetection[], filters: TextFilters): RekognitionTextDetection[] {
  const lines = detections.filter((d) => d.type === "line");
  const lineIds = new Set(lines.flatMap((l) => (l.id === undefined ? [] : [l.id])));
  const words = detections.filter((d) => d.type === "word" && passes(d, filters)).slice(0, MAX_WORDS);
  const hasWords = (line: TextDetection) => detections.some((d) => d.type === "word" && d.parentId !== undefined && d.parentId === line.id);
  const keptLines = lines.filter((line) =>
    line.id !== undefined && hasWords(line) ? words.some((w) => w.parentId === line.id) : passes(line, filters));
  const newId = new Map<number, number>();
  keptLines.forEach((line, i) => {
    if (line.id !== undefined) newId.set(line.id, i);
  });
  return [
    ...keptLines.map((line, i) => shape(line, i, undefined)),
    ...words.map((w, i) => shape(w, keptLines.length + i, w.parentId !== undefined && lineIds.has(w.parentId) ? newId.get(w.parentId) : undefined)),
  ];
}

/** GetTextDetection's items: every frame's detections after the filters, in time order. */
export function textItems(frames: readonly FrameText[], filters: TextFilters): TextItem[] {
  return [...frames]
    .sort((a, b) => a.timestampMs - b.timestampMs)
    .flatMap((f) => textDetectionsOf(f.detections, filters).map((TextDetection) => ({ Timestamp: f.timestampMs, TextDetection })));
}
