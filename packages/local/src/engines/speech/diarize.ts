import type { EngineInfo, TimeRange } from "@media-pipeline/core";
import { divide } from "./cluster.js";
import { CEPSTRA, HOP, SAMPLE_RATE, frameFeatures } from "./mfcc.js";
import type { Pcm } from "./wav.js";

/** A stretch of speech by one speaker; `speaker` is `spk_0`, `spk_1`, … in order of first appearance. */
export interface SpeakerTurn extends TimeRange {
  speaker: string;
}

export const DIARIZE_SETTINGS = {
  /**
   * Embedding windows. At 1.5 s the window's phonemes moved its statistics as much as a second voice
   * did (one voice reached silhouette 0.36 on the tuning recordings); at 2.5 s one voice stays under
   * 0.2 while the closest same-sex pair scores 0.41. A turn change inside a window is placed to ~1.25 s.
   */
  windowMs: 2500,
  hopMs: 1250,
  /**
   * The cepstral block is standardised across the file and scaled so that its expected distance
   * between two windows is about 1 whatever the dimension count; pitch is kept on an absolute scale
   * (units per octave), so one steady voice does not have its small pitch wobble inflated to unit
   * variance. Two male voices 0.4 octave apart then sit ~3 apart; a man and a woman ~10.
   */
  cepstralScale: 1,
  pitchPerOctave: 8,
  linkage: "average, divisive",
  /**
   * A split is taken when its silhouette reaches this. On the 19 tuning recordings (10 single voices,
   * 6 same-sex dialogues, 2 mixed pairs, three speakers) one voice split at most 0.17 and every real
   * split scored at least 0.41: the cut sits between them.
   */
  minSilhouette: 0.3,
  /**
   * Each side of a split holds at least this many windows (about 5 s of speech); smaller groups are
   * outliers folded into the nearer side. Without it one odd window (a segment's tail) split a single
   * voice into "two speakers" with a silhouette of 0.5.
   */
  minSpeakerWindows: 3,
  /**
   * Short clips have too few windows for 3 a side (the committed sample has 5; a three-line dialogue
   * 3), so a side needs a quarter of the windows, at least 1, at most `minSpeakerWindows`. A side of
   * one window scores 0 in the silhouette, which keeps such splits modest: on three- and five-line
   * clips one voice scored 0.15–0.24 and two voices 0.46–0.93 against the same cut.
   */
  windowsPerSpeakerShare: 0.25,
  /**
   * A split scoring in this band leaves the count unsure, and the transcript says so. The band spans
   * the tuning recordings nearest the cut on either side (one voice 0.17, two male voices 0.41, widened
   * to round figures): a recording that lands in it is as close to the cut as anything it was chosen on.
   */
  unsureBand: [0.15, 0.45],
  /** Windows clustered at most (evenly picked); the rest join the nearest speaker, so hours stay seconds. */
  maxClustered: 1200,
} as const;

/**
 * How often an unsure count was wrong, on the held-apart recordings of `npm run eval` (3-speech): the
 * figure the transcript quotes. The eval fails when it measures anything else, so it cannot go stale.
 */
export const UNSURE_COUNT_RECORD = { wrong: 0, of: 3 } as const;

export const DIARIZE_ENGINE: EngineInfo = {
  name: "mfcc-pitch-divisive",
  version: "2",
  settings: { ...DIARIZE_SETTINGS, features: `MFCC c1-c${CEPSTRA} mean+std, log F0 median` },
  note: "Clusters spectral and pitch statistics: separates clearly different voices well, similar voices less reliably than Amazon Transcribe.",
};

interface Window extends TimeRange {
  segment: number;
  vector: number[];
}

/** Turns, and how sure the speaker count is. */
export interface Diarization {
  turns: SpeakerTurn[];
  /** The silhouette of the closest call: the split, taken or not, that scored nearest the cut (NaN when no split could be tried). */
  silhouette: number;
  /** A split scored inside `unsureBand`: one speaker more or fewer is a real possibility. */
  unsure: boolean;
}

