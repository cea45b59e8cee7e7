import { describe, expect, it } from "vitest";
import { clusterScored } from "./cluster.js";
import { DIARIZE_SETTINGS, UNSURE_COUNT_RECORD } from "./diarize.js";
import { unsureCountNote } from "./transcriber.js";

describe("an unsure speaker count, said plainly", () => {
  it("returns the silhouette the count was chosen by", () => {
    const apart = clusterScored([[0, 0], [0.1, 0], [5, 5], [5.1, 5]], 4, 0.4);
    expect(apart.labels[0]).toBe(apart.labels[1]);
    expect(apart.labels[2]).toBe(apart.labels[3]);
    expect(apart.labels[0]).not.toBe(apart.labels[2]);
    expect(apart.silhouette).toBeGreaterThan(0.9);
    // One loose cloud: the best split scores low and the answer is one cluster.
    const loose = clusterScored([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]], 4, 0.4);
    expect(new Set(loose.labels).size).toBe(1);
    expect(loose.silhouette).toBeLessThan(0.4);
    expect(Number.isNaN(clusterScored([[0, 0], [1, 1]], 4, 0.4).silhouette)).toBe(true);
  });

  it("states the band, the score and how often such a count was wrong, only when unsure", () => {
    const [lo, hi] = DIARIZE_SETTINGS.unsureBand;
    const note = unsureCountNote({ turns: [], silhouette: 0.52, unsure: true }, 2);
    expect(note).toBe(
      `The speaker count is unsure: 2 speakers found, but the voices' separation score (silhouette 0.52) is between ${lo} and ${hi}, ` +
        `where the count was wrong for ${UNSURE_COUNT_RECORD.wrong} of ${UNSURE_COUNT_RECORD.of} held-apart evaluation recordings. There may be one speaker more or fewer.`,
    );
    expect(unsureCountNote({ turns: [], silhouette: 0.91, unsure: false }, 2)).toBeUndefined();
  });
});
