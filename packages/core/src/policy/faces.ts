import type { Shot } from "../results/documents.js";

type FaceFrame = { timestampMs: number; count: number };

/**
 * Time ranges in which faces were seen (frames with at least one face, no more than `maxGapMs`
 * apart, join one range), with the most faces seen at once. Counts only: nobody is identified.
 */
export function faceRanges(frames: readonly FaceFrame[], options: { frameMs: number; maxGapMs: number }) {
  const ranges: Array<{ startMs: number; endMs: number; maxFaces: number }> = [];
  let cur: { startMs: number; lastMs: number; maxFaces: number } | undefined;
  for (const f of [...frames].sort((a, b) => a.timestampMs - b.timestampMs)) {
    if (f.count <= 0) continue;
    if (cur && f.timestampMs - cur.lastMs <= options.maxGapMs) {
      cur.lastMs = f.timestampMs;
      cur.maxFaces = Math.max(cur.maxFaces, f.count);
    } else {
      if (cur) ranges.push({ startMs: cur.startMs, endMs: cur.lastMs + options.frameMs, maxFaces: cur.maxFaces });
      cur = { startMs: f.timestampMs, lastMs: f.timestampMs, maxFaces: f.count };
    }
  }
  if (cur) ranges.push({ startMs: cur.startMs, endMs: cur.lastMs + options.frameMs, maxFaces: cur.maxFaces });
  return ranges;
}

/** The most faces seen at once in each shot (0 when its frames showed none or were not analysed). */
export function facesPerShot(frames: readonly FaceFrame[], shots: readonly Pick<Shot, "index" | "startMs" | "endMs">[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const shot of shots) {
    let max = 0;
    for (const f of frames) if (f.timestampMs >= shot.startMs && f.timestampMs < shot.endMs) max = Math.max(max, f.count);
    out.set(shot.index, max);
  }
  return out;
}
