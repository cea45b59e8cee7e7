import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import {
  GetContentModerationCommand, InvalidS3ObjectException, RekognitionClient, StartLabelDetectionCommand,
} from "@aws-sdk/client-rekognition";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { catalog, makeEvent, MemoryStateStore, RetryableError, type ObjectRef, type StageName } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createS3Workspace } from "./adapters/s3-workspace.js";
import { createCloud, type Cloud } from "./cloud.js";
import { createRekognitionCompletion } from "./completions.js";
import { createStageHandler } from "./stage-handler.js";
import { s3ClientConfig, startMediaBucket, type MediaBucket } from "../test-support/media-bucket.js";

/*
 * A stage settled in the state store whose events never reached the bus: the delivery wrote the state,
 * then PutEvents failed (or the Lambda stopped before it). The retry finds the stage settled but not
 * published and publishes the stored events, once, without doing the work again; a later duplicate
 * finds it settled and published and puts nothing on the bus. One case per way a stage settles in
 * core: runOnce (extract-audio), completeOnce (a Rekognition job's completion) and startOnce failing
 * (a job Rekognition refuses to start, settled as `Stage Failed`). Duplicates of a delivery that did
 * publish: duplicate-delivery.test.ts.
 */

const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const rekognition = mockClient(RekognitionClient);
const dynamo = mockClient(DynamoDBClient);

const BUCKET = "media-bucket";
const env = {
  EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: BUCKET, STATE_TABLE: "state",
  REKOGNITION_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  REKOGNITION_ROLE_ARN: "arn:aws:iam::111122223333:role/rekognition-publish",
};
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const fixture = (p: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, p), "utf8"));

let bucket: MediaBucket;
let workdir: string;
let clip: Buffer;
afterAll(() => bucket.close());
beforeAll(async () => {
  bucket = await startMediaBucket();
  workdir = mkdtempSync(path.join(os.tmpdir(), "unpublished-redelivery-"));
  const file = path.join(workdir, "clip.mp4");
  execFileSync("ffmpeg", [
    "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-t", "2", "-i", "testsrc2=s=160x90:r=10",
    "-f", "lavfi", "-t", "2", "-i", "sine=frequency=440:sample_rate=22050",
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-t", "2", file,
  ]);
  clip = readFileSync(file);
});

/** Entries EventBridge accepted; the PutEvents calls it refused are not in here. */
let bus: Array<{ type: string; detail: unknown }>;
/** The entries of every PutEvents call, refused ones included. */
let attempted: PutEventsRequestEntry[];
/** How many of the next PutEvents calls fail as a call (a 500: the adapter throws it retryable). */
let refuse: number;

