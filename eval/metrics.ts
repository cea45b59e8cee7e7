import { wordAccuracy } from "../packages/local/src/engines/speech/word-accuracy.js";

/**
 * The accuracy measures of the eval, as pure functions over ground truth and engine output (times in
 * milliseconds). Conventions for empty inputs are fixed here so that "nothing to find, nothing found"
 * scores 1 and never divides by zero.
 */

export interface Span {
  startMs: number;
  endMs: number;
}

export interface SpeakerSpan extends Span {
  speaker: string;
}

export interface PrecisionRecall {
  /** Matched pairs. */
  truePositives: number;
  reference: number;
  hypothesis: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Precision, recall and F1 from counts; no hypotheses → precision 1, no references → recall 1. */
export function precisionRecall(truePositives: number, reference: number, hypothesis: number): PrecisionRecall {
  const precision = hypothesis === 0 ? 1 : truePositives / hypothesis;
  const recall = reference === 0 ? 1 : truePositives / reference;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePositives, reference, hypothesis, precision, recall, f1 };
}

/** Several files' scores as one: counts summed, then precision, recall and F1 from the sums. */
export function pooledScores(scores: readonly PrecisionRecall[]): PrecisionRecall {
  const sum = (k: "truePositives" | "reference" | "hypothesis") => scores.reduce((a, s) => a + s[k], 0);
  return precisionRecall(sum("truePositives"), sum("reference"), sum("hypothesis"));
}

/**
 * Shot-boundary precision/recall/F1: a detected boundary matches a true one within ±`toleranceMs`,
 * each used at most once. Walking both sorted lists and pairing each true boundary with the earliest
 * unused detection in its window is a maximum matching, because every window has the same width.
 * @example boundaryScores([3000, 5000], [3040, 9000]) // precision 0.5, recall 0.5, f1 0.5
 */
export function boundaryScores(referenceMs: readonly number[], hypothesisMs: readonly number[], toleranceMs = 500): PrecisionRecall {
  const ref = [...referenceMs].sort((a, b) => a - b);
  const hyp = [...hypothesisMs].sort((a, b) => a - b);
  let i = 0;
  let j = 0;
  let matched = 0;
  while (i < ref.length && j < hyp.length) {
    if (hyp[j] < ref[i] - toleranceMs) j += 1; // too early for this boundary and every later one
    else if (hyp[j] > ref[i] + toleranceMs) i += 1; // nothing left can match this boundary
    else {
      matched += 1;
      i += 1;
      j += 1;
    }
  }
  return precisionRecall(matched, ref.length, hyp.length);
}

/**
 * Share of items whose expected label is among the labels found for it.
 * @example hitRate([{ expected: "Cat", found: ["Cat"] }, { expected: "Cup", found: [] }]) // { hits: 1, total: 2, rate: 0.5 }
 */
export function hitRate(items: ReadonlyArray<{ expected: string; found: readonly string[] }>): { hits: number; total: number; rate: number } {
  if (items.length === 0) throw new RangeError("hitRate needs at least one item");
  const hits = items.filter((item) => item.found.includes(item.expected)).length;
  return { hits, total: items.length, rate: hits / items.length };
}

/**
 * Word error rate over several files, pooled: total edits over total reference words, each file
 * aligned on its own (so a word can never be matched across files). Alignment and normalisation are
 * the engines' own `wordAccuracy`; its WER is rounded to 3 decimals, so edits = round(wer × words)
 * is exact for files under 1,000 words.
 * @example wordErrorRate([{ reference: "the quick fox", hypothesis: "the quick box" }]) // { errors: 1, words: 3, wer: 0.333… }
 */
export function wordErrorRate(pairs: ReadonlyArray<{ reference: string; hypothesis: string }>): { errors: number; words: number; wer: number } {
  let errors = 0;
  let words = 0;
  for (const { reference, hypothesis } of pairs) {
    const a = wordAccuracy(reference, hypothesis);
    if (a.reference >= 1000) throw new RangeError("wordErrorRate: split references of 1,000 words or more");
    errors += Math.round(a.wer * a.reference);
    words += a.reference;
  }
  return { errors, words, wer: words === 0 ? 0 : errors / words };
}

export interface DiarizationError {
  /** (missed + false alarm + confusion) / reference speech; NaN when there is no reference speech. */
  der: number;
  missedMs: number;
  falseAlarmMs: number;
  confusionMs: number;
  /** Reference speech time scored (speaker-time: overlapping speakers count once each). */
  referenceMs: number;
  /** Reference speaker → hypothesis speaker, the one-to-one mapping with the most overlap. */
  mapping: Record<string, string>;
}

/**
 * Time-based diarization error rate as NIST scores it (md-eval): every instant contributes
 * missed = max(0, nRef − nHyp), false alarm = max(0, nHyp − nRef) and confusion =
 * min(nRef, nHyp) − correct, where `correct` counts reference speakers whose mapped hypothesis
 * speaker is also talking. The mapping is the one-to-one assignment with the largest total overlap
 * (exhaustive: fine for the handful of speakers here). `collarMs` removes ±collar around every
 * reference boundary from scoring; 0 scores every millisecond.
 */