/**
 * Speaker turns from VAD segments: an embedding per ~2.5 s window, divisive clustering with an
 * automatic speaker count (a split while its silhouette reaches the cut, at most `maxSpeakers`), a
 * majority smoothing within each segment, then runs of one speaker merged into turns.
 * @example diarize(pcm, [{ startMs: 480, endMs: 3310 }], 4) // [{ speaker: "spk_0", startMs: 480, endMs: 3310 }]
 */
export function diarize(pcm: Pcm, speech: TimeRange[], maxSpeakers: number): SpeakerTurn[] {
  return diarizeScored(pcm, speech, maxSpeakers).turns;
}

/** `diarize`, with the silhouette the count was chosen by and whether that leaves the count unsure. */
export function diarizeScored(pcm: Pcm, speech: TimeRange[], maxSpeakers: number): Diarization {
  const windows = speech.flatMap((range, segment) => embedWindows(pcm.samples, range, segment));
  if (windows.length === 0) return { turns: [], silhouette: Number.NaN, unsure: false };
  standardise(windows);
  const max = Math.max(1, Math.floor(maxSpeakers));
  const { minSilhouette, minSpeakerWindows, unsureBand: [lo, hi] } = DIARIZE_SETTINGS;
  const picked = pickEvenly(windows.length, DIARIZE_SETTINGS.maxClustered);
  const minSize = Math.max(1, Math.min(minSpeakerWindows, Math.floor(picked.length * DIARIZE_SETTINGS.windowsPerSpeakerShare)));
  const { labels: pickedLabels, splits } = divide(picked.map((i) => windows[i].vector), max, minSilhouette, minSize);
  const labels = labelAll(windows, picked, pickedLabels);
  smoothWithinSegments(windows, labels);
  const closest = splits.reduce((a, b) => (Number.isNaN(a) || Math.abs(b - minSilhouette) < Math.abs(a - minSilhouette) ? b : a), Number.NaN);
  return { turns: toTurns(windows, labels), silhouette: closest, unsure: splits.some((s) => s >= lo && s < hi) };
}

/** Indices of at most `max` of `n` items, evenly spread. */
function pickEvenly(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}

/** The picked windows keep their labels; every other window takes the speaker whose mean it is nearest. */
function labelAll(windows: Window[], picked: number[], pickedLabels: number[]): number[] {
  if (picked.length === windows.length) return pickedLabels;
  const k = Math.max(...pickedLabels) + 1;
  const dims = windows[0].vector.length;
  const means = Array.from({ length: k }, () => new Array<number>(dims).fill(0));
  const counts = new Array<number>(k).fill(0);
  picked.forEach((w, x) => {
    counts[pickedLabels[x]]++;
    windows[w].vector.forEach((v, d) => (means[pickedLabels[x]][d] += v));
  });
  means.forEach((m, c) => m.forEach((_, d) => (m[d] /= counts[c])));
  return windows.map((w) => {
    let best = 0;
    let low = Infinity;
    means.forEach((m, c) => {
      const d2 = m.reduce((a, v, d) => a + (v - w.vector[d]) ** 2, 0);
      if (d2 < low) [low, best] = [d2, c];
    });
    return best;
  });
}

function embedWindows(samples: Float32Array, range: TimeRange, segment: number): Window[] {
  const { windowMs, hopMs } = DIARIZE_SETTINGS;
  const starts: number[] = [];
  const span = range.endMs - range.startMs;
  if (span <= windowMs * 1.5) starts.push(range.startMs);
  else {
    for (let t = range.startMs; t + windowMs <= range.endMs; t += hopMs) starts.push(t);
    // A last window flush with the end, so the tail of a segment is covered.
    if (starts[starts.length - 1] + windowMs < range.endMs) starts.push(range.endMs - windowMs);
  }
  return starts.flatMap((startMs) => {
    const endMs = span <= windowMs * 1.5 ? range.endMs : startMs + windowMs;
    const slice = samples.subarray(Math.round((startMs * SAMPLE_RATE) / 1000), Math.round((endMs * SAMPLE_RATE) / 1000));
    const vector = embedding(slice);
    return vector ? [{ startMs, endMs, segment, vector }] : [];
  });
}

