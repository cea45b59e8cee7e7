import { describe, expect, it } from "vitest";
import { compareVisionModes, DEFAULT_COST_SETTINGS, DEFAULT_FRAME_SAMPLE_SECONDS, estimateCloudCost, expectedFramesPerMinute, PRICES } from "./cost.js";

describe("cloud cost estimate", () => {
  it("is dominated by the Rekognition video jobs (labels, moderation, shots) and Transcribe at default settings", () => {
    const c = estimateCloudCost(10);
    expect(c.visionMode).toBe("video");
    expect(c.lines.rekognitionLabels).toBeCloseTo(1.0);
    expect(c.lines.transcribe).toBeCloseTo(0.24);
    // Shots are Rekognition segment detection, billed per minute whatever the vision mode.
    expect(c.lines.rekognitionShots).toBeCloseTo(10 * PRICES.rekognitionSegmentsPerMinute);
    // 0.10 + 0.10 + 0.05 + 0.024 + small lines.
    expect(c.perMinute).toBeGreaterThan(0.274);
    expect(c.perMinute).toBeLessThan(0.29);
    expect(c.pricesAsOf).toBe(PRICES.asOf);
  });

  it("scales Bedrock with scenes and tokens, and review with the review rate", () => {
    const base = estimateCloudCost(1);
    const more = estimateCloudCost(1, { ...DEFAULT_COST_SETTINGS, scenesPerMinute: 4, reviewRate: 1 });
    expect(more.lines.bedrock).toBeCloseTo(base.lines.bedrock * 2);
    expect(more.lines.a2i).toBeCloseTo(PRICES.a2iPerReview);
  });
});

describe("frames mode (image APIs on sampled frames instead of video jobs)", () => {
  it("samples a keyframe per shot plus one every N seconds: 35 frames a minute at 2 s and a cut every 6 s", () => {
    expect(DEFAULT_FRAME_SAMPLE_SECONDS).toBe(2);
    expect(expectedFramesPerMinute(2, 10)).toBe(35);
    // One long shot: the interval alone (plus half a frame for the shot).
    expect(expectedFramesPerMinute(2, 1)).toBe(30.5);
    // Shots shorter than the interval still get their keyframe each.
    expect(expectedFramesPerMinute(30, 10)).toBe(10);
    expect(() => expectedFramesPerMinute(0, 10)).toThrow(RangeError);
  });

  it("bills each API per frame: 2 × 35 images at $0.001 a minute instead of 2 × $0.10", () => {
    const c = estimateCloudCost(10, { ...DEFAULT_COST_SETTINGS, visionMode: "frames" });
    expect(c.framesPerMinute).toBe(35);
    expect(c.imagesPerMinute).toBe(70);
    expect(c.lines.rekognitionLabels).toBeCloseTo(10 * 35 * PRICES.rekognitionImagePerImage);
    expect(c.lines.rekognitionModeration).toBeCloseTo(c.lines.rekognitionLabels);
    // The two Lambdas that now decode the video and wait on the APIs cost more than before, but little.
    expect(c.lines.lambda).toBeGreaterThan(estimateCloudCost(10).lines.lambda);
    expect(c.lines.lambda / 10).toBeLessThan(0.001);
    // 2 × 0.035 + 0.05 (shots) + 0.024 + small lines.
    expect(c.perMinute).toBeGreaterThan(0.144);
    expect(c.perMinute).toBeLessThan(0.15);
  });

  it("saves about 47 % per media minute at the defaults, and nothing past 100 frames a minute", () => {
    const { video, frames, saving, breakEvenFramesPerMinute } = compareVisionModes();
    expect(saving.perMinute).toBeCloseTo(video.perMinute - frames.perMinute);
    expect(saving.perMinute).toBeGreaterThan(0.12);
    expect(saving.share).toBeGreaterThan(0.45);
    expect(saving.share).toBeLessThan(0.5);
    expect(breakEvenFramesPerMinute).toBe(100);
    // Sampling every 0.5 s in a 6 s shot rhythm analyses 125 frames a minute: dearer than the video jobs.
    expect(compareVisionModes({ ...DEFAULT_COST_SETTINGS, frameSampleSeconds: 0.5 }).saving.perMinute).toBeLessThan(0);
  });
});
