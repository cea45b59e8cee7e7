import type { FrameDetections, Label } from "../results/documents.js";

/**
 * Aggregates per-frame detections into labels over the whole media, as Rekognition reports them:
 * the highest and mean confidence, the frames seen in, time ranges (frames no more than `maxGapMs`
 * apart join one range) and every instance with its box.
 */
export function aggregateLabels(
  frames: readonly FrameDetections[],
  options: { maxGapMs: number; frameMs: number },
): Label[] {
  const sorted = [...frames].sort((a, b) => a.timestampMs - b.timestampMs);
  const byName = new Map<
    string,
    { label: Label; perFrame: Map<number, number>; parents: Set<string>; last?: { startMs: number; lastMs: number; confidence: number } }
  >();
  for (const frame of sorted) {
    for (const d of frame.detections) {
      let agg = byName.get(d.name);
      if (!agg) {
        agg = {
          label: { name: d.name, confidence: 0, meanConfidence: 0, count: 0, parents: [], occurrences: [], instances: [] },
          perFrame: new Map(),
          parents: new Set(),
        };
        byName.set(d.name, agg);
      }
      for (const p of d.parents ?? []) agg.parents.add(p);
      agg.label.instances.push({
        timestampMs: frame.timestampMs,
        confidence: d.confidence,
        ...(d.boundingBox ? { boundingBox: d.boundingBox } : {}),
      });
      agg.perFrame.set(frame.timestampMs, Math.max(agg.perFrame.get(frame.timestampMs) ?? 0, d.confidence));
    }
  }
  const labels: Label[] = [];
  for (const agg of byName.values()) {
    const times = [...agg.perFrame.keys()].sort((a, b) => a - b);
    const occurrences: Label["occurrences"] = [];
    let cur: { startMs: number; lastMs: number; confidence: number } | undefined;
    for (const t of times) {
      const c = agg.perFrame.get(t)!;
      if (cur && t - cur.lastMs <= options.maxGapMs) {
        cur.lastMs = t;
        cur.confidence = Math.max(cur.confidence, c);
      } else {
        if (cur) occurrences.push({ startMs: cur.startMs, endMs: cur.lastMs + options.frameMs, confidence: round(cur.confidence) });
        cur = { startMs: t, lastMs: t, confidence: c };
      }
    }
    if (cur) occurrences.push({ startMs: cur.startMs, endMs: cur.lastMs + options.frameMs, confidence: round(cur.confidence) });
    const perFrame = [...agg.perFrame.values()];
    labels.push({
      ...agg.label,
      confidence: round(Math.max(...perFrame)),
      meanConfidence: round(perFrame.reduce((a, b) => a + b, 0) / perFrame.length),
      count: perFrame.length,
      parents: [...agg.parents].map((name) => ({ name })),
      occurrences,
    });
  }
  return labels.sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
