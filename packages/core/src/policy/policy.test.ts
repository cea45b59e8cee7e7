import { describe, expect, it } from "vitest";
import { aggregateLabels } from "./labels.js";
import { decideModeration, parseThresholds, segmentModeration } from "./moderation.js";
import { buildScenes } from "./scenes.js";
import type { FrameModeration } from "../results/documents.js";

const T = { reviewMin: 50, flagMin: 80 };
const frame = (t: number, confidence: number, name = "Suggestive", parent = "Non-Explicit Nudity"): FrameModeration => ({
  timestampMs: t, labels: [{ name, parent, confidence }],
});

describe("moderation policy", () => {
  it("joins consecutive frames over the review threshold into one segment with the highest confidence", () => {
    const s = segmentModeration([frame(0, 10), frame(1000, 60), frame(2000, 70), frame(3000, 20)], T, { frameMs: 1000, maxGapMs: 1500 });
    expect(s).toEqual([expect.objectContaining({ name: "Suggestive", startMs: 1000, endMs: 3000, confidence: 70, frames: 2, decision: "review" })]);
    expect(decideModeration(s)).toBe("review");
  });

  it("splits segments across a gap longer than allowed and flags above flagMin", () => {
    const s = segmentModeration([frame(0, 55), frame(10_000, 90)], T, { frameMs: 1000, maxGapMs: 2500 });
    expect(s.map((x) => x.decision)).toEqual(["review", "flagged"]);
    expect(decideModeration(s)).toBe("flagged");
  });

  it("is clean below the review threshold", () => {
    expect(decideModeration(segmentModeration([frame(0, 49.9)], T, { frameMs: 1000, maxGapMs: 2500 }))).toBe("clean");
  });

  it("sends any non-zero score to review when reviewMin is 0, but never a zero score", () => {
    const t = { reviewMin: 0, flagMin: 80 };
    expect(segmentModeration([frame(0, 0.5)], t, { frameMs: 1000, maxGapMs: 2500 })).toHaveLength(1);
    expect(segmentModeration([frame(0, 0)], t, { frameMs: 1000, maxGapMs: 2500 })).toHaveLength(0);
  });

  it("applies a per-category override before the global thresholds", () => {
    const t = { ...T, categories: { Violence: { reviewMin: 20, flagMin: 40 } } };
    const s = segmentModeration([frame(0, 45, "Weapons", "Violence"), frame(0, 45)], t, { frameMs: 1000, maxGapMs: 2500 });
    expect(s.find((x) => x.parent === "Violence")?.decision).toBe("flagged");
    expect(s.find((x) => x.name === "Suggestive")).toBeUndefined();
  });

  it("refuses thresholds out of range or in the wrong order, naming the setting", () => {
    expect(() => parseThresholds({ reviewMin: "abc" })).toThrow(/MEDIA_PIPELINE_REVIEW_MIN/);
    expect(() => parseThresholds({ reviewMin: 90, flagMin: 80 })).toThrow(/must not exceed/);
    expect(parseThresholds({ reviewMin: "0", flagMin: "70" })).toMatchObject({ reviewMin: 0, flagMin: 70 });
  });
});

describe("label aggregation", () => {
  it("aggregates frames into labels with max/mean confidence, counts, ranges, parents and instances", () => {
    const box = { left: 0.1, top: 0.1, width: 0.2, height: 0.2 };
    const labels = aggregateLabels(
      [
        { timestampMs: 0, detections: [{ name: "Cup", confidence: 90, parents: ["Tableware"], boundingBox: box }] },
        { timestampMs: 2000, detections: [{ name: "Cup", confidence: 70, parents: ["Tableware"] }, { name: "Cup", confidence: 50 }] },
        { timestampMs: 10_000, detections: [{ name: "Cup", confidence: 80 }, { name: "Person", confidence: 99 }] },
      ],
      { frameMs: 2000, maxGapMs: 5000 },
    );
    expect(labels.map((l) => l.name)).toEqual(["Person", "Cup"]);
    const cup = labels[1]!;
    expect(cup).toMatchObject({ confidence: 90, meanConfidence: 80, count: 3, parents: [{ name: "Tableware" }] });
    expect(cup.occurrences).toEqual([{ startMs: 0, endMs: 4000, confidence: 90 }, { startMs: 10_000, endMs: 12_000, confidence: 80 }]);
    expect(cup.instances).toHaveLength(4);
  });
});

describe("scene building", () => {
  const shot = (index: number, startMs: number, endMs: number) => ({ index, startMs, endMs, keyframe: { bucket: "b", key: `k${index}` }, cutScore: 1 });
  const engine = { name: "t", version: "1" };
  it("merges adjacent shots with the same labels and keeps different ones apart", () => {
    const scenes = buildScenes({
      durationMs: 9000,
      shots: { durationMs: 9000, width: 1, height: 1, frames: [], engine, shots: [shot(0, 0, 3000), shot(1, 3000, 6000), shot(2, 6000, 9000)] },
      labels: {
        framesAnalyzed: 3, engine,
        labels: [
          { name: "Cat", confidence: 90, meanConfidence: 90, count: 2, parents: [], instances: [], occurrences: [{ startMs: 0, endMs: 6000, confidence: 90 }] },
          { name: "Car", confidence: 90, meanConfidence: 90, count: 1, parents: [], instances: [], occurrences: [{ startMs: 6000, endMs: 9000, confidence: 90 }] },
        ],
      },
    });
    expect(scenes.map((s) => s.shotIndexes)).toEqual([[0, 1], [2]]);
    expect(scenes[1]!.labels.map((l) => l.name)).toEqual(["Car"]);
  });

  it("cuts audio-only media into scenes along the transcript, and gives silent audio one scene", () => {
    expect(buildScenes({ durationMs: 5000 })).toEqual([expect.objectContaining({ startMs: 0, endMs: 5000, shotIndexes: [] })]);
  });
});
