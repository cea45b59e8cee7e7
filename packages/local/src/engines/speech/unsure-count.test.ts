import { describe, expect, it } from "vitest";
import { divide } from "./cluster.js";
import { DIARIZE_SETTINGS, UNSURE_COUNT_RECORD } from "./diarize.js";
import { unsureCountNote } from "./transcriber.js";

describe("an unsure speaker count, said plainly", () => {
  it("returns the silhouette of every split it tried", () => {
    const apart = divide([[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1]], 4, 0.4, 2);
    expect(apart.labels).toEqual([0, 0, 0, 1, 1, 1]);
    // The first split was taken (well apart); the second, inside a tight triple, could not be tried.
    expect(apart.splits).toHaveLength(1);
    expect(apart.splits[0]).toBeGreaterThan(0.9);
    // One loose cloud: the best split scores under the cut and the answer is one cluster.
    const grid = Array.from({ length: 16 }, (_, i) => [i % 4, Math.floor(i / 4)]);
    const loose = divide(grid, 4, 0.4, 2);
    expect(new Set(loose.labels).size).toBe(1);
    expect(loose.splits).toHaveLength(1);
    expect(loose.splits[0]).toBeLessThan(0.4);
    expect(divide([[0, 0], [1, 1]], 4, 0.4, 2).splits).toEqual([]);
  });

  it("states the band, the score and how often such a count was wrong, only when unsure", () => {
    const [lo, hi] = DIARIZE_SETTINGS.unsureBand;
    const note = unsureCountNote({ turns: [], silhouette: 0.27, unsure: true }, 2);
    expect(note).toBe(
      `The speaker count is unsure: 2 speakers found, but a split of the voices scored 0.27 (silhouette), between ${lo} and ${hi}, ` +
        `near the cut at ${DIARIZE_SETTINGS.minSilhouette}. Of the ${UNSURE_COUNT_RECORD.of} held-apart evaluation recordings that scored in this band, ` +
        `${UNSURE_COUNT_RECORD.wrong} had a wrong count. There may be one speaker more or fewer.`,
    );
    expect(unsureCountNote({ turns: [], silhouette: 0.91, unsure: false }, 2)).toBeUndefined();
  });
});
