import type { TimeRange } from "@media-pipeline/core";

/**
 * Where to cut audio so that several recognizers can each take a piece: only in the pauses between
 * speech segments (the middle of a gap), so no word is cut and each piece's word times, shifted by its
 * start, are the whole file's. Pieces are about equal in length and never shorter than `minPieceMs`
 * (each recognizer process loads its model first, which a short piece would not repay).
 * @example splitAtPauses([{ startMs: 0, endMs: 9000 }, { startMs: 10000, endMs: 19000 }], 20000, 2, 5000) // [{ startMs: 0, endMs: 9500 }, { startMs: 9500, endMs: 20000 }]
 */
export function splitAtPauses(speech: readonly TimeRange[], durationMs: number, pieces: number, minPieceMs: number): TimeRange[] {
  const want = Math.max(1, Math.min(Math.floor(pieces), Math.floor(durationMs / Math.max(1, minPieceMs))));
  const sorted = [...speech].sort((a, b) => a.startMs - b.startMs);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const end = Math.max(...sorted.slice(0, i).map((s) => s.endMs));
    if (sorted[i].startMs > end) gaps.push(Math.round((end + sorted[i].startMs) / 2));
  }
  const cuts: number[] = [];
  for (let k = 1; k < want; k++) {
    const target = (k * durationMs) / want;
    const after = cuts.at(-1) ?? 0;
    // The pause nearest the even split, keeping every piece at least minPieceMs long.
    const ok = gaps.filter((g) => g - after >= minPieceMs && durationMs - g >= minPieceMs);
    if (ok.length === 0) break;
    cuts.push(ok.reduce((best, g) => (Math.abs(g - target) < Math.abs(best - target) ? g : best)));
  }
  const bounds = [0, ...cuts, durationMs];
  return bounds.slice(1).map((endMs, i) => ({ startMs: bounds[i], endMs }));
}
