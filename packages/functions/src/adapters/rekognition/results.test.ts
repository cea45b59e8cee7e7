import { readFileSync } from "node:fs";
import {
  GetContentModerationCommand,
  GetLabelDetectionCommand,
  RekognitionClient,
  ThrottlingException,
  type GetContentModerationCommandOutput,
  type GetLabelDetectionCommandOutput,
} from "@aws-sdk/client-rekognition";
import { aggregateLabels, DEFAULT_THRESHOLDS, FrameDetections, FrameModeration, segmentModeration } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher, type CustomMatcher } from "aws-sdk-client-mock-vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { RekognitionJobFailedError, RekognitionJobInProgressError, RekognitionUnavailableError } from "./errors.js";
import { getLabelFrames, getModerationFrames } from "./results.js";

// Registered and typed here rather than through "aws-sdk-client-mock-vitest/extend", whose own
// augmentation, once in the program, hides the matchers from `expect` under NodeNext.
expect.extend(allCustomMatcher);
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends CustomMatcher<T> {}
}

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as T;
const labelPage = (n: 1 | 2 | 3) => fixture<GetLabelDetectionCommandOutput>(`get-label-detection-page-${n}`);
const labelJobId = "f6a5c2d1e0b94a8c7d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
const moderationJobId = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({ region: "us-east-1" });

beforeEach(() => rekognition.reset());

describe("getLabelFrames", () => {
  beforeEach(() => {
    rekognition.on(GetLabelDetectionCommand).resolvesOnce(labelPage(1)).resolvesOnce(labelPage(2)).resolvesOnce(labelPage(3));
  });

  it("follows NextToken over three pages, asking for timestamp-sorted, per-timestamp results", async () => {
    await getLabelFrames(client, labelJobId);

    expect(rekognition).toHaveReceivedCommandTimes(GetLabelDetectionCommand, 3);
    const base = { JobId: labelJobId, MaxResults: 1000, SortBy: "TIMESTAMP", AggregateBy: "TIMESTAMPS" } as const;
    expect(rekognition).toHaveReceivedNthCommandWith(GetLabelDetectionCommand, 1, { ...base, NextToken: undefined });
    expect(rekognition).toHaveReceivedNthCommandWith(GetLabelDetectionCommand, 2, { ...base, NextToken: labelPage(1).NextToken });
    expect(rekognition).toHaveReceivedNthCommandWith(GetLabelDetectionCommand, 3, { ...base, NextToken: labelPage(2).NextToken });
  });

  it("groups detections per timestamp across page boundaries, sorted by time", async () => {
    const { frames } = await getLabelFrames(client, labelJobId);

    expect(frames.map((f) => f.timestampMs)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    // 1000 ms is split between pages 1 and 2: one frame holds both.
    expect(frames[2]!.detections.map((d) => d.name)).toEqual(["Car", "Car", "Person", "Wheel"]);
    for (const frame of frames) expect(FrameDetections.safeParse(frame).success).toBe(true);
  });

  it("converts instances to boxes and parents to names, keeping label-only detections without a box", async () => {
    const { frames } = await getLabelFrames(client, labelJobId);
    const at = (ms: number) => frames.find((f) => f.timestampMs === ms)!.detections;

    expect(at(1000).filter((d) => d.name === "Car")).toEqual([
      { name: "Car", parents: ["Vehicle", "Transportation"], confidence: 96.12, boundingBox: { left: 0.0513, top: 0.5634, width: 0.3121, height: 0.2877 } },
      { name: "Car", parents: ["Vehicle", "Transportation"], confidence: 81.77, boundingBox: { left: 0.7012, top: 0.6021, width: 0.1904, height: 0.1733 } },
    ]);
    expect(at(0)).toContainEqual({ name: "Outdoors", confidence: 87.05 });
    expect(at(2000)).toEqual([{ name: "City", parents: ["Urban"], confidence: 78.64 }]);
  });

  it("names the engine with the model version and the settings", async () => {
    const { engine } = await getLabelFrames(client, labelJobId, { minConfidence: 55 });
    expect(engine).toEqual({
      name: "amazon-rekognition-video",
      version: "3.0",
      settings: { api: "GetLabelDetection", jobId: labelJobId, minConfidence: 55, aggregation: "TIMESTAMPS", sortBy: "TIMESTAMP" },
    });
  });

  it("yields frames that core aggregates into Rekognition-like labels", async () => {
    const { frames } = await getLabelFrames(client, labelJobId);
    const labels = aggregateLabels(frames, { maxGapMs: 600, frameMs: 500 });
    const car = labels.find((l) => l.name === "Car")!;
    expect(car).toMatchObject({ confidence: 96.12, count: 2, parents: [{ name: "Vehicle" }, { name: "Transportation" }] });
    expect(car.occurrences).toEqual([{ startMs: 1000, endMs: 2000, confidence: 96.12 }]);
    expect(labels.find((l) => l.name === "Person")!.count).toBe(4);
  });
});

describe("job status", () => {
  it("throws a retryable error while the job is IN_PROGRESS", async () => {
    rekognition.on(GetLabelDetectionCommand).resolves(fixture("get-label-detection-in-progress"));
    const error = await getLabelFrames(client, labelJobId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionJobInProgressError);
    expect((error as RekognitionJobInProgressError).retryable).toBe(true);
  });

  it("throws a non-retryable error with the StatusMessage when the job FAILED", async () => {
    rekognition.on(GetLabelDetectionCommand).resolves(fixture("get-label-detection-failed"));
    const error = await getLabelFrames(client, labelJobId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionJobFailedError);
    expect(error).toMatchObject({ retryable: false, jobId: labelJobId, statusMessage: "Unsupported codec/format." });
  });

  it("classifies throttling while paging as retryable", async () => {
    rekognition
      .on(GetLabelDetectionCommand)
      .resolvesOnce(labelPage(1))
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }));
    const error = await getLabelFrames(client, labelJobId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionUnavailableError);
    expect(error).toMatchObject({ code: "ThrottlingException", retryable: true });
  });
});

