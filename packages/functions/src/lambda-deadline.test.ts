import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetLabelDetectionCommand, RekognitionClient, StartSegmentDetectionCommand } from "@aws-sdk/client-rekognition";
import { S3Client } from "@aws-sdk/client-s3";
import {
  catalog, makeEvent, matchesPattern, MemoryStateStore, parseEvent, Report, routes,
  type AnyPipelineEvent, type ObjectRef, type StageName, type StageOutput,
} from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createS3Workspace } from "./adapters/s3-workspace.js";
import { createCloud, type Cloud } from "./cloud.js";
import { createRekognitionCompletion } from "./completions.js";
import { settleMarginMs, stageContext } from "./lambda-deadline.js";
import { installObjects, type StoredObjects } from "../test-support/media-bucket.js";
import { createStageHandler } from "./stage-handler.js";

/*
 * The Lambda deadline through the handlers, as Lambda calls them: `handler(event, context)` with a
 * context whose remaining time counts down. AWS clients are mocked; S3 is a small in-memory bucket.
 */

const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const rekognition = mockClient(RekognitionClient);
const dynamo = mockClient(DynamoDBClient);

const BUCKET = "media-bucket";
const env = {
  EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: BUCKET, STATE_TABLE: "state", BEDROCK_MODEL_ID: "amazon.nova-lite-v1:0",
  REKOGNITION_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  REKOGNITION_ROLE_ARN: "arn:aws:iam::111122223333:role/rekognition-publish",
};
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const envelope = { id: "e1", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };
/** For the tests whose work never ends: without a deadline they would wait for vitest's own timeout. */
const HANGS_WITHOUT_A_DEADLINE = 15_000;
const LAMBDA_TIME = /ran out of its Lambda time \([\d.]+ s were left in the invocation; [\d.]+ s kept to record this failure\): stopped after [\d.]+ s/;