/** Means and standard deviations of the cepstra, and the median of log F0. */
function embedding(slice: Float32Array): number[] | undefined {
  const { mfcc, logF0 } = frameFeatures(slice);
  if (mfcc.length < 10) return undefined;
  const mean = new Array<number>(CEPSTRA).fill(0);
  const sq = new Array<number>(CEPSTRA).fill(0);
  for (const row of mfcc) {
    for (let k = 0; k < CEPSTRA; k++) {
      mean[k] += row[k];
      sq[k] += row[k] * row[k];
    }
  }
  const n = mfcc.length;
  const std = mean.map((m, k) => Math.sqrt(Math.max(0, sq[k] / n - (m / n) ** 2)));
  const voiced = Array.from(logF0).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const q = (p: number) => (voiced.length ? voiced[Math.min(voiced.length - 1, Math.floor(p * voiced.length))] : 0);
  // Only the median: the pitch spread and the voiced share moved with intonation and pauses as much
  // as with the voice, and dropping them widened the tuning recordings' gap between one voice and two.
  return [...mean.map((m) => m / n), ...std, voiced.length >= 5 ? q(0.5) : Number.NaN];
}

/**
 * Cepstral dimensions to zero mean and unit variance across the file, scaled by 1/sqrt(2·dims);
 * the pitch centred and scaled per octave; a missing pitch → the mean.
 */
function standardise(windows: Window[]): void {
  const dims = windows[0].vector.length;
  const cepstral = 2 * CEPSTRA;
  for (let d = 0; d < dims; d++) {
    const values = windows.map((w) => w.vector[d]).filter((v) => !Number.isNaN(v));
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length)) || 1;
    const scale = d < cepstral ? DIARIZE_SETTINGS.cepstralScale / sd / Math.sqrt(2 * cepstral) : DIARIZE_SETTINGS.pitchPerOctave;
    for (const w of windows) w.vector[d] = Number.isNaN(w.vector[d]) ? 0 : (w.vector[d] - mean) * scale;
  }
}

/** A window that disagrees with both neighbours in its segment takes their label. */
function smoothWithinSegments(windows: Window[], labels: number[]): void {
  const original = [...labels];
  for (let i = 1; i + 1 < windows.length; i++) {
    const same = windows[i - 1].segment === windows[i].segment && windows[i + 1].segment === windows[i].segment;
    if (same && original[i - 1] === original[i + 1] && original[i] !== original[i - 1]) labels[i] = original[i - 1];
  }
}

/** Runs of one label inside a segment become a turn; overlapping windows split at their midpoint. */
function toTurns(windows: Window[], labels: number[]): SpeakerTurn[] {
  const names = new Map<number, string>();
  const turns: SpeakerTurn[] = [];
  windows.forEach((w, i) => {
    if (!names.has(labels[i])) names.set(labels[i], `spk_${names.size}`);
    const speaker = names.get(labels[i])!;
    const last = turns[turns.length - 1];
    const prev = windows[i - 1];
    if (last && prev && prev.segment === w.segment) {
      if (last.speaker === speaker) {
        last.endMs = Math.max(last.endMs, w.endMs);
        return;
      }
      const boundary = Math.round((w.startMs + prev.endMs) / 2);
      last.endMs = boundary;
      turns.push({ speaker, startMs: boundary, endMs: w.endMs });
      return;
    }
    turns.push({ speaker, startMs: w.startMs, endMs: w.endMs });
  });
  return turns;
}

/** Frames per second of the features, for callers that budget work. */
export const FEATURE_RATE = SAMPLE_RATE / HOP;
