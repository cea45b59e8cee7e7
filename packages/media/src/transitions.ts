/**
 * Gradual shot transitions (fades, dissolves, fades through black or white) from a tiny copy of every
 * decoded frame. Pure: the frame pass writes the tiny frames, this reads them through `frame(i)`.
 *
 * ffmpeg's scene score compares neighbouring frames, and a blend spread over a second changes each
 * frame too little to pass any threshold that does not also fire on motion. What a blend has that
 * motion has not: every frame inside it is, pixel by pixel, a mix `(1 − α)·A + α·B` of the frames
 * either side, with α rising steadily from 0 to 1. So for windows of a few lengths around each frame
 * we fit α to every frame in the window and keep the windows where the ends differ clearly, the fit is
 * close, and α rises in small steps. A pan or a zoom moves pixels instead of mixing them and fits
 * badly; a hard cut mixes nothing (α jumps from 0 to 1 in one frame) and is the scene score's job.
 * A fade through black is two blends, into the flat frame and out of it, reported as one boundary.
 */

export interface TinyFrames {
  /** Frames in decode order. */
  count: number;
  /** Presentation time of frame i in media milliseconds. */
  timeMs(i: number): number;
  /** Frame i's pixels, any fixed layout (all frames the same length), 0–255. */
  frame(i: number): Uint8Array;
}

export interface GradualSettings {
  /** Total window lengths tried, in seconds: a blend is found by a window a little longer than it. */
  windowsS: readonly number[];
  /** Mean absolute difference (0–1) the window's ends must have: the two shots differ. */
  minChange: number;
  /** Largest normalized residual of the blend fit (0 = every frame an exact mix of the ends). */
  maxResidual: number;
  /** Largest step of α between two frames (a hard cut steps by ~1). */
  maxStep: number;
  /** Shortest time α spends strictly between 0.1 and 0.9. */
  minBlendMs: number;
  /** How many times the change beside the window the change across it must be. */
  minContrast: number;
  /** Longest hold on a flat frame between a fade out and a fade in that are one transition. */
  mergeMs: number;
  /** A frame whose pixels' standard deviation (0–1) is under this is flat (black, white, one colour). */
  flatStd: number;
}

export const GRADUAL_DEFAULTS: GradualSettings = {
  windowsS: [0.6, 1.2, 2.0, 3.0],
  minChange: 0.08,
  maxResidual: 0.12,
  maxStep: 0.35,
  minBlendMs: 200,
  minContrast: 3,
  mergeMs: 1000,
  flatStd: 0.04,
};

export interface GradualTransition {
  /** Where α crosses 0.5 (for a fade through a flat frame: the middle of the flat part). */
  middleMs: number;
  /** First and last frame of the blend (α leaves 0, reaches 1). */
  startMs: number;
  endMs: number;
  /** 0–1: how different the two sides are, how well the blend fits and how still the sides are. */
  score: number;
}

interface Candidate extends GradualTransition {
  residual: number;
  /** Frame indices where the blend starts and ends. */
  first: number;
  last: number;
}

/**
 * The gradual transitions in `frames`, in time order: none whose window holds a hard cut of
 * `hardCutsMs` or whose middle is within `mergeMs / 2` of one (those are already boundaries), and no
 * fade in from a flat start or out to a flat end (that joins no two shots).
 */
