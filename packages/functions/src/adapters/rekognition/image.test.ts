import { readFileSync } from "node:fs";
import {
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  InvalidImageFormatException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ThrottlingException,
  type DetectLabelsCommandOutput,
  type DetectModerationLabelsCommandOutput,
} from "@aws-sdk/client-rekognition";
import { FrameDetections, FrameModeration, isRetryable, type ObjectRef } from "@media-pipeline/core";
import type { FrameSet, FrameSource } from "@media-pipeline/media";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher, type CustomMatcher } from "aws-sdk-client-mock-vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { RekognitionRequestError, RekognitionUnavailableError } from "./errors.js";
import {
  createImageLabelDetector, createImageModerationDetector, detectImageLabels, detectImageModeration, MAX_IMAGE_BYTES, REKOGNITION_IMAGE_ENGINE,
} from "./image.js";

expect.extend(allCustomMatcher);
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends CustomMatcher<T> {}
}

/*
 * Frames mode's image-API adapter on recorded response shapes (fixtures/detect-*.json follow the
 * DetectLabels / DetectModerationLabels response syntax in the Rekognition API reference).
 */

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as T;
const labels = fixture<DetectLabelsCommandOutput>("detect-labels");
const moderation = fixture<DetectModerationLabelsCommandOutput>("detect-moderation-labels");
const noModeration = fixture<DetectModerationLabelsCommandOutput>("detect-moderation-labels-none");

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({ region: "us-east-1" });
const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
/** Records the backoff instead of waiting it out; random() = 1 gives the full delay. */
const retryOf = (delays: number[]) => ({ sleep: async (ms: number) => void delays.push(ms), random: () => 1 });
const throttled = () => new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });

beforeEach(() => rekognition.reset());

