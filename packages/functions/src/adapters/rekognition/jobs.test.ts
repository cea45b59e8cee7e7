import {
  AccessDeniedException,
  InternalServerError,
  InvalidParameterException,
  InvalidS3ObjectException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  StartContentModerationCommand,
  StartLabelDetectionCommand,
  ThrottlingException,
} from "@aws-sdk/client-rekognition";
import { isRetryable, NonRetryableError, RetryableError } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher, type CustomMatcher } from "aws-sdk-client-mock-vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { RekognitionLimitError, RekognitionRequestError, RekognitionUnavailableError } from "./errors.js";
import { jobTag, jobToken, parseJobTag, startContentModeration, startLabelDetection, type StartVideoJobInput } from "./jobs.js";

// Registered and typed here rather than through "aws-sdk-client-mock-vitest/extend", whose own
// augmentation, once in the program, hides the matchers from `expect` under NodeNext.
expect.extend(allCustomMatcher);
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends CustomMatcher<T> {}
}

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const input: StartVideoJobInput = {
  mediaId,
  source: { bucket: "media-bucket", key: `media/${mediaId}/talk.mp4` },
  minConfidence: 55,
  notification: {
    snsTopicArn: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
    roleArn: "arn:aws:iam::111122223333:role/media-pipeline-rekognition",
  },
};
const labelJobId = "f6a5c2d1e0b94a8c7d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
const meta = { httpStatusCode: 400, requestId: "5c3a9e3e-8f0b-4d7e-9a55-0b1f2d3c4e5f" };

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({ region: "us-east-1" });

beforeEach(() => rekognition.reset());

describe("startLabelDetection", () => {
  it("sends the video, a deterministic token, our JobTag, the SNS channel and MinConfidence", async () => {
    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: labelJobId });

    await expect(startLabelDetection(client, input)).resolves.toEqual({ jobId: labelJobId });

    expect(rekognition).toHaveReceivedCommandExactlyOnceWith(StartLabelDetectionCommand, {
      Video: { S3Object: { Bucket: "media-bucket", Name: `media/${mediaId}/talk.mp4` } },
      ClientRequestToken: `media-pipeline-${mediaId}-labels`,
      JobTag: `${mediaId}-labels`,
      MinConfidence: 55,
      NotificationChannel: {
        SNSTopicArn: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
        RoleArn: "arn:aws:iam::111122223333:role/media-pipeline-rekognition",
      },
    });
  });

  it("sends the same ClientRequestToken on a retried start, which returns the same JobId", async () => {
    // Rekognition answers a repeated token with the first job's id instead of a second job.
    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: labelJobId });

    const first = await startLabelDetection(client, input);
    const second = await startLabelDetection(client, { ...input });

    expect(second).toEqual(first);
    const tokens = rekognition.commandCalls(StartLabelDetectionCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toEqual([`media-pipeline-${mediaId}-labels`, `media-pipeline-${mediaId}-labels`]);
  });

  it("throws RekognitionLimitError when 20 jobs already run, keeping the SDK error as cause", async () => {
    const limit = new LimitExceededException({ message: "Limit exceeded for concurrent jobs", $metadata: meta });
    rekognition.on(StartLabelDetectionCommand).rejects(limit);

    const error = await startLabelDetection(client, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionLimitError);
    expect((error as RekognitionLimitError).cause).toBe(limit);
    expect((error as Error).message).toMatch(/StartLabelDetection failed with LimitExceededException/);
  });

  it.each([
    ["ThrottlingException", () => new ThrottlingException({ message: "Rate exceeded", $metadata: meta })],
    ["ProvisionedThroughputExceededException", () => new ProvisionedThroughputExceededException({ message: "Throughput exceeded", $metadata: meta })],
    ["InternalServerError", () => new InternalServerError({ message: "Internal error", $metadata: { ...meta, httpStatusCode: 500 } })],
  ])("classifies %s as retryable", async (code, make) => {
    const sdkError = make();
    rekognition.on(StartLabelDetectionCommand).rejects(sdkError);

    const error = await startLabelDetection(client, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionUnavailableError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(isRetryable(error)).toBe(true);
    expect(error).toMatchObject({ code, cause: sdkError });
  });

  it("treats a network fault that is no AWS error as retryable", async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(Object.assign(new Error("socket hang up"), { name: "Error", code: "ECONNRESET" }));
    const error = await startLabelDetection(client, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionUnavailableError);
  });

  it.each([
    ["InvalidParameterException", () => new InvalidParameterException({ message: "Request has invalid parameters", $metadata: meta })],
    ["AccessDeniedException", () => new AccessDeniedException({ message: "Access denied", $metadata: meta })],
    ["InvalidS3ObjectException", () => new InvalidS3ObjectException({ message: "Unable to get object metadata from S3. Check object key, region and/or access permissions.", $metadata: meta })],
  ])("classifies %s as non-retryable", async (code, make) => {
    rekognition.on(StartLabelDetectionCommand).rejects(make());

    const error = await startLabelDetection(client, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionRequestError);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error).toMatchObject({ code });
  });

  it("refuses a bad request before calling Rekognition", async () => {
    const bad = { ...input, mediaId: "Not A Media Id", minConfidence: 140 };
    const error = await startLabelDetection(client, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RekognitionRequestError);
    expect((error as Error).message).toMatch(/mediaId/);
    expect((error as Error).message).toMatch(/minConfidence/);
    expect(rekognition).not.toHaveReceivedCommand(StartLabelDetectionCommand);
  });
});

describe("startContentModeration", () => {
  it("sends the moderation token and JobTag", async () => {
    rekognition.on(StartContentModerationCommand).resolves({ JobId: "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d" });

    await startContentModeration(client, { ...input, minConfidence: 40 });

    expect(rekognition).toHaveReceivedCommandWith(StartContentModerationCommand, {
      Video: { S3Object: { Bucket: "media-bucket", Name: `media/${mediaId}/talk.mp4` } },
      ClientRequestToken: `media-pipeline-${mediaId}-moderation`,
      JobTag: `${mediaId}-moderation`,
      MinConfidence: 40,
      NotificationChannel: {
        SNSTopicArn: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
        RoleArn: "arn:aws:iam::111122223333:role/media-pipeline-rekognition",
      },
    });
    expect(rekognition).not.toHaveReceivedCommand(StartLabelDetectionCommand);
  });
});

describe("job names", () => {
  it("stay within Rekognition's length and character rules", () => {
    for (const kind of ["labels", "moderation"] as const) {
      expect(jobToken(mediaId, kind)).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(jobTag(mediaId, kind)).toMatch(/^[a-zA-Z0-9_.\-:+=/]{1,1024}$/);
      expect(parseJobTag(jobTag(mediaId, kind))).toEqual({ mediaId, kind });
    }
  });

  it("reads no mediaId from a tag that is not ours", () => {
    expect(parseJobTag("thumbnail-batch-2026-11-20")).toBeUndefined();
    expect(parseJobTag(`${mediaId}-faces`)).toBeUndefined();
    expect(parseJobTag(undefined)).toBeUndefined();
  });
});
