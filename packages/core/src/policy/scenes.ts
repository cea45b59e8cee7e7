import type { SceneInput } from "../ports.js";
import type { LabelsDocument, ModerationDocument, ShotsDocument, TranscriptDocument } from "../results/documents.js";

export interface SceneOptions {
  /** Shots shorter than this join their neighbour (ms). */
  minShotMs: number;
  /** Adjacent shots whose label sets are at least this similar (Jaccard 0–1) join one scene. */
  similarity: number;
  /** A scene never grows past this (ms). */
  maxSceneMs: number;
}

export const DEFAULT_SCENE_OPTIONS: SceneOptions = { minShotMs: 1500, similarity: 0.6, maxSceneMs: 90_000 };

const overlaps = (a: { startMs: number; endMs: number }, s: number, e: number) => a.startMs < e && a.endMs > s;

function labelsIn(labels: LabelsDocument | undefined, s: number, e: number) {
  const out: Array<{ name: string; confidence: number }> = [];
  for (const l of labels?.labels ?? []) {
    const hits = l.occurrences.filter((o) => overlaps(o, s, e));
    if (hits.length) out.push({ name: l.name, confidence: Math.max(...hits.map((o) => o.confidence)) });
  }
  return out.sort((a, b) => b.confidence - a.confidence);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/**
 * Builds scenes: adjacent shots merged by label similarity and time, then each scene's transcript,
 * labels and moderation flags gathered for the summarizer. Audio-only media has no shots: its
 * scenes are the transcript cut at speaker turns into pieces of at most `maxSceneMs`.
 */
export function buildScenes(
  input: {
    durationMs: number;
    shots?: ShotsDocument;
    labels?: LabelsDocument;
    transcript?: TranscriptDocument;
    moderation?: ModerationDocument;
  },
  options: SceneOptions = DEFAULT_SCENE_OPTIONS,
): SceneInput[] {
  const spans: Array<{ startMs: number; endMs: number; shotIndexes: number[] }> = [];
  if (input.shots && input.shots.shots.length > 0) {
    for (const shot of input.shots.shots) {
      const prev = spans[spans.length - 1];
      const names = (s: number, e: number) => new Set(labelsIn(input.labels, s, e).map((l) => l.name));
      const short = shot.endMs - shot.startMs < options.minShotMs;
      const similar = prev && jaccard(names(prev.startMs, prev.endMs), names(shot.startMs, shot.endMs)) >= options.similarity;
      if (prev && (short || similar) && shot.endMs - prev.startMs <= options.maxSceneMs) {
        prev.endMs = shot.endMs;
        prev.shotIndexes.push(shot.index);
      } else {
        spans.push({ startMs: shot.startMs, endMs: shot.endMs, shotIndexes: [shot.index] });
      }
    }
  } else if (input.transcript && input.transcript.segments.length > 0) {
    for (const seg of input.transcript.segments) {
      const prev = spans[spans.length - 1];
      if (prev && seg.endMs - prev.startMs <= options.maxSceneMs) prev.endMs = seg.endMs;
      else spans.push({ startMs: prev ? prev.endMs : 0, endMs: seg.endMs, shotIndexes: [] });
    }
    spans[spans.length - 1]!.endMs = Math.max(spans[spans.length - 1]!.endMs, input.durationMs);
  } else {
    spans.push({ startMs: 0, endMs: input.durationMs, shotIndexes: [] });
  }
  return spans.map((span, index) => ({
    index,
    ...span,
    transcript: (input.transcript?.segments ?? [])
      .filter((t) => overlaps(t, span.startMs, span.endMs) && t.text.trim() !== "")
      .map((t) => ({ speaker: t.speaker, text: t.text, startMs: t.startMs, endMs: t.endMs })),
    labels: labelsIn(input.labels, span.startMs, span.endMs),
    moderation: [
      ...new Set(
        (input.moderation?.segments ?? [])
          .filter((m) => overlaps(m, span.startMs, span.endMs))
          .map((m) => (m.parent ? `${m.parent}: ${m.name}` : m.name)),
      ),
    ],
  }));
}
