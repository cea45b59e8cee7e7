import { describe, expect, it } from "vitest";
import { faceRanges, facesPerShot } from "./faces.js";

const frames = [
  { timestampMs: 0, count: 1 },
  { timestampMs: 2000, count: 2 },
  { timestampMs: 4000, count: 0 },
  { timestampMs: 6000, count: 0 },
  { timestampMs: 8000, count: 1 },
];

describe("face aggregation", () => {
  it("joins frames with faces into time ranges with the most faces seen at once", () => {
    expect(faceRanges(frames, { frameMs: 2000, maxGapMs: 3000 })).toEqual([
      { startMs: 0, endMs: 4000, maxFaces: 2 },
      { startMs: 8000, endMs: 10_000, maxFaces: 1 },
    ]);
  });

  it("counts the most faces per shot, zero for a shot without any", () => {
    const shots = [{ index: 0, startMs: 0, endMs: 3000 }, { index: 1, startMs: 3000, endMs: 7000 }, { index: 2, startMs: 7000, endMs: 10_000 }];
    expect([...facesPerShot(frames, shots)]).toEqual([[0, 2], [1, 0], [2, 1]]);
  });
});
