import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetTranscriptionJobCommand, StartTranscriptionJobCommand, TranscribeClient } from "@aws-sdk/client-transcribe";
import { catalog, makeEvent, MemoryStateStore, parseEvent } from "@media-pipeline/core";
import { sdkStreamMixin } from "@smithy/util-stream";
import type { SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createCloud, type Cloud } from "./cloud.js";
import { createStageHandler } from "./stage-handler.js";
import { createTranscribeCheck, type TranscribeCheckMessage } from "./transcribe-check.js";

const fixture = (p: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters", p), "utf8"));
const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const transcribe = mockClient(TranscribeClient);
const sqs = mockClient(SQSClient);
const queueUrl = "https://sqs.us-east-1.amazonaws.com/111122223333/transcribe-check";
const prefix = "media-pipeline.prod.";
const env = { EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state", TRANSCRIBE_CHECK_QUEUE_URL: queueUrl, TRANSCRIBE_JOB_PREFIX: prefix };
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const jobName = `${prefix}${mediaId}-transcript`;
const started = new Date("2026-11-20T10:00:00.000Z");
const envelope = { id: "e1", time: started, account: "111122223333", region: "us-east-1" };

/** The cloud with mocked AWS clients; state in memory (the DynamoDB store has its own tests). */
function cloud(extraEnv: Record<string, string> = {}): Cloud {
  const c = createCloud({ ...env, ...extraEnv }, {
    s3: new S3Client({}), events: new EventBridgeClient({}), transcribe: new TranscribeClient({}), sqs: new SQSClient({}),
  });
  return { ...c, state: new MemoryStateStore(), workspace: { ...c.workspace } };
}

/** The events the handler put on the bus, validated against the catalog. */
function published() {
  return events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) => {
    expect(e).toMatchObject({ EventBusName: "media-bus", Source: "media-pipeline" });
    return parseEvent({ version: "0", id: "x", "detail-type": e.DetailType, source: e.Source, account: "1", time: "2026-11-20T10:00:00Z", region: "r", resources: [], detail: JSON.parse(e.Detail!) });
  });
}

