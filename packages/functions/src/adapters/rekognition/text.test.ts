import { readFileSync } from "node:fs";
import {
  DetectTextCommand,
  GetTextDetectionCommand,
  InvalidImageFormatException,
  InvalidParameterException,
  LimitExceededException,
  RekognitionClient,
  StartLabelDetectionCommand,
  StartTextDetectionCommand,
  ThrottlingException,
  type DetectTextCommandOutput,
  type GetTextDetectionCommandOutput,
} from "@aws-sdk/client-rekognition";
import { EventValidationError, FrameText, isRetryable, NonRetryableError, type ObjectRef } from "@media-pipeline/core";
import type { FrameSet, FrameSource } from "@media-pipeline/media";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher, type CustomMatcher } from "aws-sdk-client-mock-vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { parseCompletionMessage, parseVideoJobCompletion } from "./completion.js";
import { RekognitionJobFailedError, RekognitionLimitError, RekognitionRequestError, RekognitionUnavailableError } from "./errors.js";
import { createImageTextDetector, detectImageText, REKOGNITION_IMAGE_ENGINE } from "./image.js";
import {
  jobTag, jobToken, parseJobTag, RekognitionJobKind, RekognitionVideoJobKind, startTextDetection, startVideoJob, textWordFilter, type StartVideoJobInput,
} from "./jobs.js";
import { getTextFrames, REKOGNITION_VIDEO_ENGINE } from "./results.js";
import { getJobStatusMessage } from "./segments.js";

// Registered and typed here rather than through "aws-sdk-client-mock-vitest/extend", whose own
// augmentation, once in the program, hides the matchers from `expect` under NodeNext.
expect.extend(allCustomMatcher);
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends CustomMatcher<T> {}
}

/*
 * Text detection (detect-text) on recorded shapes: fixtures/get-text-detection-*.json, detect-text.json
 * and sns-text-detection-succeeded.json follow the GetTextDetection, DetectText and completion
 * message syntax of the Rekognition API reference.
 */

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as T;
const textPage = (n: 1 | 2) => fixture<GetTextDetectionCommandOutput>(`get-text-detection-page-${n}`);
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const textJobId = "8e2c4a6b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4a6c8e0a2c4e6a8c0e2a";
const notification = {
  snsTopicArn: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  roleArn: "arn:aws:iam::111122223333:role/media-pipeline-rekognition",
};
const input: StartVideoJobInput = { mediaId, source: { bucket: "media-bucket", key: `media/${mediaId}/talk.mp4` }, minConfidence: 80, notification };
const meta = { httpStatusCode: 400, requestId: "5c3a9e3e-8f0b-4d7e-9a55-0b1f2d3c4e5f" };

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({ region: "us-east-1" });

beforeEach(() => rekognition.reset());

