import type { BoundingBox } from "../results/common.js";
import type { FrameText, TextDetection, TextOccurrence } from "../results/documents.js";

/**
 * Lowest OCR confidence (0–100) a line or word needs to be kept: Rekognition's own default word filter
 * (DetectionFilter.MinConfidence, 80), so both runtimes keep alike. On the local engine's tuning frames
 * (packages/local/src/engines/text/text-frames.ts, 1280×720) word F1 was flat from 70 to 90 (0.88–0.89):
 * 70 gave recall 0.85 at precision 0.92, 80 gave 0.85 at 0.94, 90 gave 0.83 at 0.96.
 */
export const MIN_TEXT_CONFIDENCE = 80;

/**
 * Analysed frames a text may be missing from and still continue its occurrence: OCR drops a line on
 * one frame now and then (motion blur, a busy background behind it) while it is still on screen.
 */
export const MAX_MISSED_FRAMES = 2;

export interface MergeTextOptions {
  /** Default MIN_TEXT_CONFIDENCE. */
  minConfidence?: number;
  /** Default MAX_MISSED_FRAMES. */
  maxMissedFrames?: number;
  /**
   * The media's duration: an occurrence still on the last analysed frame ends here at the latest.
   * Without it, it ends one sampling interval after that frame.
   */
  durationMs?: number;
  /**
   * The time between analysed frames, for text seen on the last one. Default: the median gap between
   * the frames given.
   */
  frameIntervalMs?: number;
}

export interface MergedText {
  lines: TextOccurrence[];
  words: TextOccurrence[];
}

/**
 * Merges per-frame OCR into occurrences over time, for both runtimes (Rekognition's per-timestamp
 * LINE/WORD detections and the local OCR engine's come in as the same FrameText).
 *
 * The same text (compared case-insensitively, whitespace and punctuation aside, allowing one OCR
 * character error from 6 characters and two from 12; for lines, also a reading that misses words at
 * either end, see partialOcrText) at about the same place (boxes overlapping, or centres within a line
 * height) in analysed frames at most `maxMissedFrames` apart is one occurrence.
 * It starts at the first frame that showed it and ends at the first analysed frame after the last one
 * that showed it: the text was seen until then and was gone by then, so that frame's time is the
 * closest bound the samples give (for the last frame of the media, one sampling interval later,
 * clamped to the duration). Its text is the most complete reading (the longest; the most confident
 * of equally long ones: OCR drops words far more often than it adds any above the confidence floor),
 * its confidence the best of its readings, its box where it was first seen. Detections under `minConfidence`, or with no letter or digit, are dropped first.
 * A word's `line` is the index, in the returned (start-sorted) lines, of the occurrence its parent
 * line belongs to; its parent is found by `parentId`, or else by the line box holding its centre.
 * @example mergeTextFrames([{ timestampMs: 0, detections: [...] }, { timestampMs: 2000, detections: [...] }])
 */
