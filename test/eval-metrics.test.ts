import { describe, expect, it } from "vitest";
import {
  boundaryScores,
  diarizationErrorRate,
  hitRate,
  iou,
  pooledScores,
  precisionRecall,
  realTimeFactor,
  segmentScores,
  speakerCount,
  speakerCountAccuracy,
  wordErrorRate,
} from "../eval/metrics.js";

describe("boundaryScores (shot boundaries, ±0.5 s, one-to-one)", () => {
  it("counts a detection within the tolerance as a hit and one outside as a miss", () => {
    const s = boundaryScores([3000, 5000, 8000], [3040, 5600, 8000]);
    expect([s.truePositives, s.precision, s.recall]).toEqual([2, 2 / 3, 2 / 3]);
    expect(s.f1).toBeCloseTo(2 / 3);
  });

  it("matches each true boundary at most once, so a double detection is a false positive", () => {
    const s = boundaryScores([3000], [2900, 3100]);
    expect(s).toMatchObject({ truePositives: 1, precision: 0.5, recall: 1 });
  });

  it("finds the maximum matching when windows overlap (pairing nearest first would lose one)", () => {
    // 3350 is nearest to 3000 but is the only candidate for 3800; 2550 serves 3000.
    const s = boundaryScores([3000, 3800], [2550, 3350]);
    expect(s.truePositives).toBe(2);
  });

  it("is inclusive at exactly the tolerance and independent of input order", () => {
    expect(boundaryScores([5000, 1000], [1500, 4500]).truePositives).toBe(2);
    expect(boundaryScores([1000], [1501]).truePositives).toBe(0);
  });

  it("scores nothing found against something to find as F1 0, and nothing against nothing as 1", () => {
    expect(boundaryScores([1000], []).f1).toBe(0);
    expect(boundaryScores([], [1000])).toMatchObject({ precision: 0, recall: 1, f1: 0 });
    expect(boundaryScores([], []).f1).toBe(1);
  });
});

describe("precisionRecall and pooledScores", () => {
  it("gives F1 0 rather than NaN when precision and recall are both 0", () => {
    expect(precisionRecall(0, 3, 2).f1).toBe(0);
  });

  it("pools files by summing counts, not by averaging their F1", () => {
    const pooled = pooledScores([precisionRecall(8, 8, 8), precisionRecall(0, 0, 2)]);
    expect(pooled).toMatchObject({ truePositives: 8, reference: 8, hypothesis: 10, precision: 0.8, recall: 1 });
  });
});

describe("hitRate (expected label per shot)", () => {
  it("is the share of items whose expected label was found", () => {
    expect(hitRate([{ expected: "Cat", found: ["Dog", "Cat"] }, { expected: "Cup", found: ["Bowl"] }])).toEqual({ hits: 1, total: 2, rate: 0.5 });
  });

  it("refuses an empty list instead of reporting a perfect score", () => {
    expect(() => hitRate([])).toThrow(RangeError);
  });
});

describe("wordErrorRate (pooled over files)", () => {
  it("pools edits over reference words, ignoring case and punctuation", () => {
    const r = wordErrorRate([
      { reference: "The quick fox.", hypothesis: "the quick box" }, // 1 substitution
      { reference: "jumps over the dog", hypothesis: "jumps the lazy dog today" }, // 1 deletion, 2 insertions
    ]);
    expect(r).toEqual({ errors: 4, words: 7, wer: 4 / 7 });
  });

  it("counts an empty hypothesis as every word deleted", () => {
    expect(wordErrorRate([{ reference: "a b c", hypothesis: "" }]).wer).toBe(1);
  });
});