beforeEach(() => {
  for (const m of [s3, events, rekognition, dynamo]) m.reset();
  bucket.objects.clear();
  bucket.objects.set(`${source.bucket}/${source.key}`, { body: clip, contentType: "video/mp4" });
  bucket.install(s3);
  bus = [];
  attempted = [];
  refuse = 0;
  events.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    const entries = input.Entries ?? [];
    attempted.push(...entries);
    if (refuse > 0) {
      refuse--;
      throw Object.assign(new Error("Internal error"), { name: "InternalException", $fault: "server", $metadata: { httpStatusCode: 500 } });
    }
    bus.push(...entries.map((e) => ({ type: e.DetailType!, detail: JSON.parse(e.Detail!) })));
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${i}` })) };
  });
  // The Rekognition start backlog (same table): empty.
  dynamo.on(QueryCommand).resolves({ Items: [] });
});

/** Mocked clients, state in memory, a workspace of its own. */
function cloud(): Cloud {
  const clientConfig = { region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } };
  const c = createCloud(env, {
    s3: new S3Client(s3ClientConfig(bucket.server)), events: new EventBridgeClient(clientConfig),
    rekognition: new RekognitionClient(clientConfig), dynamo: new DynamoDBClient(clientConfig),
  });
  return { ...c, state: new MemoryStateStore(), workspace: createS3Workspace({ s3: c.clients.s3, root: mkdtempSync(path.join(workdir, "ws-")) }) };
}

const probed = (id: string) => makeEvent("Media Probed", {
  ...catalog["Media Probed"].example, mediaId, correlationId: mediaId, source, durationMs: 2000, kind: "video", hasAudio: true,
  plan: ["probe", "extract-audio", "detect-labels", "moderate", "complete-analysis"],
}, { id, time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" });

/**
 * Delivers three times with the first delivery's PutEvents refused: that delivery fails retryably (so
 * Lambda retries it), then the retry and a later duplicate succeed. Returns what reached the bus in each.
 */
async function deliverWithFirstPublishRefused(deliver: (round: number) => Promise<void>) {
  refuse = 1;
  const rounds: Array<Array<{ type: string; detail: unknown }>> = [];
  for (let round = 0; round < 3; round++) {
    const before = bus.length;
    const delivered = deliver(round);
    if (round === 0) await expect(delivered).rejects.toBeInstanceOf(RetryableError);
    else await delivered;
    rounds.push(bus.slice(before));
  }
  return rounds;
}

/** A stage's record as the store holds it now. */
const recordOf = async (c: Cloud, stage: StageName) => (await c.state.list(mediaId)).find((r) => r.stage === stage);

/**
 * The refused delivery tried exactly the stored event; the retry published it, once, as it was; the
 * duplicate after that published nothing.
 */
function expectPublishedByTheRetryOnly(rounds: Array<Array<{ type: string; detail: unknown }>>, type: string) {
  expect(rounds[0]).toEqual([]);
  expect(attempted[0]?.DetailType).toBe(type);
  expect(rounds[1]).toEqual([{ type, detail: JSON.parse(attempted[0]!.Detail!) }]);
  expect(rounds[2]).toEqual([]);
  expect(bus).toEqual(rounds[1]);
}

describe("a stage settled but never published (PutEvents failed after the state write)", () => {
  it("extract-audio: the retry publishes the stored Audio Extracted once without running ffmpeg again; a later duplicate publishes nothing", async () => {
    const c = cloud();
    const handler = createStageHandler(c, "extract-audio");
    const reads: number[] = [];
    const states: unknown[] = [];
    const rounds = await deliverWithFirstPublishRefused(async (round) => {
      try {
        await handler(probed(round === 2 ? "replayed" : "probed"));
      } finally {
        reads.push(bucket.server.requests.get(`${BUCKET}/${source.key}`) ?? 0);
        states.push(await recordOf(c, "extract-audio"));
      }
    });
    expectPublishedByTheRetryOnly(rounds, "Audio Extracted");
    // ffmpeg read the upload once, for the first delivery; audio.wav was written once.
    expect(reads[0]).toBeGreaterThan(0);
    expect(reads).toEqual([reads[0], reads[0], reads[0]]);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([`derived/${mediaId}/audio.wav`]);
    expect(states[0]).toMatchObject({ status: "done", attempts: 1, published: false });
    expect(states[1]).toMatchObject({ status: "done", attempts: 1, published: true });
  });

  it("rekognition-complete (moderation): the repeated notice publishes the stored Moderation Completed once without reading the results again", async () => {
    rekognition.on(GetContentModerationCommand).resolves(fixture("adapters/rekognition/fixtures/get-content-moderation.json"));
    const record = fixture("adapters/rekognition/fixtures/sns-label-detection-succeeded.json");
    const message = JSON.parse(record.Sns.Message);
    record.Sns.Message = JSON.stringify({ ...message, JobId: "moderation-job-1", API: "CONTENT_MODERATION", JobTag: `${mediaId}-moderation` });
    const c = cloud();
    await c.state.begin(mediaId, "moderate", 60_000);
    const complete = createRekognitionCompletion(c);
    const states: unknown[] = [];
    const rounds = await deliverWithFirstPublishRefused(async () => {
      try {
        await complete({ Records: [structuredClone(record)] });
      } finally {
        states.push(await recordOf(c, "moderate"));
      }
    });
    expectPublishedByTheRetryOnly(rounds, "Moderation Completed");
    expect(rekognition.commandCalls(GetContentModerationCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([`derived/${mediaId}/moderation.json`]);
    expect(states[0]).toMatchObject({ status: "done", published: false });
    expect(states[1]).toMatchObject({ status: "done", published: true });
  });

  it("detect-labels refused by Rekognition: the retry publishes the stored Stage Failed once without starting again; a later duplicate publishes nothing", async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(new InvalidS3ObjectException({ message: "Unable to get object metadata from S3.", $metadata: { httpStatusCode: 400 } }));
    const c = cloud();
    const handler = createStageHandler(c, "detect-labels");
    const states: unknown[] = [];
    const rounds = await deliverWithFirstPublishRefused(async (round) => {
      try {
        await handler(probed(round === 2 ? "replayed" : "probed"));
      } finally {
        states.push(await recordOf(c, "detect-labels"));
      }
    });
    expectPublishedByTheRetryOnly(rounds, "Stage Failed");
    expect(rounds[1]![0]!.detail).toMatchObject({ stage: "detect-labels", attempts: 1, error: { message: expect.stringMatching(/InvalidS3ObjectException/) } });
    expect(rekognition.commandCalls(StartLabelDetectionCommand)).toHaveLength(1);
    expect(states[0]).toMatchObject({ status: "failed", attempts: 1, published: false });
    expect(states[1]).toMatchObject({ status: "failed", attempts: 1, published: true });
  });
});
