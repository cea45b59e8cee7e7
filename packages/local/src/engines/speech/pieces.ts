import { cpus } from "node:os";
import type { TimeRange } from "@media-pipeline/core";

/**
 * Where to hand the rest of a recognizer's audio to a second recognizer: the middle of the pause
 * between VAD speech segments nearest `aimMs` (default: the middle of `[fromMs, toMs)`), so no word is
 * cut and each side's word times, shifted by where it starts, are the whole file's. Both sides keep at
 * least `minPieceMs` (a new process loads its model and hears a lead-in first, which a short piece
 * would not repay); undefined when no pause qualifies.
 * @example cutRemaining([{ startMs: 0, endMs: 9000 }, { startMs: 10000, endMs: 19000 }], 0, 20000, 5000) // 9500
 */
export function cutRemaining(speech: readonly TimeRange[], fromMs: number, toMs: number, minPieceMs: number, aimMs = (fromMs + toMs) / 2): number | undefined {
  let best: number | undefined;
  for (const g of pauseMiddles(speech)) {
    if (g - fromMs < minPieceMs || toMs - g < minPieceMs) continue;
    if (best === undefined || Math.abs(g - aimMs) < Math.abs(best - aimMs)) best = g;
  }
  return best;
}

/** The middle of every gap between speech segments (overlapping segments leave no gap). */
function pauseMiddles(speech: readonly TimeRange[]): number[] {
  const sorted = [...speech].sort((a, b) => a.startMs - b.startMs);
  const middles: number[] = [];
  let end = sorted[0]?.endMs ?? 0;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].startMs > end) middles.push(Math.round((end + sorted[i].startMs) / 2));
    end = Math.max(end, sorted[i].endMs);
  }
  return middles;
}

/**
 * This machine's idle cores, averaged since the previous call (from the kernel's per-core idle time,
 * so every process counts: ours, ffmpeg's, Tesseract's, anyone's). The first call measures since the probe was made.
 */
export function machineIdleCores(): () => number {
  const sample = () => ({ idleMs: cpus().reduce((sum, c) => sum + c.times.idle, 0), at: performance.now() });
  let last = sample();
  return () => {
    const now = sample();
    const idle = (now.idleMs - last.idleMs) / Math.max(1, now.at - last.at);
    last = now;
    return Math.max(0, idle);
  };
}