describe("diarizationErrorRate (time-based, best one-to-one mapping)", () => {
  const ref = [
    { speaker: "male", startMs: 0, endMs: 4000 },
    { speaker: "female", startMs: 5000, endMs: 9000 },
  ];

  it("is 0 for a perfect hypothesis whatever its speaker names", () => {
    const r = diarizationErrorRate(ref, [
      { speaker: "spk_1", startMs: 0, endMs: 4000 },
      { speaker: "spk_0", startMs: 5000, endMs: 9000 },
    ]);
    expect(r.der).toBe(0);
    expect(r.mapping).toEqual({ male: "spk_1", female: "spk_0" });
  });

  it("splits errors into missed speech, false alarm and speaker confusion", () => {
    const r = diarizationErrorRate(ref, [
      { speaker: "a", startMs: 500, endMs: 4500 }, // 500 missed at the start, 500 false alarm after
      { speaker: "b", startMs: 5000, endMs: 7000 },
      { speaker: "a", startMs: 7000, endMs: 9000 }, // 2000 confused
    ]);
    expect(r).toMatchObject({ missedMs: 500, falseAlarmMs: 500, confusionMs: 2000, referenceMs: 8000 });
    expect(r.der).toBeCloseTo(3000 / 8000);
  });

  it("charges every second of a merged speaker as confusion when one label covers two voices", () => {
    const r = diarizationErrorRate(ref, [{ speaker: "x", startMs: 0, endMs: 9000 }]);
    // x maps to one voice; the other voice's 4 s are confusion, the 1 s gap is a false alarm.
    expect(r).toMatchObject({ confusionMs: 4000, falseAlarmMs: 1000, missedMs: 0 });
  });

  it("counts overlapping reference speech once per speaker", () => {
    const r = diarizationErrorRate(
      [{ speaker: "a", startMs: 0, endMs: 2000 }, { speaker: "b", startMs: 1000, endMs: 3000 }],
      [{ speaker: "x", startMs: 0, endMs: 3000 }],
    );
    expect(r).toMatchObject({ referenceMs: 4000, missedMs: 1000 });
  });

  it("leaves ±collar around reference boundaries unscored when a collar is given", () => {
    const hyp = [{ speaker: "a", startMs: 200, endMs: 4200 }, { speaker: "b", startMs: 5000, endMs: 9000 }];
    expect(diarizationErrorRate(ref, hyp, 0).der).toBeCloseTo(400 / 8000);
    expect(diarizationErrorRate(ref, hyp, 250).der).toBe(0);
  });

  it("is NaN without reference speech (the false alarm is still reported)", () => {
    const r = diarizationErrorRate([], [{ speaker: "x", startMs: 0, endMs: 1000 }]);
    expect(r.der).toBeNaN();
    expect(r.falseAlarmMs).toBe(1000);
  });
});

describe("speaker counts", () => {
  it("counts distinct speakers and the share of files counted right", () => {
    expect(speakerCount([{ speaker: "a", startMs: 0, endMs: 1 }, { speaker: "a", startMs: 2, endMs: 3 }])).toBe(1);
    expect(speakerCountAccuracy([{ expected: 2, found: 2 }, { expected: 1, found: 2 }, { expected: 0, found: 0 }])).toBeCloseTo(2 / 3);
  });
});

describe("segmentScores (voice activity, IoU ≥ 0.5, one-to-one)", () => {
  it("matches segments by IoU and reports a split segment as one hit plus a false positive", () => {
    const ref = [{ startMs: 0, endMs: 2000 }, { startMs: 3000, endMs: 5000 }];
    const hyp = [{ startMs: 100, endMs: 1900 }, { startMs: 3000, endMs: 4200 }, { startMs: 4400, endMs: 5000 }];
    const s = segmentScores(ref, hyp);
    expect(s).toMatchObject({ truePositives: 2, precision: 2 / 3, recall: 1 });
  });

  it("does not match two segments merged into one when neither covers half the union", () => {
    const s = segmentScores([{ startMs: 0, endMs: 1000 }, { startMs: 1200, endMs: 2200 }], [{ startMs: 0, endMs: 2200 }]);
    expect(s.truePositives).toBe(0);
  });

  it("scores silence with no detections as perfect, and any detection on it as precision 0", () => {
    expect(segmentScores([], []).f1).toBe(1);
    expect(segmentScores([], [{ startMs: 0, endMs: 500 }]).precision).toBe(0);
  });

  it("computes IoU of spans", () => {
    expect(iou({ startMs: 0, endMs: 2000 }, { startMs: 1000, endMs: 3000 })).toBeCloseTo(1 / 3);
    expect(iou({ startMs: 0, endMs: 1000 }, { startMs: 1000, endMs: 2000 })).toBe(0);
  });
});

describe("realTimeFactor", () => {
  it("is processing time over media time", () => {
    expect(realTimeFactor(500, 10_000)).toBe(0.05);
    expect(() => realTimeFactor(1, 0)).toThrow(RangeError);
  });
});
