import type {
  FrameModeration,
  ModerationDecision,
  ModerationSegment,
  ModerationThresholds,
} from "../results/documents.js";

/** Defaults: from 50 a label goes to review, from 80 it is flagged without review. */
export const DEFAULT_THRESHOLDS: ModerationThresholds = { reviewMin: 50, flagMin: 80 };

/** The thresholds for one label: its top-level category's override, else the global ones. */
export function thresholdsFor(t: ModerationThresholds, label: { name: string; parent: string }) {
  const category = label.parent || label.name;
  return t.categories?.[category] ?? t.categories?.[label.name] ?? { reviewMin: t.reviewMin, flagMin: t.flagMin };
}

function classify(confidence: number, t: { reviewMin: number; flagMin: number }): ModerationDecision {
  // reviewMin 0 means "any non-zero score goes to review", never "everything, even zero".
  if (confidence <= 0) return "clean";
  if (confidence >= t.flagMin) return "flagged";
  if (confidence >= t.reviewMin) return "review";
  return "clean";
}

/**
 * Turns per-frame scores into segments: consecutive frames (no more than `maxGapMs` apart) in which
 * the same label is at or above its review threshold form one segment, whose confidence is the
 * highest frame's and whose decision follows from it.
 */
export function segmentModeration(
  frames: readonly FrameModeration[],
  thresholds: ModerationThresholds,
  options: { maxGapMs: number; frameMs: number },
): ModerationSegment[] {
  const sorted = [...frames].sort((a, b) => a.timestampMs - b.timestampMs);
  const open = new Map<string, ModerationSegment & { lastMs: number }>();
  const done: ModerationSegment[] = [];
  const close = (key: string) => {
    const s = open.get(key);
    if (!s) return;
    open.delete(key);
    const { lastMs, ...segment } = s;
    done.push({ ...segment, endMs: lastMs + options.frameMs });
  };
  for (const frame of sorted) {
    for (const label of frame.labels) {
      const t = thresholdsFor(thresholds, label);
      const decision = classify(label.confidence, t);
      const key = `${label.parent}/${label.name}`;
      const cur = open.get(key);
      if (decision === "clean") continue;
      if (cur && frame.timestampMs - cur.lastMs <= options.maxGapMs) {
        cur.lastMs = frame.timestampMs;
        cur.frames += 1;
        if (label.confidence > cur.confidence) {
          cur.confidence = label.confidence;
          cur.decision = classify(label.confidence, t);
          if (frame.frame) cur.keyframe = frame.frame;
        }
        continue;
      }
      close(key);
      open.set(key, {
        name: label.name,
        parent: label.parent,
        confidence: label.confidence,
        startMs: frame.timestampMs,
        endMs: frame.timestampMs,
        lastMs: frame.timestampMs,
        frames: 1,
        decision,
        ...(frame.frame ? { keyframe: frame.frame } : {}),
      });
    }
    // A label absent from this frame ends its segment only when the gap grows too long.
    for (const [key, s] of open) if (frame.timestampMs - s.lastMs > options.maxGapMs) close(key);
  }
  for (const key of [...open.keys()]) close(key);
  return done.sort((a, b) => a.startMs - b.startMs || b.confidence - a.confidence);
}

/** The media's decision: flagged if any segment is flagged, review if any needs review, else clean. */
export function decideModeration(segments: readonly ModerationSegment[]): ModerationDecision {
  if (segments.some((s) => s.decision === "flagged")) return "flagged";
  if (segments.some((s) => s.decision === "review")) return "review";
  return "clean";
}

/**
 * Reads thresholds from configuration values (config file, CLI flags, environment), refusing typos
 * and impossible combinations loudly.
 */
export function parseThresholds(input: { reviewMin?: unknown; flagMin?: unknown }, base = DEFAULT_THRESHOLDS): ModerationThresholds {
  const num = (v: unknown, name: string, fallback: number) => {
    if (v === undefined || v === "") return fallback;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 100) throw new RangeError(`${name} must be a number from 0 to 100, got ${String(v)}`);
    return n;
  };
  const reviewMin = num(input.reviewMin, "reviewMin (MEDIA_PIPELINE_REVIEW_MIN)", base.reviewMin);
  const flagMin = num(input.flagMin, "flagMin (MEDIA_PIPELINE_FLAG_MIN)", base.flagMin);
  if (reviewMin > flagMin) throw new RangeError(`reviewMin (${reviewMin}) must not exceed flagMin (${flagMin})`);
  return { ...base, reviewMin, flagMin };
}
