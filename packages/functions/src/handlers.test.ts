import { execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetLabelDetectionCommand, RekognitionClient, StartLabelDetectionCommand } from "@aws-sdk/client-rekognition";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetTranscriptionJobCommand, TranscribeClient } from "@aws-sdk/client-transcribe";
import { buildReviewTask, catalog, EventValidationError, makeEvent, MemoryStateStore, parseEvent } from "@media-pipeline/core";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createS3Workspace } from "./adapters/s3-workspace.js";
import { createCloud, type Cloud } from "./cloud.js";
import { createRekognitionCompletion, createReviewCompletion, createTranscribeCompletion } from "./completions.js";
import { ConfigurationError } from "./errors.js";
import { IngestConfig, readConfig } from "./config.js";
import { createStageHandler } from "./stage-handler.js";
import { s3ClientConfig, startMediaBucket } from "../test-support/media-bucket.js";

const fixture = (p: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters", p), "utf8"));
const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const rekognition = mockClient(RekognitionClient);
const transcribe = mockClient(TranscribeClient);
// Only the Rekognition backlog reaches DynamoDB here (state is in memory); empty unless a test fills it.
const dynamo = mockClient(DynamoDBClient);
const env = {
  EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state",
  REKOGNITION_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  REKOGNITION_ROLE_ARN: "arn:aws:iam::111122223333:role/rekognition-publish",
  FLOW_DEFINITION_ARN: "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review",
  TRANSCRIBE_JOB_PREFIX: "media-pipeline.prod.",
};
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const envelope = { id: "e1", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };

/** The cloud with mocked AWS clients; state in memory (the DynamoDB store has its own tests). */
function cloud(): Cloud {
  const c = createCloud(env, {
    s3: new S3Client({}), events: new EventBridgeClient({}), rekognition: new RekognitionClient({}), transcribe: new TranscribeClient({}),
  });
  // Its own /tmp folder: test files run in parallel and a workspace's clear() removes its whole root.
  return { ...c, state: new MemoryStateStore(), workspace: createS3Workspace({ s3: c.clients.s3, root: mkdtempSync(path.join(os.tmpdir(), "ws-")) }) };
}

/** The events the handler put on the bus, validated against the catalog. */
function published() {
  return events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) => {
    expect(e).toMatchObject({ EventBusName: "media-bus", Source: "media-pipeline" });
    return parseEvent({ version: "0", id: "x", "detail-type": e.DetailType, source: e.Source, account: "1", time: "2026-11-20T10:00:00Z", region: "r", resources: [], detail: JSON.parse(e.Detail!) });
  });
}

beforeEach(() => {
  for (const m of [s3, events, rekognition, transcribe, dynamo]) m.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
  s3.on(PutObjectCommand).resolves({});
});

