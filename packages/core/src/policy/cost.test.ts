import { describe, expect, it } from "vitest";
import { DEFAULT_COST_SETTINGS, estimateCloudCost, PRICES } from "./cost.js";

describe("cloud cost estimate", () => {
  it("is dominated by the two Rekognition video jobs and Transcribe at default settings", () => {
    const c = estimateCloudCost(10);
    expect(c.lines.rekognitionLabels).toBeCloseTo(1.0);
    expect(c.lines.transcribe).toBeCloseTo(0.24);
    expect(c.perMinute).toBeGreaterThan(0.224);
    expect(c.perMinute).toBeLessThan(0.24);
    expect(c.pricesAsOf).toBe(PRICES.asOf);
  });

  it("scales Bedrock with scenes and tokens, and review with the review rate", () => {
    const base = estimateCloudCost(1);
    const more = estimateCloudCost(1, { ...DEFAULT_COST_SETTINGS, scenesPerMinute: 4, reviewRate: 1 });
    expect(more.lines.bedrock).toBeCloseTo(base.lines.bedrock * 2);
    expect(more.lines.a2i).toBeCloseTo(PRICES.a2iPerReview);
  });
});