describe("startTextDetection", () => {
  it("sends the video, the text token and JobTag, the SNS channel, and the word filter instead of a top-level MinConfidence", async () => {
    rekognition.on(StartTextDetectionCommand).resolves({ JobId: textJobId });

    await expect(startTextDetection(client, input)).resolves.toEqual({ jobId: textJobId });

    const sent = rekognition.commandCalls(StartTextDetectionCommand)[0]!.args[0].input;
    expect(sent).toEqual({
      Video: { S3Object: { Bucket: "media-bucket", Name: `media/${mediaId}/talk.mp4` } },
      ClientRequestToken: `media-pipeline-${mediaId}-text`,
      JobTag: `${mediaId}-text`,
      NotificationChannel: { SNSTopicArn: notification.snsTopicArn, RoleArn: notification.roleArn },
      Filters: { WordFilter: { MinConfidence: 80, MinBoundingBoxHeight: 0.02, MinBoundingBoxWidth: 0 } },
    });
    expect(sent).not.toHaveProperty("MinConfidence");
  });

  it("raises a floor under 50 to 50, below which text in video reports nothing", async () => {
    rekognition.on(StartTextDetectionCommand).resolves({ JobId: textJobId });
    await startTextDetection(client, { ...input, minConfidence: 30 });
    expect(rekognition).toHaveReceivedCommandWith(StartTextDetectionCommand, { Filters: { WordFilter: expect.objectContaining({ MinConfidence: 50 }) } });
    expect(textWordFilter(97.5)).toEqual({ minConfidence: 97.5, minBoundingBoxHeight: 0.02, minBoundingBoxWidth: 0 });
  });

  it("sends the same token on a retried start", async () => {
    rekognition.on(StartTextDetectionCommand).resolves({ JobId: textJobId });
    await startTextDetection(client, input);
    await startTextDetection(client, { ...input });
    const tokens = rekognition.commandCalls(StartTextDetectionCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toEqual([`media-pipeline-${mediaId}-text`, `media-pipeline-${mediaId}-text`]);
  });

  it("classifies throttling as retryable, InvalidParameterException as not, and the job limit as the backlog's case", async () => {
    const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: meta });
    rekognition.on(StartTextDetectionCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(new InvalidParameterException({ message: "Request has invalid parameters", $metadata: meta }))
      .rejectsOnce(new LimitExceededException({ message: "Limit exceeded for concurrent jobs", $metadata: meta }));

    const first = await startTextDetection(client, input).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RekognitionUnavailableError);
    expect(first).toMatchObject({ code: "ThrottlingException", cause: throttled, retryable: true });
    expect((first as Error).message).toMatch(/StartTextDetection failed with ThrottlingException/);

    const second = await startTextDetection(client, input).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(RekognitionRequestError);
    expect(second).toBeInstanceOf(NonRetryableError);
    expect(second).toMatchObject({ code: "InvalidParameterException" });

    await expect(startTextDetection(client, input)).rejects.toBeInstanceOf(RekognitionLimitError);
  });

  it("refuses a bad request before calling Rekognition", async () => {
    await expect(startTextDetection(client, { ...input, minConfidence: 101 })).rejects.toBeInstanceOf(RekognitionRequestError);
    expect(rekognition).not.toHaveReceivedCommand(StartTextDetectionCommand);
  });

  it("is what a start by kind runs for text (the backlog's dispatch)", async () => {
    rekognition.on(StartTextDetectionCommand).resolves({ JobId: textJobId });
    await expect(startVideoJob(client, "text", input)).resolves.toEqual({ jobId: textJobId });
    expect(rekognition).toHaveReceivedCommandTimes(StartTextDetectionCommand, 1);
    expect(rekognition).not.toHaveReceivedCommand(StartLabelDetectionCommand);
  });

  it("names the job within Rekognition's rules and reads the tag back", () => {
    expect(jobToken(mediaId, "text")).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(parseJobTag(jobTag(mediaId, "text"))).toEqual({ mediaId, kind: "text" });
  });
});