export function mergeTextFrames(frames: readonly FrameText[], options: MergeTextOptions = {}): MergedText {
  const minConfidence = options.minConfidence ?? MIN_TEXT_CONFIDENCE;
  const maxMissed = options.maxMissedFrames ?? MAX_MISSED_FRAMES;
  if (!(minConfidence >= 0 && minConfidence <= 100)) throw new RangeError(`minConfidence must be within 0–100, got ${minConfidence}`);
  if (!(Number.isInteger(maxMissed) && maxMissed >= 0)) throw new RangeError(`maxMissedFrames must be a non-negative integer, got ${maxMissed}`);

  const sorted = [...frames].sort((a, b) => a.timestampMs - b.timestampMs);
  const times = sorted.map((f) => f.timestampMs);
  const interval = options.frameIntervalMs ?? medianGap(times);
  const endAfter = (lastIndex: number) => {
    if (lastIndex + 1 < times.length) return times[lastIndex + 1];
    const end = times[lastIndex] + interval;
    return options.durationMs !== undefined ? Math.max(times[lastIndex], Math.min(end, options.durationMs)) : end;
  };

  const lineTracks = new Tracker(maxMissed, (a, b) => sameOcrText(a, b) || partialOcrText(a, b));
  const wordTracks = new Tracker(maxMissed, sameOcrText);
  sorted.forEach((frame, index) => {
    const kept = frame.detections.filter((d) => d.confidence >= minConfidence && /[\p{L}\p{N}]/u.test(d.text));
    const lines = kept.filter((d) => d.type === "line");
    const lineTrackOf = lineTracks.add(index, frame.timestampMs, lines);
    const words = kept.filter((d) => d.type === "word");
    const wordTrackOf = wordTracks.add(index, frame.timestampMs, words);
    words.forEach((w, i) => {
      const parent = parentLine(w, lines);
      const track = parent === undefined ? undefined : lineTrackOf[parent];
      if (track !== undefined) wordTracks.tracks[wordTrackOf[i]].parents.push(track);
    });
  });

  const lineOrder = order(lineTracks.tracks);
  const lineIndex = new Map(lineOrder.map((trackIndex, i) => [trackIndex, i]));
  const lines = lineOrder.map((t) => occurrence(lineTracks.tracks[t], endAfter));
  const words = wordTracks.tracks
    .map((track) => {
      const parent = mostCommon(track.parents);
      const line = parent === undefined ? undefined : lineIndex.get(parent);
      return { ...occurrence(track, endAfter), ...(line !== undefined ? { line } : {}) };
    })
    // A line's words in reading order: by line, then left to right (their tops differ with ascenders).
    .sort((a, b) =>
      a.startMs - b.startMs ||
      (a.line !== undefined && b.line !== undefined ? a.line - b.line : 0) ||
      (a.line !== undefined && a.line === b.line ? 0 : a.box.top - b.box.top) ||
      a.box.left - b.box.left,
    );
  return { lines, words };
}

/** Lower-case, punctuation dropped, whitespace collapsed: what two readings of one text share. */
export function normalizeOcrText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** OCR character errors tolerated between two readings of a text this long (normalized). */
export function tolerableOcrEdits(length: number): number {
  return length >= 12 ? 2 : length >= 6 ? 1 : 0;
}

/** Whether two readings are the same text, within the OCR errors their length allows. */
export function sameOcrText(a: string, b: string): boolean {
  const x = normalizeOcrText(a);
  const y = normalizeOcrText(b);
  if (x === y) return x.length > 0;
  const allowed = tolerableOcrEdits(Math.min(x.length, y.length));
  return allowed > 0 && Math.abs(x.length - y.length) <= allowed && editDistance(x, y, allowed) <= allowed;
}

/**
 * Whether one reading of a line is another missing words at either end ("warning for the coast" for
 * "Storm warning for the coast": a word over a busy patch of the picture is lost in some frames). The
 * shorter must be a run of the longer's words, at least two of them or half of the longer's.
 */
export function partialOcrText(a: string, b: string): boolean {
  const x = normalizeOcrText(a).split(" ").filter(Boolean);
  const y = normalizeOcrText(b).split(" ").filter(Boolean);
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  if (short.length === 0 || short.length === long.length) return false;
  if (short.length < 2 && short.length * 2 < long.length) return false;
  const run = short.join(" ");
  for (let i = 0; i + short.length <= long.length; i++) if (long.slice(i, i + short.length).join(" ") === run) return true;
  return false;
}

/**
 * Whether two boxes (0–1 ratios) are about the same place: overlapping by a third, one mostly inside
 * the other (a partial reading's box inside the full one's), or centres within a line height.
 */
export function sameTextPlace(a: BoundingBox, b: BoundingBox): boolean {
  if (iou(a, b) >= 0.3) return true;
  const inter = intersection(a, b);
  if (inter > 0 && inter >= 0.8 * Math.min(a.width * a.height, b.width * b.height)) return true;
  const dx = a.left + a.width / 2 - (b.left + b.width / 2);
  const dy = a.top + a.height / 2 - (b.top + b.height / 2);
  const h = Math.max(a.height, b.height);
  return h > 0 && Math.hypot(dx, dy) <= h;
}

function intersection(a: BoundingBox, b: BoundingBox): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

function iou(a: BoundingBox, b: BoundingBox): number {
  const inter = intersection(a, b);
  return inter === 0 ? 0 : inter / (a.width * a.height + b.width * b.height - inter);
}

/** Levenshtein distance, stopping early once it exceeds `max`. */
function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return rowMin;
    prev = cur;
  }
  return prev[b.length];
}