export function findGradualTransitions(frames: TinyFrames, hardCutsMs: readonly number[], settings: GradualSettings = GRADUAL_DEFAULTS): GradualTransition[] {
  const n = frames.count;
  if (n < 5) return [];
  const interval = medianInterval(frames);
  const flat = flatness(frames, settings.flatStd);
  const cuts = [...hardCutsMs].sort((a, b) => a - b);
  const cutIn = (fromMs: number, toMs: number) => cuts.find((c) => c > fromMs && c <= toMs);
  const candidates: Candidate[] = [];
  const minBlendFrames = Math.max(2, Math.round(settings.minBlendMs / interval));
  for (const windowS of settings.windowsS) {
    const half = Math.max(2, Math.round((windowS * 1000) / interval / 2));
    for (let c = half; c + half < n; c++) {
      const a = c - half;
      const b = c + half;
      // A hard cut inside the window: the ends differ because of the cut.
      if (cutIn(frames.timeMs(a), frames.timeMs(b)) !== undefined) continue;
      const fit = fitBlend(frames, a, b, c, settings);
      if (!fit || fit.residual > settings.maxResidual || fit.maxStep > settings.maxStep || fit.inBlend < minBlendFrames) continue;
      // A blend is bounded: each shot holds still compared with the change across the blend, while
      // slow motion (a zoom, a drifting pattern) changes as much beside the window as across it.
      // Beside means as far again, not past a hard cut.
      // A flat end (a fade into or out of black) is its own stop: what comes past it is the next fade.
      const before = flat[a] ? 0 : sideChange(frames, a, -half, cutIn);
      const after = flat[b] ? 0 : sideChange(frames, b, half, cutIn);
      const contrast = fit.change / Math.max(settings.minChange / settings.minContrast, before, after);
      if (contrast < settings.minContrast) continue;
      candidates.push({
        middleMs: fit.middleMs,
        startMs: frames.timeMs(fit.first),
        endMs: frames.timeMs(fit.last),
        first: fit.first,
        last: fit.last,
        // A clear change, a close fit and still sides all count. Contrast also picks, among the windows
        // that find one blend, one that holds all of it, whose α (so its middle) is the blend's own.
        score: Math.min(1, fit.change * 4) * (1 - fit.residual / (2 * settings.maxResidual)) * Math.min(1, contrast / (3 * settings.minContrast)),
        residual: fit.residual,
      });
    }
  }
  // Windows of several lengths around many frames find one blend many times: keep the best-scoring
  // and drop every other candidate whose middle lies inside a kept blend.
  candidates.sort((x, y) => y.score - x.score);
  const kept: Candidate[] = [];
  for (const cand of candidates) {
    if (!kept.some((k) => cand.middleMs >= k.startMs && cand.middleMs <= k.endMs)) kept.push(cand);
  }
  kept.sort((x, y) => x.middleMs - y.middleMs);
  // A fade out of a shot and the fade in of the next, touching or with only flat frames (a hold on
  // black or white) between them, are one transition whose middle is between the two.
  const allFlat = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (!flat[i]) return false;
    return true;
  };
  const joined: Candidate[] = [];
  for (const blend of kept) {
    const prev = joined.at(-1);
    const through = prev && blend.first >= prev.last - 1 && blend.first - prev.last <= Math.round(settings.mergeMs / interval) &&
      allFlat(Math.min(prev.last, blend.first), Math.max(prev.last, blend.first) + 1);
    if (prev && through) {
      joined[joined.length - 1] = {
        ...prev,
        middleMs: Math.round((frames.timeMs(prev.last) + frames.timeMs(blend.first)) / 2),
        endMs: blend.endMs,
        last: blend.last,
        score: Math.min(prev.score, blend.score),
        residual: Math.max(prev.residual, blend.residual),
      };
    } else {
      joined.push(blend);
    }
  }
  // A fade into black can be too quick to be a blend (a few frames, found as neither blend nor cut):
  // then the fade in is found alone. Its transition still spans the hold on black before it, and
  // the same after a fade out found alone.
  for (const t of joined) {
    let first = t.first;
    let last = t.last;
    while (first > 0 && flat[first] && flat[first - 1]) first--;
    while (last < n - 1 && flat[last] && flat[last + 1]) last++;
    if (first !== t.first || last !== t.last) {
      t.first = first;
      t.last = last;
      t.startMs = frames.timeMs(first);
      t.endMs = frames.timeMs(last);
      t.middleMs = Math.round((t.startMs + t.endMs) / 2);
    }
  }
  // A fade in from black at the start or out to black at the end joins no two shots.
  return joined
    .filter((t) => !allFlat(0, t.first + 1) && !allFlat(t.last, n))
    .filter((t) => !cuts.some((c) => Math.abs(c - t.middleMs) <= settings.mergeMs / 2))
    .map(({ middleMs, startMs, endMs, score }) => ({ middleMs, startMs, endMs, score: round3(score) }));
}

/**
 * How much the picture changes over `span` frames from frame `at` (span < 0: before it), stopping at
 * a hard cut or the media's edge.
 */
function sideChange(frames: TinyFrames, at: number, span: number, cutIn: (fromMs: number, toMs: number) => number | undefined): number {
  let other = Math.min(frames.count - 1, Math.max(0, at + span));
  const from = Math.min(at, other);
  const to = Math.max(at, other);
  const cut = cutIn(frames.timeMs(from), frames.timeMs(to));
  if (cut !== undefined) {
    // Walk back towards `at` until the cut is no longer between.
    while (other !== at && cutIn(frames.timeMs(Math.min(at, other)), frames.timeMs(Math.max(at, other))) !== undefined) other += span < 0 ? 1 : -1;
  }
  // Motion changes the picture about in proportion to time: a side cut short by a cut is scaled up
  // to the full span (a side of under 3 frames says nothing).
  const actual = Math.abs(other - at);
  return actual < 3 ? 0 : (meanAbsDiff(frames.frame(at), frames.frame(other)) * Math.abs(span)) / actual;
}