describe("getTextFrames", () => {
  beforeEach(() => {
    rekognition.on(GetTextDetectionCommand).resolvesOnce(textPage(1)).resolvesOnce(textPage(2));
  });

  it("follows NextToken with pages of 1000", async () => {
    await getTextFrames(client, textJobId);
    expect(rekognition).toHaveReceivedCommandTimes(GetTextDetectionCommand, 2);
    expect(rekognition).toHaveReceivedNthCommandWith(GetTextDetectionCommand, 1, { JobId: textJobId, MaxResults: 1000, NextToken: undefined });
    expect(rekognition).toHaveReceivedNthCommandWith(GetTextDetectionCommand, 2, { JobId: textJobId, MaxResults: 1000, NextToken: textPage(1).NextToken });
  });

  it("groups lines and words per timestamp across pages, keeping ids, parents and boxes", async () => {
    const { frames } = await getTextFrames(client, textJobId);

    expect(frames.map((f) => f.timestampMs)).toEqual([0, 1001, 2002]);
    expect(frames[0]!.detections).toEqual([
      { text: "MEDIA PIPELINE", type: "line", confidence: 99.51, box: { left: 0.3125, top: 0.4236, width: 0.375, height: 0.0764 }, id: 0 },
      { text: "MEDIA", type: "word", confidence: 99.62, box: { left: 0.3125, top: 0.4236, width: 0.1484, height: 0.0764 }, id: 1, parentId: 0 },
      { text: "PIPELINE", type: "word", confidence: 99.4, box: { left: 0.4766, top: 0.4236, width: 0.2109, height: 0.0764 }, id: 2, parentId: 0 },
    ]);
    // 1001 ms is split between the two pages: one frame holds the line and its three words.
    expect(frames[1]!.detections.map((d) => [d.type, d.text, d.parentId])).toEqual([
      ["line", "Speaker: Ada Lovelace", undefined], ["word", "Speaker:", 0], ["word", "Ada", 0], ["word", "Lovelace", 0],
    ]);
    for (const frame of frames) expect(FrameText.safeParse(frame).success).toBe(true);
  });

  it("names the engine with the text model version and the word filter the job ran with", async () => {
    const { engine } = await getTextFrames(client, textJobId, { minConfidence: 80 });
    expect(engine).toEqual({
      name: REKOGNITION_VIDEO_ENGINE,
      version: "3.0",
      settings: { api: "GetTextDetection", jobId: textJobId, wordFilter: { minConfidence: 80, minBoundingBoxHeight: 0.02, minBoundingBoxWidth: 0 } },
    });
  });

  it("drops what cannot be placed or read, and clamps what is out of range", async () => {
    rekognition.reset();
    rekognition.on(GetTextDetectionCommand).resolves({
      JobStatus: "SUCCEEDED", TextModelVersion: "3.0",
      TextDetections: [
        { Timestamp: 500.4, TextDetection: { DetectedText: "OK", Type: "LINE", Id: 0, Confidence: 100.0001, Geometry: { BoundingBox: { Left: -0.01, Top: 0.5, Width: 0.1, Height: 0.05 } } } },
        { Timestamp: 500.4, TextDetection: { DetectedText: "", Type: "WORD", Id: 1, ParentId: 0, Confidence: 90, Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 0.1, Height: 0.1 } } } },
        { Timestamp: 500.4, TextDetection: { DetectedText: "floating", Type: "WORD", Id: 2, ParentId: 0, Confidence: 90 } },
        { Timestamp: 500.4, TextDetection: { DetectedText: "odd", Type: "PARAGRAPH" as never, Id: 3, Confidence: 90, Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 0.1, Height: 0.1 } } } },
        { Timestamp: 900 },
      ],
    });
    const { frames } = await getTextFrames(client, textJobId);
    expect(frames).toEqual([{ timestampMs: 500, detections: [{ text: "OK", type: "line", confidence: 100, box: { left: -0.01, top: 0.5, width: 0.1, height: 0.05 }, id: 0 }] }]);
  });

  it("stops with the signal's reason when the stage's deadline aborts it", async () => {
    rekognition.reset();
    const controller = new AbortController();
    rekognition.on(GetTextDetectionCommand).callsFake(async () => {
      controller.abort(new Error("deadline"));
      return textPage(1);
    });
    await expect(getTextFrames(client, textJobId, { signal: controller.signal })).rejects.toThrow("deadline");
    expect(rekognition).toHaveReceivedCommandTimes(GetTextDetectionCommand, 1);
  });

  it("throws a non-retryable error with the StatusMessage when the job FAILED, which getJobStatusMessage also reads", async () => {
    rekognition.reset();
    rekognition.on(GetTextDetectionCommand).resolves(fixture("get-text-detection-failed"));
    await expect(getTextFrames(client, textJobId)).rejects.toMatchObject({ constructor: RekognitionJobFailedError, retryable: false, statusMessage: "Unsupported codec/format." });
    await expect(getJobStatusMessage(client, "TEXT_DETECTION", textJobId)).resolves.toBe("Unsupported codec/format.");
    expect(rekognition).toHaveReceivedCommandWith(GetTextDetectionCommand, { JobId: textJobId, MaxResults: 1 });
  });

  it("classifies throttling while paging as retryable", async () => {
    rekognition.reset();
    rekognition.on(GetTextDetectionCommand).resolvesOnce(textPage(1)).rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: meta }));
    const error = await getTextFrames(client, textJobId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionUnavailableError);
    expect(isRetryable(error)).toBe(true);
  });
});

describe("text detection completion", () => {
  const record = fixture<{ Sns: { Message: string } }>("sns-text-detection-succeeded");

  it("reads a TEXT_DETECTION completion as the text kind", () => {
    expect(parseVideoJobCompletion(record)).toEqual({
      jobId: textJobId, status: "SUCCEEDED", api: "TEXT_DETECTION", mediaId, kind: "text",
      video: { bucket: "media-bucket", key: `media/${mediaId}/talk.mp4` }, completedAt: 1763633100000,
    });
  });

  it("accepts the operation name and refuses an API that contradicts the tag", () => {
    const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
    expect(parseVideoJobCompletion({ ...message, API: "StartTextDetection" }).api).toBe("TEXT_DETECTION");
    expect(() => parseVideoJobCompletion({ ...message, API: "LABEL_DETECTION" })).toThrow(EventValidationError);
    expect(() => parseVideoJobCompletion({ ...message, JobTag: `${mediaId}-labels` })).toThrow(EventValidationError);
  });

  it("hands the completion handler exactly the kinds RekognitionJobKind collects, refusing the others as not collected", () => {
    const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
    const api = { labels: "LABEL_DETECTION", moderation: "CONTENT_MODERATION", segments: "SEGMENT_DETECTION", text: "TEXT_DETECTION" } as const;
    for (const kind of RekognitionVideoJobKind.options) {
      const completion = { ...message, API: api[kind], JobTag: `${mediaId}-${kind}` };
      if (RekognitionJobKind.safeParse(kind).success) expect(parseCompletionMessage(completion)).toMatchObject({ kind, api: api[kind] });
      else expect(() => parseCompletionMessage(completion)).toThrow(/TEXT_DETECTION jobs are not collected yet/);
    }
  });
});