interface Sighting {
  frameIndex: number;
  timestampMs: number;
  detection: TextDetection;
}

interface Track {
  sightings: Sighting[];
  /** For word tracks: the line track of each sighting's parent line. */
  parents: number[];
}

/** Open occurrences of one detection type, extended frame by frame. */
class Tracker {
  readonly tracks: Track[] = [];

  constructor(
    private readonly maxMissed: number,
    private readonly sameText: (a: string, b: string) => boolean,
  ) {}

  /** Assigns each detection of a frame to a track (continued or new); returns the track per detection. */
  add(frameIndex: number, timestampMs: number, detections: readonly TextDetection[]): number[] {
    const open = this.tracks.flatMap((t, i) => (frameIndex - last(t).frameIndex <= this.maxMissed + 1 ? [i] : []));
    // Every plausible pair, nearest first, taken greedily: a track continues with at most one detection per frame.
    const pairs: Array<{ d: number; t: number; score: number }> = [];
    detections.forEach((d, di) => {
      for (const t of open) {
        const seen = last(this.tracks[t]).detection;
        if (this.sameText(seen.text, d.text) && sameTextPlace(seen.box, d.box)) pairs.push({ d: di, t, score: iou(seen.box, d.box) - (frameIndex - last(this.tracks[t]).frameIndex) });
      }
    });
    pairs.sort((a, b) => b.score - a.score);
    const assigned: number[] = new Array(detections.length).fill(-1);
    const taken = new Set<number>();
    for (const p of pairs) {
      if (assigned[p.d] !== -1 || taken.has(p.t)) continue;
      assigned[p.d] = p.t;
      taken.add(p.t);
    }
    return detections.map((detection, di) => {
      const sighting = { frameIndex, timestampMs, detection };
      if (assigned[di] !== -1) {
        this.tracks[assigned[di]].sightings.push(sighting);
        return assigned[di];
      }
      this.tracks.push({ sightings: [sighting], parents: [] });
      return this.tracks.length - 1;
    });
  }
}

function occurrence(track: Track, endAfter: (lastIndex: number) => number): TextOccurrence {
  const first = track.sightings[0];
  const best = Math.max(...track.sightings.map((s) => s.detection.confidence));
  const length = (s: Sighting) => normalizeOcrText(s.detection.text).length;
  const fullest = track.sightings.reduce((a, b) => (length(b) > length(a) || (length(b) === length(a) && b.detection.confidence > a.detection.confidence) ? b : a));
  return {
    text: fullest.detection.text.replace(/\s+/g, " ").trim(),
    startMs: first.timestampMs,
    endMs: endAfter(last(track).frameIndex),
    confidence: Math.round(best * 10) / 10,
    box: first.detection.box,
    frames: track.sightings.length,
  };
}

/** Track indexes by start time, then top to bottom, left to right. */
function order(tracks: readonly Track[]): number[] {
  return tracks
    .map((_, i) => i)
    .sort((a, b) => {
      const x = tracks[a].sightings[0];
      const y = tracks[b].sightings[0];
      return x.timestampMs - y.timestampMs || x.detection.box.top - y.detection.box.top || x.detection.box.left - y.detection.box.left;
    });
}

/** The index (in `lines`) of a word's line: by parentId, else the line box holding the word's centre. */
function parentLine(word: TextDetection, lines: readonly TextDetection[]): number | undefined {
  if (word.parentId !== undefined) {
    const i = lines.findIndex((l) => l.id === word.parentId);
    if (i !== -1) return i;
  }
  const cx = word.box.left + word.box.width / 2;
  const cy = word.box.top + word.box.height / 2;
  const i = lines.findIndex((l) => cx >= l.box.left && cx <= l.box.left + l.box.width && cy >= l.box.top && cy <= l.box.top + l.box.height);
  return i === -1 ? undefined : i;
}

function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [v, c] of counts) if (best === undefined || c > (counts.get(best) ?? 0)) best = v;
  return best;
}

function medianGap(times: readonly number[]): number {
  const gaps = times.slice(1).map((t, i) => t - times[i]).filter((g) => g > 0).sort((a, b) => a - b);
  return gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
}

function last(track: Track): Sighting {
  return track.sightings[track.sightings.length - 1];
}