/** A context as Lambda passes it, its remaining time counting down from `remainingMs`. */
function lambdaContext(remainingMs: number, functionName = "detect-shots") {
  const end = Date.now() + remainingMs;
  return {
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    functionName, awsRequestId: "8f5c4a2e-0d1b-4c3e-9a7f-2b6d8e1f0a3c", memoryLimitInMB: "3008",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:111122223333:function:${functionName}`, callbackWaitsForEmptyEventLoop: true,
  };
}

const objects: StoredObjects = new Map();
const store = (at: ObjectRef, value: unknown) => objects.set(`${at.bucket}/${at.key}`, { body: Buffer.from(JSON.stringify(value)) });
const ref = (name: string): ObjectRef => ({ bucket: BUCKET, key: `derived/${mediaId}/${name}` });

beforeEach(() => {
  for (const m of [s3, events, rekognition, dynamo]) m.reset();
  objects.clear();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
  dynamo.on(QueryCommand).resolves({ Items: [] }); // an empty Rekognition backlog
  installObjects(s3, objects);
});

function cloud(): Cloud {
  const c = createCloud(env, { s3: new S3Client({}), events: new EventBridgeClient({}), rekognition: new RekognitionClient({}), dynamo: new DynamoDBClient({}) });
  const workspace = createS3Workspace({ s3: c.clients.s3, root: mkdtempSync(path.join(os.tmpdir(), "lambda-deadline-")) });
  return { ...c, state: new MemoryStateStore(), workspace };
}

/** The events the handlers put on the bus, validated against the catalog. */
function published(): AnyPipelineEvent[] {
  return events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) =>
    parseEvent({ version: "0", id: "x", "detail-type": e.DetailType, source: e.Source, account: "1", time: "2026-11-20T10:00:00Z", region: "r", resources: [], detail: JSON.parse(e.Detail!) }),
  );
}

const recordOf = async (c: Cloud, stage: StageName) => (await c.state.list(mediaId)).find((r) => r.stage === stage);
const PLAN: StageName[] = ["probe", "detect-shots", "detect-labels", "moderate", "request-review", "summarize-scenes", "complete-analysis"];
const probed = () => makeEvent("Media Probed", { ...catalog["Media Probed"].example, mediaId, correlationId: mediaId, source, hasAudio: false, plan: PLAN }, envelope);
const engine = { name: "test", version: "1" };

/** What probe, labels and moderation leave behind for a silent video. */
async function seed(c: Cloud): Promise<void> {
  const done = async (stage: StageName, name: string, doc: unknown, facts: Record<string, unknown> = {}) => {
    store(ref(name), doc);
    await c.state.begin(mediaId, stage, 60_000);
    await c.state.finish(mediaId, stage, { events: [], facts: { ref: ref(name), engine, ...facts } } satisfies StageOutput);
  };
  await done("probe", "probe.json", {
    kind: "video", durationMs: 4000, sizeBytes: 50_000, container: "mov,mp4,m4a,3gp,3g2,mj2", hasVideo: true, hasAudio: false,
    streams: [{ index: 0, type: "video", codec: "h264", width: 160, height: 90, fps: 25 }], engine,
  }, { plan: PLAN, kind: "video", durationMs: 4000, filename: "clip.mp4", source });
  await done("detect-labels", "labels.json", { framesAnalyzed: 4, labels: [], engine });
  await done("moderate", "moderation.json", { decision: "clean", thresholds: { reviewMin: 50, flagMin: 80 }, framesAnalyzed: 4, segments: [], engine }, { decision: "clean" });
}

describe("stageContext", () => {
  it("has no deadline without a Lambda context, as before", () => {
    expect(stageContext()).toEqual({ attempt: 1, finalAttempt: false });
  });

  it("takes the remaining time less the settle margin as a final deadline", () => {
    expect(settleMarginMs(900_000)).toBe(90_000);
    expect(settleMarginMs(60_000)).toBe(6_000);
    expect(settleMarginMs(1_500)).toBe(750);
    const ctx = stageContext({ getRemainingTimeInMillis: () => 300_000 });
    expect(ctx).toEqual({
      attempt: 1, finalAttempt: false, timeoutMs: 270_000, deadlineIsFinal: true, holdMs: 300_000,
      deadlineLabel: "its Lambda time (300 s were left in the invocation; 30 s kept to record this failure)",
    });
    expect(stageContext({ getRemainingTimeInMillis: () => 0 }).timeoutMs).toBe(1);
  });
});

describe("a stage Lambda that runs out of its time", () => {
  it("ends in Stage Failed with the Lambda time in the reason, state failed, and returns before Lambda's timeout", async () => {
    const c = cloud();
    let asked = 0;
    // The shot detection job never starts: Rekognition takes the request and never answers.
    rekognition.on(StartSegmentDetectionCommand).callsFake(() => (asked++, new Promise(() => {})));
    const started = Date.now();
    await createStageHandler(c, "detect-shots")(probed(), lambdaContext(2000));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(asked).toBe(1);

    const [failed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({ "detail-type": "Stage Failed", detail: { mediaId, stage: "detect-shots", trigger: "Media Probed", error: { name: "StageTimeoutError" } } });
    const message = (failed!.detail as { error: { message: string } }).error.message;
    expect(message).toMatch(new RegExp(`^detect-shots ${LAMBDA_TIME.source}; not retried`));
    expect(await recordOf(c, "detect-shots")).toMatchObject({ status: "failed", error: { name: "StageTimeoutError", message } });
  }, HANGS_WITHOUT_A_DEADLINE);

  it("still throws a retryable error for Lambda to retry, and gives the stage back", async () => {
    const c = cloud();
    rekognition.on(StartSegmentDetectionCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }));
    await expect(createStageHandler(c, "detect-shots")(probed(), lambdaContext(60_000))).rejects.toThrow(/ThrottlingException/);
    expect(published()).toEqual([]);
    expect((await recordOf(c, "detect-shots"))?.status).toBe("running");
    // Given back: the retry starts it again rather than finding it busy.
    expect(await c.state.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "started", attempt: 2 });
  });

  it("lets the joins go on: the report lands and names the stage that ran out of time", async () => {
    const c = cloud();
    await seed(c);
    rekognition.on(StartSegmentDetectionCommand).callsFake(() => new Promise(() => {}));
    await createStageHandler(c, "detect-shots")(probed(), lambdaContext(2000));

    // Deliver each published event to the routes that match it, as EventBridge would, until none is left.
    const handlers = { "summarize-scenes": createStageHandler(c, "summarize-scenes"), "complete-analysis": createStageHandler(c, "complete-analysis") };
    const ran: string[] = [];
    for (let delivered = 0; delivered < published().length; delivered++) {
      const event = published()[delivered]!;
      for (const route of routes.filter((r) => r.stage in handlers && matchesPattern(r.pattern, event))) {
        ran.push(`${route.stage} <- ${event["detail-type"]}`);
        await handlers[route.stage as keyof typeof handlers](event, lambdaContext(60_000, route.stage));
      }
    }
    expect(ran).toEqual([
      "summarize-scenes <- Stage Failed", "complete-analysis <- Stage Failed",
      "complete-analysis <- Scenes Summarized",
    ]);
    const completed = published().find((e) => e["detail-type"] === "Analysis Completed");
    expect(completed?.detail).toMatchObject({ status: "completed-with-failures", stages: { "detect-shots": "failed", "summarize-scenes": "done" } });
    const report = Report.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/report.json`)!.body.toString()));
    expect(report.stages["detect-shots"]).toMatchObject({ status: "failed", error: expect.stringMatching(new RegExp(`^StageTimeoutError: detect-shots ${LAMBDA_TIME.source}`)) });
  }, HANGS_WITHOUT_A_DEADLINE);
});

describe("a completion Lambda that runs out of its time", () => {
  it("settles labels as Stage Failed when Rekognition's results cannot be paged in time", async () => {
    const c = cloud();
    const record = JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters/rekognition/fixtures/sns-label-detection-succeeded.json"), "utf8"));
    const jobMedia = (JSON.parse(record.Sns.Message).JobTag as string).replace(/-labels$/, "");
    await c.state.begin(jobMedia, "detect-labels", 6 * 3600_000); // started; the job's completion arrives
    rekognition.on(GetLabelDetectionCommand).callsFake(() => new Promise(() => {}));
    await createRekognitionCompletion(c)({ Records: [record] }, lambdaContext(2000, "rekognition-complete"));

    expect(published()).toEqual([
      expect.objectContaining({ "detail-type": "Stage Failed", detail: expect.objectContaining({ mediaId: jobMedia, stage: "detect-labels", error: expect.objectContaining({ message: expect.stringMatching(LAMBDA_TIME) }) }) }),
    ]);
    expect((await c.state.list(jobMedia))[0]).toMatchObject({ stage: "detect-labels", status: "failed" });
  }, HANGS_WITHOUT_A_DEADLINE);
});