describe("detectImageText", () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const detected = fixture<DetectTextCommandOutput>("detect-text");

  it("sends the frame with the video job's word filter and maps lines and words", async () => {
    rekognition.on(DetectTextCommand).resolves(detected);
    const { detections, version } = await detectImageText(client, jpeg, { minConfidence: 80 });
    expect(rekognition).toHaveReceivedCommandWith(DetectTextCommand, {
      Image: { Bytes: jpeg }, Filters: { WordFilter: { MinConfidence: 80, MinBoundingBoxHeight: 0.02, MinBoundingBoxWidth: 0 } },
    });
    expect(version).toBe("3.0");
    expect(detections.map((d) => [d.type, d.text, d.id, d.parentId])).toEqual([
      ["line", "EXIT 24", 0, undefined], ["line", "Portland", 1, undefined], ["word", "EXIT", 2, 0], ["word", "24", 3, 0], ["word", "Portland", 4, 1],
    ]);
    expect(FrameText.safeParse({ timestampMs: 0, detections }).success).toBe(true);
  });

  it("retries throttling and does not retry an image Rekognition refuses", async () => {
    rekognition.on(DetectTextCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: meta }))
      .resolvesOnce(detected)
      .rejects(new InvalidImageFormatException({ message: "Request has invalid image format", $metadata: meta }));
    const delays: number[] = [];
    const retry = { sleep: async (ms: number) => void delays.push(ms), random: () => 1 };
    await expect(detectImageText(client, jpeg, { minConfidence: 80, retry })).resolves.toMatchObject({ version: "3.0" });
    expect(delays).toEqual([250]);
    const error = await detectImageText(client, jpeg, { minConfidence: 80, retry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionRequestError);
    expect(isRetryable(error)).toBe(false);
    expect(rekognition).toHaveReceivedCommandTimes(DetectTextCommand, 3);
  });

  it("refuses an empty frame without calling the API", async () => {
    await expect(detectImageText(client, new Uint8Array(0), { minConfidence: 80 })).rejects.toMatchObject({ code: "ImageTooLargeException" });
    expect(rekognition).not.toHaveReceivedCommand(DetectTextCommand);
  });
});

describe("createImageTextDetector", () => {
  it("reads every sampled frame, reporting frames without text as empty", async () => {
    rekognition.on(DetectTextCommand).resolvesOnce(detected()).resolves({ TextDetections: [], TextModelVersion: "3.0" });
    const set: FrameSet = {
      durationMs: 4000, width: 1280, height: 720, cuts: [{ timestampMs: 0, score: 1 }],
      frames: [0, 2000].map((timestampMs, i) => ({
        timestampMs, shotIndex: 0, keyframe: i === 0, width: 1280, height: 720,
        frame: { bucket: "media-bucket", key: `derived/vision-frames/m1/${String(i + 1).padStart(6, "0")}.jpg` },
      })),
      engine: { name: "ffmpeg", version: "7.1", settings: { sceneThreshold: 0.3, sampleEveryMs: 2000, maxWidth: 1280 } },
    };
    const frames: FrameSource = { frames: async () => set };
    const detector = createImageTextDetector({
      client, frames, pathOf: (ref: ObjectRef) => `/tmp/${ref.key}`, minConfidence: 80, readFrame: async () => Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]),
    });
    const result = await detector.detect({ mediaId, source: input.source, durationMs: 4000 });
    expect(result.frames.map((f) => [f.timestampMs, f.detections.length])).toEqual([[0, 5], [2000, 0]]);
    expect(result.engine).toEqual({
      name: REKOGNITION_IMAGE_ENGINE, version: "3.0",
      settings: {
        api: "DetectText", minConfidence: 80, wordFilter: { minConfidence: 80, minBoundingBoxHeight: 0.02, minBoundingBoxWidth: 0 },
        frames: 2, sampleEveryMs: 2000, sceneThreshold: 0.3, maxWidth: 1280, ffmpeg: "7.1",
      },
    });
  });

  function detected(): DetectTextCommandOutput {
    return fixture<DetectTextCommandOutput>("detect-text");
  }
});