describe("getModerationFrames", () => {
  beforeEach(() => {
    rekognition.on(GetContentModerationCommand).resolves(fixture<GetContentModerationCommandOutput>("get-content-moderation"));
  });

  it("asks for timestamp-sorted results and groups parent and child labels per timestamp", async () => {
    const { frames, engine } = await getModerationFrames(client, moderationJobId, { minConfidence: 40 });

    expect(rekognition).toHaveReceivedCommandWith(GetContentModerationCommand, {
      JobId: moderationJobId,
      MaxResults: 1000,
      SortBy: "TIMESTAMP",
      AggregateBy: "TIMESTAMPS",
    });
    expect(frames).toEqual([
      {
        timestampMs: 1001,
        labels: [
          { name: "Suggestive", parent: "", confidence: 93.71 },
          { name: "Swimwear or Underwear", parent: "Suggestive", confidence: 93.71 },
          { name: "Female Swimwear or Underwear", parent: "Swimwear or Underwear", confidence: 93.71 },
        ],
      },
      {
        timestampMs: 1502,
        labels: [
          { name: "Suggestive", parent: "", confidence: 88.2 },
          { name: "Swimwear or Underwear", parent: "Suggestive", confidence: 88.2 },
        ],
      },
      {
        timestampMs: 2503,
        labels: [
          { name: "Alcohol", parent: "", confidence: 62.4 },
          { name: "Alcoholic Beverages", parent: "Alcohol", confidence: 62.4 },
        ],
      },
    ]);
    for (const frame of frames) expect(FrameModeration.safeParse(frame).success).toBe(true);
    expect(engine).toMatchObject({ name: "amazon-rekognition-video", version: "7.0", settings: { jobId: moderationJobId, minConfidence: 40 } });
  });

  it("yields frames that core turns into moderation segments", async () => {
    const { frames } = await getModerationFrames(client, moderationJobId);
    const segments = segmentModeration(frames, DEFAULT_THRESHOLDS, { maxGapMs: 600, frameMs: 500 });
    expect(segments.find((s) => s.name === "Suggestive")).toMatchObject({ parent: "", startMs: 1001, endMs: 2002, frames: 2, decision: "flagged" });
    expect(segments.find((s) => s.name === "Alcoholic Beverages")).toMatchObject({ parent: "Alcohol", decision: "review" });
  });
});