describe("detectImageLabels", () => {
  it("sends the frame as bytes with the pipeline's MinConfidence, asking for labels only", async () => {
    rekognition.on(DetectLabelsCommand).resolves(labels);
    await detectImageLabels(client, jpeg, { minConfidence: 50 });
    expect(rekognition).toHaveReceivedCommandWith(DetectLabelsCommand, { Image: { Bytes: jpeg }, MinConfidence: 50, Features: ["GENERAL_LABELS"] });
  });

  it("turns each instance into a detection with its box and parents, and a label without instances into one without", async () => {
    rekognition.on(DetectLabelsCommand).resolves(labels);
    const { detections, version } = await detectImageLabels(client, jpeg, { minConfidence: 50 });
    expect(version).toBe("3.0");
    expect(detections).toEqual([
      { name: "Cat", parents: ["Animal", "Mammal", "Pet"], confidence: 96.88, boundingBox: { left: 0.31, top: 0.15, width: 0.41, height: 0.78 } },
      { name: "Person", confidence: 88.4, boundingBox: { left: 0.02, top: 0.3, width: 0.12, height: 0.5 } },
      { name: "Person", confidence: 71.06, boundingBox: { left: 0.8, top: 0.35, width: 0.1, height: 0.44 } },
      { name: "Indoors", confidence: 64.3 },
    ]);
    // The frame shape core aggregates from either vision mode.
    expect(FrameDetections.safeParse({ timestampMs: 0, detections }).success).toBe(true);
  });

  it("waits and retries when throttled, doubling the delay, then succeeds", async () => {
    rekognition.on(DetectLabelsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: "Provisioned rate exceeded", $metadata: { httpStatusCode: 400 } }))
      .resolves(labels);
    const delays: number[] = [];
    const { detections } = await detectImageLabels(client, jpeg, { minConfidence: 50, retry: retryOf(delays) });
    expect(detections).toHaveLength(4);
    expect(rekognition).toHaveReceivedCommandTimes(DetectLabelsCommand, 3);
    expect(delays).toEqual([250, 500]);
  });

  it("gives up after the last attempt with a retryable error, so the platform retries the event later", async () => {
    rekognition.on(DetectLabelsCommand).rejects(throttled());
    const delays: number[] = [];
    const error = await detectImageLabels(client, jpeg, { minConfidence: 50, retry: { ...retryOf(delays), attempts: 4, maxDelayMs: 600 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionUnavailableError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toMatch(/DetectLabels failed with ThrottlingException/);
    expect(rekognition).toHaveReceivedCommandTimes(DetectLabelsCommand, 4);
    expect(delays).toEqual([250, 500, 600]);
  });

  it("does not retry an image Rekognition refuses", async () => {
    rekognition.on(DetectLabelsCommand).rejects(new InvalidImageFormatException({ message: "Request has invalid image format", $metadata: { httpStatusCode: 400 } }));
    const error = await detectImageLabels(client, jpeg, { minConfidence: 50, retry: retryOf([]) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionRequestError);
    expect(isRetryable(error)).toBe(false);
    expect(rekognition).toHaveReceivedCommandTimes(DetectLabelsCommand, 1);
  });

  it("refuses a frame over 5 MB (or empty) without calling the API", async () => {
    for (const bytes of [new Uint8Array(MAX_IMAGE_BYTES + 1), new Uint8Array(0)]) {
      const error = await detectImageLabels(client, bytes, { minConfidence: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RekognitionRequestError);
    }
    expect(rekognition).toHaveReceivedCommandTimes(DetectLabelsCommand, 0);
  });
});

describe("detectImageModeration", () => {
  it("keeps every taxonomy level with its parent, top-level categories under \"\"", async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves(moderation);
    const { labels: found, version } = await detectImageModeration(client, jpeg, { minConfidence: 50 });
    expect(rekognition).toHaveReceivedCommandWith(DetectModerationLabelsCommand, { Image: { Bytes: jpeg }, MinConfidence: 50 });
    expect(version).toBe("7.0");
    expect(found).toEqual([
      { name: "Suggestive", parent: "", confidence: 93.71 },
      { name: "Swimwear or Underwear", parent: "Suggestive", confidence: 93.71 },
      { name: "Female Swimwear or Underwear", parent: "Swimwear or Underwear", confidence: 93.71 },
    ]);
    expect(FrameModeration.safeParse({ timestampMs: 0, labels: found }).success).toBe(true);
  });

  it("returns nothing for a clean frame", async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves(noModeration);
    await expect(detectImageModeration(client, jpeg, { minConfidence: 50 })).resolves.toEqual({ labels: [], version: "7.0" });
  });
});

/** A frame pass of `n` frames, a cut at 0 and at 5 s, one frame every 2 s between. */
function frameSource(n: number): { source: FrameSource; calls: number } {
  const state = { calls: 0 };
  const set: FrameSet = {
    durationMs: n * 2000, width: 1280, height: 720,
    cuts: [{ timestampMs: 0, score: 1 }, { timestampMs: 5000, score: 0.6 }],
    frames: Array.from({ length: n }, (_, i) => ({
      timestampMs: i * 2000, shotIndex: i * 2000 >= 5000 ? 1 : 0, keyframe: i === 0, width: 1280, height: 720,
      frame: { bucket: "media-bucket", key: `derived/vision-frames/m1/${String(i + 1).padStart(6, "0")}.jpg` },
    })),
    engine: { name: "ffmpeg", version: "7.1", settings: { origin: "system", prefix: "derived/vision-frames", sceneThreshold: 0.3, sampleEveryMs: 2000, maxWidth: 1280 } },
  };
  return {
    get calls() { return state.calls; },
    source: { frames: async (_id, _src, onProgress) => { state.calls += 1; onProgress?.(1); return set; } },
  };
}

describe("frame detectors", () => {
  const input = { mediaId: "01jd8x7k2m4n6p8q0r2s4t6v8w", source: { bucket: "media-bucket", key: "media/01jd8x7k2m4n6p8q0r2s4t6v8w/clip.mp4" }, durationMs: 20_000 };
  const pathOf = (ref: ObjectRef) => `/tmp/ws/${ref.bucket}/${ref.key}`;

  it("calls DetectLabels once per sampled frame, at most `concurrency` at a time, in frame order", async () => {
    let inFlight = 0;
    let most = 0;
    rekognition.on(DetectLabelsCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return labels;
    });
    const frames = frameSource(10);
    const read: string[] = [];
    const progress: number[] = [];
    const detector = createImageLabelDetector({
      client, frames: frames.source, pathOf, minConfidence: 50, concurrency: 3,
      readFrame: async (path) => { read.push(path); return jpeg; },
    });
    const result = await detector.detect(input, (f) => progress.push(f));

    expect(rekognition).toHaveReceivedCommandTimes(DetectLabelsCommand, 10);
    expect(most).toBe(3);
    expect(read).toHaveLength(10);
    expect(read[0]).toBe("/tmp/ws/media-bucket/derived/vision-frames/m1/000001.jpg");
    expect(result.frames.map((f) => f.timestampMs)).toEqual([0, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000]);
    expect(result.frames[3]!.detections.map((d) => d.name)).toEqual(["Cat", "Person", "Person", "Indoors"]);
    expect(result.engine).toEqual({
      name: REKOGNITION_IMAGE_ENGINE, version: "3.0",
      settings: { api: "DetectLabels", minConfidence: 50, frames: 10, sampleEveryMs: 2000, sceneThreshold: 0.3, maxWidth: 1280, ffmpeg: "7.1" },
    });
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("calls DetectModerationLabels once per sampled frame and reports its model version", async () => {
    rekognition.on(DetectModerationLabelsCommand).resolvesOnce(moderation).resolves(noModeration);
    const result = await createImageModerationDetector({ client, frames: frameSource(3).source, pathOf, minConfidence: 40, readFrame: async () => jpeg }).detect(input);
    expect(rekognition).toHaveReceivedCommandTimes(DetectModerationLabelsCommand, 3);
    expect(result.frames).toEqual([
      { timestampMs: 0, labels: expect.arrayContaining([{ name: "Suggestive", parent: "", confidence: 93.71 }]) },
      { timestampMs: 2000, labels: [] },
      { timestampMs: 4000, labels: [] },
    ]);
    expect(result.engine).toMatchObject({ name: REKOGNITION_IMAGE_ENGINE, version: "7.0", settings: { api: "DetectModerationLabels", minConfidence: 40, frames: 3 } });
  });

  it("fails the whole detection when a frame is refused, rather than reporting a gap as clean", async () => {
    rekognition.on(DetectModerationLabelsCommand).resolvesOnce(noModeration)
      .rejects(new InvalidImageFormatException({ message: "Request has invalid image format", $metadata: { httpStatusCode: 400 } }));
    const detector = createImageModerationDetector({ client, frames: frameSource(3).source, pathOf, minConfidence: 50, concurrency: 1, readFrame: async () => jpeg });
    await expect(detector.detect(input)).rejects.toBeInstanceOf(RekognitionRequestError);
  });
});