/** An SQS event as Lambda's event source mapping delivers it. */
function sqsEvent(...bodies: Array<TranscribeCheckMessage | string>): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i + 1}`, receiptHandle: `r${i + 1}`, body: typeof body === "string" ? body : JSON.stringify(body),
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1763632800000", SenderId: "AIDA", ApproximateFirstReceiveTimestamp: "1763632800000" },
      messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:transcribe-check", awsRegion: "us-east-1",
    })),
  };
}

const message = (over: Partial<TranscribeCheckMessage> = {}): TranscribeCheckMessage => ({
  mediaId, jobName, attempt: 1, startedAt: started.toISOString(), ...over,
});
const inProgress = { TranscriptionJob: { TranscriptionJobName: jobName, TranscriptionJobStatus: "IN_PROGRESS" as const } };
const at = (minutes: number) => () => new Date(started.getTime() + minutes * 60_000);
const awsCalls = () => [s3, events, transcribe, sqs].flatMap((m) => m.calls());

beforeEach(() => {
  for (const m of [s3, events, transcribe, sqs]) m.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
  s3.on(PutObjectCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: "sent-1" });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("transcribe stage: delayed check", () => {
  it("starting the job also queues a check after 900 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(started);
    transcribe.on(StartTranscriptionJobCommand).resolves({});
    const audioExtracted = makeEvent("Audio Extracted", { ...catalog["Audio Extracted"].example, mediaId, correlationId: mediaId }, envelope);
    const c = cloud();
    await createStageHandler(c, "transcribe")(audioExtracted);
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)[0]!.args[0].input.TranscriptionJobName).toBe(jobName);
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ mediaId, jobName, attempt: 1, startedAt: "2026-11-20T10:00:00.000Z" }),
        DelaySeconds: 900,
      },
    ]);
    expect(published()).toEqual([]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "transcribe", status: "running" });
  });

  it("a job that completed is collected into Transcript Ready, as the event would", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(fixture("transcribe/fixtures/get-transcription-job-completed.json"));
    s3.on(GetObjectCommand).callsFake(() => ({ Body: sdkStreamMixin(createReadStream(path.join(import.meta.dirname, "adapters/transcribe/fixtures/transcript-two-speakers.json"))) }));
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const response = await createTranscribeCheck(c, { now: at(15) })(sqsEvent(message()));
    expect(response).toEqual({ batchItemFailures: [] });
    const [ready, ...rest] = published();
    expect(rest).toEqual([]);
    expect(ready).toMatchObject({ "detail-type": "Transcript Ready", detail: { mediaId, speakerCount: 2, engine: { name: "amazon-transcribe" } } });
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "transcribe", status: "done" });
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });

  it("a job still in progress is checked again later, with attempt + 1", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(inProgress);
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const response = await createTranscribeCheck(c, { now: at(15) })(sqsEvent(message()));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: queueUrl, MessageBody: JSON.stringify(message({ attempt: 2 })), DelaySeconds: 900 },
    ]);
    expect(published()).toEqual([]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ status: "running" });
  });

  it("the last check falls on the maximum age", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(inProgress);
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    await createTranscribeCheck(c, { now: at(5 * 60 - 5) })(sqsEvent(message({ attempt: 19 })));
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input).toMatchObject({ DelaySeconds: 300, MessageBody: JSON.stringify(message({ attempt: 20 })) });
  });

  it("a job still running past the maximum age fails the stage as timed out", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(inProgress);
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const response = await createTranscribeCheck(c, { now: at(5 * 60 + 1) })(sqsEvent(message({ attempt: 21 })));
    expect(response).toEqual({ batchItemFailures: [] });
    const [failed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({
      "detail-type": "Stage Failed",
      detail: { mediaId, stage: "transcribe", trigger: "Audio Extracted", error: { name: "NonRetryableError", message: expect.stringMatching(new RegExp(`^Transcribe job ${jobName} timed out: still IN_PROGRESS 301 min after it started \\(limit 5 h`)) } },
    });
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "transcribe", status: "failed" });
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });

  it("honours TRANSCRIBE_CHECK_DELAY_SECONDS and TRANSCRIBE_CHECK_MAX_AGE_SECONDS", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(inProgress);
    const c = cloud({ TRANSCRIBE_CHECK_DELAY_SECONDS: "60", TRANSCRIBE_CHECK_MAX_AGE_SECONDS: "3600" });
    await c.state.begin(mediaId, "transcribe", 60_000);
    await createTranscribeCheck(c, { now: at(10) })(sqsEvent(message()));
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.DelaySeconds).toBe(60);
    await createTranscribeCheck(c, { now: at(61) })(sqsEvent(message({ attempt: 2 })));
    expect(published()[0]).toMatchObject({ "detail-type": "Stage Failed", detail: { error: { message: expect.stringContaining("(limit 1 h") } } });
    expect(() => createTranscribeCheck(cloud({ TRANSCRIBE_CHECK_DELAY_SECONDS: "901" }))).toThrow(/TRANSCRIBE_CHECK_DELAY_SECONDS/);
    expect(() => createTranscribeCheck(cloud({ TRANSCRIBE_CHECK_QUEUE_URL: "" }))).toThrow(/TRANSCRIBE_CHECK_QUEUE_URL/);
    expect(() => createTranscribeCheck(cloud({ TRANSCRIBE_JOB_PREFIX: "" }))).toThrow(/TRANSCRIBE_JOB_PREFIX/);
    expect(() => createTranscribeCheck(cloud({ TRANSCRIBE_JOB_PREFIX: "bad prefix/" }))).toThrow(/TRANSCRIBE_JOB_PREFIX/);
  });

  it.each([
    ["another stage of the app", `media-pipeline.dev.${mediaId}-transcript`],
    ["no prefix", `${mediaId}-transcript`],
    ["another media item", `${prefix}01jd8x7k2m4n6p8q0r2s4t6v8x-transcript`],
  ])("ignores, without a lookup or a redelivery, a check for a job of %s", async (_, otherJob) => {
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await createTranscribeCheck(c, { now: at(15) })(sqsEvent(message({ jobName: otherJob })));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(awsCalls()).toEqual([]);
    expect(warn.mock.calls.map((args) => JSON.parse(String(args[0])))).toEqual([expect.objectContaining({ jobName: otherJob, jobNamePrefix: prefix })]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ status: "running" });
  });

  it.each(["done", "failed"] as const)("a stage already %s (the event came first) makes no AWS call at all", async (status) => {
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    if (status === "done") await c.state.finish(mediaId, "transcribe", { events: [] });
    else await c.state.fail(mediaId, "transcribe", { name: "NonRetryableError", message: "failed" }, { events: [] });
    const response = await createTranscribeCheck(c, { now: at(15) })(sqsEvent(message()));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(awsCalls()).toEqual([]);
  });

  it("reports only the malformed message of a batch as failed", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(inProgress);
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const response = await createTranscribeCheck(c, { now: at(15) })(
      sqsEvent("not json", message(), JSON.stringify({ mediaId: "nope", jobName, attempt: 0 })),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }, { itemIdentifier: "m3" }] });
    // The good message in between was checked and re-queued.
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(transcribe.commandCalls(GetTranscriptionJobCommand)).toHaveLength(1);
  });

  it("reports a message whose lookup fails, for SQS to redeliver", async () => {
    transcribe.on(GetTranscriptionJobCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $fault: "client" }));
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const response = await createTranscribeCheck(c, { now: at(15) })(sqsEvent(message()));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
    expect((await c.state.list(mediaId))[0]).toMatchObject({ status: "running" });
  });
});
