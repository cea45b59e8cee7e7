import type { EngineInfo, TimeRange } from "@media-pipeline/core";
import { clusterScored } from "./cluster.js";
import { CEPSTRA, HOP, SAMPLE_RATE, frameFeatures } from "./mfcc.js";
import type { Pcm } from "./wav.js";

/** A stretch of speech by one speaker; `speaker` is `spk_0`, `spk_1`, … in order of first appearance. */
export interface SpeakerTurn extends TimeRange {
  speaker: string;
}

export const DIARIZE_SETTINGS = {
  /** Embedding windows: long enough for stable statistics, short enough to follow quick turns. */
  windowMs: 1500,
  hopMs: 750,
  /**
   * The cepstral block is standardised across the file and scaled so that its expected distance
   * between two windows is about 1 whatever the dimension count; pitch is kept on an absolute scale
   * (units per octave), so one steady voice does not have its small pitch wobble inflated to unit
   * variance. Two male voices 0.4 octave apart then sit ~3 apart; a man and a woman ~10.
   */
  cepstralScale: 1,
  pitchPerOctave: 8,
  linkage: "average",
  /**
   * Below this best silhouette the audio is taken as one speaker. Measured on synthetic voices: one
   * voice 0.27 (intonation moves window pitch), two male voices 0.59, a man and a woman 0.91.
   */
  minSilhouette: 0.4,
  /**
   * Best silhouettes in this band leave the count unsure, and the transcript says so. The band spans
   * the tuning recordings nearest the cut on either side (one voice 0.27, two male voices 0.56): a
   * recording that lands between them is closer to the cut than anything the cut was chosen on.
   */
  unsureBand: [0.25, 0.6],
} as const;

/**
 * How often an unsure count was wrong, on the held-apart recordings of `npm run eval` (3-speech): the
 * figure the transcript quotes. The eval fails when it measures anything else, so it cannot go stale.
 */
export const UNSURE_COUNT_RECORD = { wrong: 4, of: 7 } as const;

export const DIARIZE_ENGINE: EngineInfo = {
  name: "mfcc-pitch-agglomerative",
  version: "1",
  settings: { ...DIARIZE_SETTINGS, features: `MFCC c1-c${CEPSTRA} mean+std, log F0 median+spread, voiced share` },
  note: "Clusters spectral and pitch statistics: separates clearly different voices well, similar voices less reliably than Amazon Transcribe.",
};

interface Window extends TimeRange {
  segment: number;
  vector: number[];
}

/** Turns, and how sure the speaker count is. */
export interface Diarization {
  turns: SpeakerTurn[];
  /** The best silhouette over 2…maxSpeakers clusters (NaN with too little speech to split). */
  silhouette: number;
  /** The silhouette is inside `unsureBand`: one speaker more or fewer is a real possibility. */
  unsure: boolean;
}

/**
 * Speaker turns from VAD segments: an embedding per ~1.5 s window, agglomerative clustering with an
 * automatic speaker count (silhouette, at most `maxSpeakers`), a majority smoothing within each
 * segment, then runs of one speaker merged into turns.
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
  const { labels, silhouette } = clusterScored(windows.map((w) => w.vector), max, DIARIZE_SETTINGS.minSilhouette);
  smoothWithinSegments(windows, labels);
  const [lo, hi] = DIARIZE_SETTINGS.unsureBand;
  return { turns: toTurns(windows, labels), silhouette, unsure: max > 1 && silhouette >= lo && silhouette < hi };
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

/** Means and standard deviations of the cepstra, the median and spread of log F0, the voiced share. */
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
  const pitch = voiced.length >= 5 ? [q(0.5), q(0.9) - q(0.1)] : [Number.NaN, Number.NaN];
  return [...mean.map((m) => m / n), ...std, ...pitch, voiced.length / n];
}

/**
 * Cepstral dimensions to zero mean and unit variance across the file, scaled by 1/sqrt(2·dims);
 * pitch dimensions centred and scaled per octave (voiced share per unit); a missing pitch → the mean.
 */
function standardise(windows: Window[]): void {
  const dims = windows[0].vector.length;
  const cepstral = 2 * CEPSTRA;
  for (let d = 0; d < dims; d++) {
    const values = windows.map((w) => w.vector[d]).filter((v) => !Number.isNaN(v));
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length)) || 1;
    const scale =
      d < cepstral
        ? DIARIZE_SETTINGS.cepstralScale / sd / Math.sqrt(2 * cepstral)
        : d === cepstral
          ? DIARIZE_SETTINGS.pitchPerOctave
          : // Pitch spread and voiced share: octave errors and pauses make them noisy, so weaker.
            DIARIZE_SETTINGS.pitchPerOctave / 4;
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
