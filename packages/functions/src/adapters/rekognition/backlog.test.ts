import { readFileSync } from "node:fs";
import {
  InvalidS3ObjectException,
  LimitExceededException,
  RekognitionClient,
  StartContentModerationCommand,
  StartLabelDetectionCommand,
  ThrottlingException,
} from "@aws-sdk/client-rekognition";
import { mockClient } from "aws-sdk-client-mock";
import { allCustomMatcher, type CustomMatcher } from "aws-sdk-client-mock-vitest";
import { beforeEach, describe, expect, it } from "vitest";
import { createInMemoryBacklog, releaseOne, startOrBacklog, type StartJob } from "./backlog.js";
import { parseCompletionMessage } from "./completion.js";
import { RekognitionRequestError, RekognitionUnavailableError } from "./errors.js";
import { startVideoJob, type RekognitionJobKind, type StartVideoJobInput } from "./jobs.js";

// Registered and typed here rather than through "aws-sdk-client-mock-vitest/extend", whose own
// augmentation, once in the program, hides the matchers from `expect` under NodeNext.
expect.extend(allCustomMatcher);
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends CustomMatcher<T> {}
}

type Item = StartVideoJobInput & { kind: RekognitionJobKind };

const $metadata = { httpStatusCode: 400 };
const limit = () => new LimitExceededException({ message: "Limit exceeded for concurrent jobs", $metadata });
const notification = {
  snsTopicArn: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  roleArn: "arn:aws:iam::111122223333:role/media-pipeline-rekognition",
};
const item = (mediaId: string, kind: RekognitionJobKind = "labels"): Item => ({
  kind,
  mediaId,
  source: { bucket: "media-bucket", key: `media/${mediaId}/source.mp4` },
  minConfidence: 50,
  notification,
});
const waiting = item("01jd9a0b1c2d3e4f5g6h7j8k9m");
const another = item("01jd9b2c3d4e5f6g7h8j9k0m1n", "moderation");

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({ region: "us-east-1" });
const start: StartJob<Item> = ({ kind, ...input }) => startVideoJob(client, kind, input);

beforeEach(() => rekognition.reset());

describe("startOrBacklog", () => {
  it("starts the job while Rekognition has room", async () => {
    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: "job-1" });
    const backlog = createInMemoryBacklog<Item>();
    await expect(startOrBacklog(start, backlog, waiting)).resolves.toEqual({ started: "job-1" });
    expect(backlog.size).toBe(0);
  });

  it("backlogs the start when 20 jobs already run, then a completion releases it", async () => {
    rekognition.on(StartLabelDetectionCommand).rejectsOnce(limit()).resolves({ JobId: "job-after-release" });
    const backlog = createInMemoryBacklog<Item>();

    await expect(startOrBacklog(start, backlog, waiting)).resolves.toEqual({ backlogged: true });
    expect(backlog.items).toEqual([waiting]);

    // Another media item's job completes: its SNS message frees one slot.
    const sns = JSON.parse(readFileSync(new URL("./fixtures/sns-label-detection-succeeded.json", import.meta.url), "utf8"));
    expect(parseCompletionMessage(sns).status).toBe("SUCCEEDED");
    await expect(releaseOne(start, backlog)).resolves.toEqual({ started: "job-after-release", item: waiting });

    expect(backlog.size).toBe(0);
    expect(rekognition).toHaveReceivedCommandTimes(StartLabelDetectionCommand, 2);
    expect(rekognition).toHaveReceivedNthCommandWith(StartLabelDetectionCommand, 2, {
      ClientRequestToken: `media-pipeline-${waiting.mediaId}-labels`,
      JobTag: `${waiting.mediaId}-labels`,
    });
  });

  it("throws errors other than the limit unchanged, without backlogging", async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata }));
    const backlog = createInMemoryBacklog<Item>();
    await expect(startOrBacklog(start, backlog, waiting)).rejects.toBeInstanceOf(RekognitionUnavailableError);
    expect(backlog.size).toBe(0);
  });
});

describe("releaseOne", () => {
  it("does nothing when nothing waits", async () => {
    await expect(releaseOne(start, createInMemoryBacklog<Item>())).resolves.toEqual({ empty: true });
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });

  it("keeps the item first in line when the limit is hit again", async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(limit());
    const backlog = createInMemoryBacklog<Item>([waiting, another]);
    await expect(releaseOne(start, backlog)).resolves.toEqual({ backlogged: true, item: waiting });
    expect(backlog.items).toEqual([waiting, another]);
  });

  it("puts the item back when the port has no unshift", async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(limit());
    const items: Item[] = [waiting, another];
    const backlog = { push: (i: Item) => void items.push(i), shift: async () => items.shift() };
    await expect(releaseOne(start, backlog)).resolves.toMatchObject({ backlogged: true });
    expect(items).toEqual([another, waiting]);
  });

  it("drops an item that can never start and returns it as failed", async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(new InvalidS3ObjectException({ message: "Unable to get object metadata from S3.", $metadata }));
    const backlog = createInMemoryBacklog<Item>([waiting, another]);
    const result = await releaseOne(start, backlog);
    expect(result).toMatchObject({ item: waiting, failed: expect.any(RekognitionRequestError) });
    expect(backlog.items).toEqual([another]);
  });

  it("puts the item back and throws for a retry when Rekognition throttles", async () => {
    rekognition.on(StartContentModerationCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata }));
    const backlog = createInMemoryBacklog<Item>([another]);
    await expect(releaseOne(start, backlog)).rejects.toMatchObject({ retryable: true, code: "ThrottlingException" });
    expect(backlog.items).toEqual([another]);
  });
});