describe("Lambda handlers with mocked AWS clients", () => {
  it("probe: runs ffprobe on the upload's presigned URL (no copy in /tmp), stores probe.json and emits Media Probed", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "probe-"));
    const file = path.join(dir, "clip.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:d=1", "-f", "lavfi", "-i", "sine=d=1", "-c:v", "libx264", "-c:a", "aac", "-shortest", file]);
    const key = `media/${mediaId}/clip.mp4`;
    const bucket = await startMediaBucket();
    try {
      bucket.install(s3);
      bucket.objects.set(`media-bucket/${key}`, { body: readFileSync(file) });
      const base = cloud();
      // Presigned URLs name the object server; the S3 calls themselves still go to the mock.
      const c = { ...base, clients: { ...base.clients, s3: new S3Client(s3ClientConfig(bucket.server)) } };
      const received = makeEvent("Media Received", { ...catalog["Media Received"].example, mediaId, correlationId: mediaId, source: { bucket: "media-bucket", key } }, envelope);
      await createStageHandler(c, "probe")(received);
      const [probed] = published();
      expect(probed).toMatchObject({ "detail-type": "Media Probed", detail: { mediaId, kind: "video", hasAudio: true, video: { rekognitionReady: true } } });
      expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toContain(`derived/${mediaId}/probe.json`);
      // Through the SDK only byte ranges (the container's box headers); ffprobe read the rest over HTTP.
      for (const call of s3.commandCalls(GetObjectCommand)) expect(call.args[0].input.Range).toMatch(/^bytes=\d+-\d+$/);
      expect(bucket.server.served.get(`media-bucket/${key}`)).toBeGreaterThan(0);
    } finally {
      await bucket.close();
    }
  });

  it("detect-labels: starts a Rekognition job with the deterministic token and emits nothing until it completes", async () => {
    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: "job-1" });
    const probedEvent = makeEvent("Media Probed", { ...catalog["Media Probed"].example, mediaId, correlationId: mediaId }, envelope);
    const c = cloud();
    await createStageHandler(c, "detect-labels")(probedEvent);
    const input = rekognition.commandCalls(StartLabelDetectionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ JobTag: `${mediaId}-labels`, NotificationChannel: { SNSTopicArn: env.REKOGNITION_TOPIC_ARN, RoleArn: env.REKOGNITION_ROLE_ARN } });
    expect(input.ClientRequestToken).toContain(mediaId);
    expect(published()).toEqual([]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "detect-labels", status: "running" });
  });

  it("rekognition-complete: pages the label results and emits Labels Detected for the stage that started the job", async () => {
    const record = fixture("rekognition/fixtures/sns-label-detection-succeeded.json");
    const message = JSON.parse(record.Sns.Message);
    const jobMedia = message.JobTag.replace(/-labels$/, "");
    rekognition.on(GetLabelDetectionCommand).resolvesOnce(fixture("rekognition/fixtures/get-label-detection-page-1.json"))
      .resolvesOnce(fixture("rekognition/fixtures/get-label-detection-page-2.json")).resolvesOnce(fixture("rekognition/fixtures/get-label-detection-page-3.json"));
    const c = cloud();
    await c.state.begin(jobMedia, "detect-labels", 60_000);
    await createRekognitionCompletion(c)({ Records: [record] });
    const [labels] = published();
    expect(labels).toMatchObject({ "detail-type": "Labels Detected", detail: { mediaId: jobMedia, engine: { name: "amazon-rekognition-video" } } });
    if (labels?.["detail-type"] !== "Labels Detected") throw new Error("no labels");
    expect(labels.detail.labelCount).toBeGreaterThan(0);
  });

  it("transcribe-complete: collects the transcript the job wrote and emits Transcript Ready with two speakers", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(fixture("transcribe/fixtures/get-transcription-job-completed.json"));
    s3.on(GetObjectCommand).callsFake(() => ({ Body: sdkStreamMixin(createReadStream(path.join(import.meta.dirname, "adapters/transcribe/fixtures/transcript-two-speakers.json"))) }));
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const change = fixture("transcribe/fixtures/state-change-completed.json");
    change.detail.TranscriptionJobName = `${env.TRANSCRIBE_JOB_PREFIX}${mediaId}-transcript`;
    await createTranscribeCompletion(c)(change);
    const [ready] = published();
    expect(ready).toMatchObject({ "detail-type": "Transcript Ready", detail: { mediaId, speakerCount: 2, hasWords: true, engine: { name: "amazon-transcribe" } } });
  });

  it("review-complete: reads the stored task, turns the A2I output document into review.json and Review Completed", async () => {
    const status = fixture("a2i/fixtures/status-change-completed.json");
    const task = buildReviewTask({
      taskId: `${mediaId}-review`, mediaId, source: { bucket: "media-bucket", key: `media/${mediaId}/clip.mp4` },
      moderationRef: { bucket: "media-bucket", key: `derived/${mediaId}/moderation.json` },
      moderation: fixture("a2i/fixtures/moderation-document.json"), createdAt: new Date("2026-11-20T10:29:58Z"),
    });
    const bodies: Record<string, unknown> = {
      [`media-bucket/derived/${mediaId}/review-task.json`]: task,
      [status.detail.humanLoopOutput.outputS3Uri.slice("s3://".length)]: fixture("a2i/fixtures/output-completed.json"),
    };
    s3.on(GetObjectCommand).callsFake((input) => ({ Body: sdkStreamMixin(Readable.from([JSON.stringify(bodies[`${input.Bucket}/${input.Key}`])])) }));
    await createReviewCompletion(cloud())(status);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([`derived/${mediaId}/review.json`]);
    const [done] = published();
    expect(done).toMatchObject({ "detail-type": "Review Completed", detail: { mediaId, taskId: `${mediaId}-review`, verdict: "approved" } });
  });

  it("refuses an event that breaks the catalog, and a function environment with missing variables", async () => {
    await expect(createStageHandler(cloud(), "probe")({ "detail-type": "Media Received", detail: {} })).rejects.toBeInstanceOf(EventValidationError);
    expect(() => createCloud({ EVENT_BUS_NAME: "b" })).toThrow(ConfigurationError);
    expect(() => createStageHandler(createCloud({ ...env, REKOGNITION_TOPIC_ARN: "" }), "detect-labels")).toThrow(/REKOGNITION_TOPIC_ARN/);
  });

  it("lists every missing ingest variable at once", () => {
    expect(() => readConfig(IngestConfig, { EVENT_BUS_NAME: " " })).toThrow(/EVENT_BUS_NAME: missing or empty/);
  });
});