interface BlendFit {
  change: number;
  residual: number;
  maxStep: number;
  inBlend: number;
  middleMs: number;
  first: number;
  last: number;
}

/**
 * Fits every frame strictly between a and b as A + α·(B − A) by least squares. The residual is the
 * fit's error energy over the energy of B − A, per frame, averaged: 0 for an exact mix.
 */
function fitBlend(frames: TinyFrames, a: number, b: number, c: number, settings: GradualSettings): BlendFit | undefined {
  const A = frames.frame(a);
  const B = frames.frame(b);
  const len = A.length;
  let absSum = 0;
  let dd = 0;
  for (let p = 0; p < len; p++) {
    const d = B[p] - A[p];
    absSum += Math.abs(d);
    dd += d * d;
  }
  const change = absSum / len / 255;
  if (change < settings.minChange || dd === 0) return undefined;
  const D = new Int16Array(len);
  for (let p = 0; p < len; p++) D[p] = B[p] - A[p];
  // One pass per frame (this runs for every frame of every window): with G = F − A and D = B − A,
  // Σ(G − αD)² = ΣG² − (ΣG·D)²/ΣD² at the least-squares α, and the sums of these byte differences are exact integers.
  const fitFrame = (k: number) => {
    const F = frames.frame(k);
    let fd = 0;
    let ff = 0;
    for (let p = 0; p < len; p++) {
      const g = F[p] - A[p];
      fd += g * D[p];
      ff += g * g;
    }
    return { alpha: fd / dd, err: Math.max(0, ff - (fd * fd) / dd) / dd };
  };
  // The middle frame first: in a pan or a zoom it is no mix of the ends, and the rest is skipped.
  const middle = fitFrame(c);
  if (middle.err > settings.maxResidual * 2) return undefined;
  const alphas: number[] = [0];
  let residual = 0;
  for (let k = a + 1; k < b; k++) {
    const f = k === c ? middle : fitFrame(k);
    residual += f.err;
    alphas.push(f.alpha);
  }
  alphas.push(1);
  residual /= Math.max(1, b - a - 1);
  let maxStep = 0;
  let inBlend = 0;
  for (let i = 1; i < alphas.length; i++) maxStep = Math.max(maxStep, Math.abs(alphas[i] - alphas[i - 1]));
  for (const x of alphas) if (x > 0.1 && x < 0.9) inBlend++;
  // Where α crosses 0.5, between the two frames either side of it; the blend's ends where it leaves
  // 0.05 and reaches 0.95.
  const at = (i: number) => frames.timeMs(a + i);
  const crossing = (level: number) => {
    for (let i = 1; i < alphas.length; i++) if (alphas[i - 1] < level && alphas[i] >= level) return i;
    return -1;
  };
  const m = crossing(0.5);
  if (m < 0) return undefined;
  const f = (0.5 - alphas[m - 1]) / (alphas[m] - alphas[m - 1]);
  const middleMs = at(m - 1) + f * (at(m) - at(m - 1));
  // The blend's ends: the last frame still at A (α ≤ 0.05) and the first already at B (α ≥ 0.95).
  const start = Math.max(0, crossing(0.05) - 1);
  const end = crossing(0.95);
  return { change, residual, maxStep, inBlend, middleMs: Math.round(middleMs), first: a + start, last: end < 0 ? b : a + end };
}

function flatness(frames: TinyFrames, flatStd: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < frames.count; i++) {
    const f = frames.frame(i);
    let sum = 0;
    let sq = 0;
    for (let p = 0; p < f.length; p++) {
      sum += f[p];
      sq += f[p] * f[p];
    }
    const mean = sum / f.length;
    const std = Math.sqrt(Math.max(0, sq / f.length - mean * mean)) / 255;
    out.push(std < flatStd);
  }
  return out;
}

function medianInterval(frames: TinyFrames): number {
  const gaps: number[] = [];
  const step = Math.max(1, Math.floor(frames.count / 200));
  for (let i = step; i < frames.count; i += step) gaps.push((frames.timeMs(i) - frames.timeMs(i - step)) / step);
  gaps.sort((x, y) => x - y);
  const m = gaps[Math.floor(gaps.length / 2)];
  return m > 0 ? m : 40;
}

function meanAbsDiff(x: Uint8Array, y: Uint8Array): number {
  let sum = 0;
  for (let p = 0; p < x.length; p++) sum += Math.abs(x[p] - y[p]);
  return sum / x.length / 255;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