export function diarizationErrorRate(reference: readonly SpeakerSpan[], hypothesis: readonly SpeakerSpan[], collarMs = 0): DiarizationError {
  const excluded: Span[] = collarMs > 0 ? reference.flatMap((r) => [r.startMs, r.endMs]).map((t) => ({ startMs: t - collarMs, endMs: t + collarMs })) : [];
  const cuts = new Set<number>();
  for (const s of [...reference, ...hypothesis, ...excluded]) cuts.add(s.startMs).add(s.endMs);
  const times = [...cuts].sort((a, b) => a - b);
  const pieces: Array<{ ms: number; ref: string[]; hyp: string[] }> = [];
  for (let k = 0; k + 1 < times.length; k++) {
    const [a, b] = [times[k], times[k + 1]];
    const mid = (a + b) / 2;
    if (excluded.some((e) => e.startMs < mid && mid < e.endMs)) continue;
    const active = (spans: readonly SpeakerSpan[]) => [...new Set(spans.filter((s) => s.startMs < mid && mid < s.endMs).map((s) => s.speaker))];
    pieces.push({ ms: b - a, ref: active(reference), hyp: active(hypothesis) });
  }
  const mapping = bestMapping(pieces);
  let missedMs = 0;
  let falseAlarmMs = 0;
  let confusionMs = 0;
  let referenceMs = 0;
  for (const { ms, ref, hyp } of pieces) {
    const correct = ref.filter((r) => mapping[r] !== undefined && hyp.includes(mapping[r])).length;
    missedMs += Math.max(0, ref.length - hyp.length) * ms;
    falseAlarmMs += Math.max(0, hyp.length - ref.length) * ms;
    confusionMs += (Math.min(ref.length, hyp.length) - correct) * ms;
    referenceMs += ref.length * ms;
  }
  const der = referenceMs === 0 ? Number.NaN : (missedMs + falseAlarmMs + confusionMs) / referenceMs;
  return { der, missedMs, falseAlarmMs, confusionMs, referenceMs, mapping };
}

function bestMapping(pieces: ReadonlyArray<{ ms: number; ref: string[]; hyp: string[] }>): Record<string, string> {
  const overlap = new Map<string, number>();
  const refs = new Set<string>();
  const hyps = new Set<string>();
  for (const p of pieces) {
    p.ref.forEach((r) => refs.add(r));
    p.hyp.forEach((h) => hyps.add(h));
    for (const r of p.ref) for (const h of p.hyp) overlap.set(`${r}\u0000${h}`, (overlap.get(`${r}\u0000${h}`) ?? 0) + p.ms);
  }
  const refList = [...refs].sort();
  const hypList = [...hyps].sort();
  let best: { score: number; pairs: Array<[string, string]> } = { score: -1, pairs: [] };
  // Each reference speaker takes an unused hypothesis speaker or none.
  const search = (i: number, used: Set<string>, score: number, pairs: Array<[string, string]>) => {
    if (i === refList.length) {
      if (score > best.score) best = { score, pairs: [...pairs] };
      return;
    }
    search(i + 1, used, score, pairs);
    for (const h of hypList) {
      if (used.has(h)) continue;
      used.add(h);
      pairs.push([refList[i], h]);
      search(i + 1, used, score + (overlap.get(`${refList[i]}\u0000${h}`) ?? 0), pairs);
      pairs.pop();
      used.delete(h);
    }
  };
  search(0, new Set(), 0, []);
  return Object.fromEntries(best.pairs.filter(([r, h]) => (overlap.get(`${r}\u0000${h}`) ?? 0) > 0));
}

/** Distinct speakers in a set of turns. */
export function speakerCount(spans: readonly SpeakerSpan[]): number {
  return new Set(spans.map((s) => s.speaker)).size;
}

/** Share of files whose speaker count was found exactly. */
export function speakerCountAccuracy(files: ReadonlyArray<{ expected: number; found: number }>): number {
  if (files.length === 0) throw new RangeError("speakerCountAccuracy needs at least one file");
  return files.filter((f) => f.expected === f.found).length / files.length;
}

/** Intersection over union of two time spans (0 when either is empty or they do not meet). */
export function iou(a: Span, b: Span): number {
  const inter = Math.max(0, Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs));
  const union = Math.max(a.endMs, b.endMs) - Math.min(a.startMs, b.startMs);
  return inter > 0 && union > 0 ? inter / union : 0;
}

/**
 * Voice-activity segment F1: a detected segment matches a true one when their IoU ≥ `minIou`, one to
 * one, pairs taken best IoU first. When neither list overlaps itself and `minIou` ≥ 0.5, a segment
 * has at most one partner above the threshold (barring a tie at exactly 0.5), so greedy is optimal.
 */
export function segmentScores(reference: readonly Span[], hypothesis: readonly Span[], minIou = 0.5): PrecisionRecall {
  const pairs: Array<{ r: number; h: number; score: number }> = [];
  reference.forEach((r, ri) =>
    hypothesis.forEach((h, hi) => {
      const score = iou(r, h);
      if (score >= minIou) pairs.push({ r: ri, h: hi, score });
    }),
  );
  pairs.sort((a, b) => b.score - a.score);
  const usedR = new Set<number>();
  const usedH = new Set<number>();
  for (const p of pairs) {
    if (usedR.has(p.r) || usedH.has(p.h)) continue;
    usedR.add(p.r);
    usedH.add(p.h);
  }
  return precisionRecall(usedR.size, reference.length, hypothesis.length);
}

/** Processing time over media time: below 1 is faster than real time. */
export function realTimeFactor(processingMs: number, mediaMs: number): number {
  if (!(mediaMs > 0)) throw new RangeError("realTimeFactor needs a positive media duration");
  return processingMs / mediaMs;
}
