import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, UpdateItemCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  catalog, compilePattern, DETAIL_TYPES, EVENT_SOURCE, makeEvent, recordReviewDecision, routes, validateDetail,
  type DetailType, type ModerationDocument, type Route, type StageName,
} from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoStateStore, StageAlreadySettledError, StageNotStartedError } from "../packages/functions/src/adapters/dynamodb-state-store.js";
import { createDynamoBacklog, type VideoJobRequest } from "../packages/functions/src/adapters/rekognition/dynamodb-backlog.js";
import { createEventBridgePublishBatch } from "../packages/functions/src/adapters/eventbridge-publish.js";
import { BlobNotFoundError, createS3BlobStore, presignedGetUrl } from "../packages/functions/src/adapters/s3-blob-store.js";
import { createS3Workspace } from "../packages/functions/src/adapters/s3-workspace.js";
import { createCloud, type Cloud } from "../packages/functions/src/cloud.js";
import { createStageHandler } from "../packages/functions/src/stage-handler.js";
import { startMoto, type Moto } from "./helpers/moto.js";

/**
 * packages/functions has its own, newer @aws-sdk/client-s3 and client-eventbridge than the root (sst
 * pulls in older ones), and a client from one copy cannot send the other's commands ("serializerMiddleware
 * is not found…"). So the S3 and EventBridge clients come from the copy the adapters themselves import.
 * (client-dynamodb and client-sqs exist once, at the root.)
 */
const fromFunctions = createRequire(new URL("../packages/functions/src/adapters/", import.meta.url));
const s3sdk = fromFunctions("@aws-sdk/client-s3") as typeof import("../packages/functions/node_modules/@aws-sdk/client-s3");
const ebsdk = fromFunctions("@aws-sdk/client-eventbridge") as typeof import("../packages/functions/node_modules/@aws-sdk/client-eventbridge");

/**
 * The cloud adapters and the route table against moto_server, the AWS emulator: real HTTP, real
 * request serialization, real condition expressions and EventBridge's pattern matching as moto
 * implements it. Never skipped: without moto_server on PATH, beforeAll fails with the reason.
 */
let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const run = Date.now().toString(36);

describe("S3 blob store on the emulator", () => {
  it("round-trips JSON, sizes it, and answers a missing key", async () => {
    const s3 = new s3sdk.S3Client({ ...moto.clientConfig, forcePathStyle: true });
    const bucket = `media-${run}`;
    await s3.send(new s3sdk.CreateBucketCommand({ Bucket: bucket }));
    const store = createS3BlobStore(s3);
    const ref = { bucket, key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/shots.json" };
    const doc = { shots: [{ index: 0, startMs: 0, endMs: 4000 }], note: "é ✓" };

    await store.putJson(ref, doc);
    await expect(store.getJson(ref)).resolves.toEqual(doc);
    await expect(store.size(ref)).resolves.toBe(Buffer.byteLength(JSON.stringify(doc)));
    expect((await s3.send(new s3sdk.HeadObjectCommand({ Bucket: bucket, Key: ref.key }))).ContentType).toBe("application/json");

    const missing = { bucket, key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/none.json" };
    await expect(store.size(missing)).resolves.toBeUndefined();
    await expect(store.getJson(missing)).rejects.toThrow(BlobNotFoundError);

    // moto does not check signatures, so this shows the URL's shape works for a plain HTTP reader, not that it is signed right.
    const url = await presignedGetUrl(s3, ref, 60);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(doc);
  });
});

describe("DynamoDB state store on the emulator", () => {
  const tableName = `state-${run}`;
  let client: DynamoDBClient;
  beforeAll(async () => {
    client = new DynamoDBClient(moto.clientConfig);
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
      }),
    );
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true } }));
  });

  it("lets exactly one of repeated begins start, then answers done with the stored output", async () => {
    const state = createDynamoStateStore({ client, tableName });
    const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v01";
    // One after another, not at once: moto's threaded server does not always serialize concurrent
    // conditional writes to one item (a run under load once let two begins start), while DynamoDB
    // guarantees it. What runs here is our condition expression against a real implementation.
    const claims = [];
    for (let i = 0; i < 6; i++) claims.push(await state.begin(mediaId, "extract-audio", 60_000));
    expect(claims.filter((c) => c.status === "started")).toEqual([{ status: "started", attempt: 1 }]);
    expect(claims.filter((c) => c.status === "busy")).toHaveLength(5);

    const output = { events: [{ type: "Audio Extracted" as DetailType, detail: { mediaId, durationMs: 12000, ok: true, empty: [] } }], facts: { hasSpeech: true } };
    await state.finish(mediaId, "extract-audio", output);
    await expect(state.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: false });
    await expect(state.finish(mediaId, "extract-audio", output)).rejects.toThrow(StageAlreadySettledError);
    await expect(state.finish(mediaId, "transcribe", output)).rejects.toThrow(StageNotStartedError);

    const [record] = await state.list(mediaId);
    expect(record).toMatchObject({ stage: "extract-audio", status: "done", attempts: 1, output, published: false });
    expect(record.finishedAt).toEqual(expect.any(String));
  });

  it("takes over an expired or released lease, and keeps a failure", async () => {
    let t = Date.parse("2026-11-20T10:00:00.000Z");
    const state = createDynamoStateStore({ client, tableName, now: () => t, ttlDays: 1 });
    const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v02";
    await expect(state.begin(mediaId, "transcribe", 1_000)).resolves.toEqual({ status: "started", attempt: 1 });
    t += 999;
    await expect(state.begin(mediaId, "transcribe", 1_000)).resolves.toEqual({ status: "busy" });
    t += 1; // the lease ends at leaseUntil, as in the memory store
    await expect(state.begin(mediaId, "transcribe", 1_000)).resolves.toEqual({ status: "started", attempt: 2 });
    await state.release(mediaId, "transcribe");
    await expect(state.begin(mediaId, "transcribe", 60_000)).resolves.toEqual({ status: "started", attempt: 3 });

    const failed = { events: [{ type: "Stage Failed" as DetailType, detail: { stage: "transcribe" } }] };
    await state.fail(mediaId, "transcribe", { name: "EngineError", message: "no speech" }, failed);
    await state.release(mediaId, "transcribe"); // a no-op on a settled stage
    await expect(state.begin(mediaId, "transcribe", 60_000)).resolves.toEqual({ status: "failed", output: failed, published: false });
    expect(await state.list(mediaId)).toEqual([
      {
        stage: "transcribe", status: "failed", attempts: 3, startedAt: expect.any(String), finishedAt: expect.any(String), output: failed,
        error: { name: "EngineError", message: "no speech" }, published: false,
      },
    ]);
  });

  it("records whether a settled stage's events were published: only on a settled item, and a settle starts it unpublished", async () => {
    const state = createDynamoStateStore({ client, tableName });
    const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v06";
    const output = { events: [{ type: "Audio Extracted" as DetailType, detail: { mediaId, durationMs: 12000 } }] };

    // A stage never started: the condition keeps markPublished from creating an item.
    await state.markPublished(mediaId, "extract-audio");
    expect(await state.list(mediaId)).toEqual([]);

    await expect(state.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "started", attempt: 1 });
    // A running stage has nothing published to record: the item stays as it was.
    await state.markPublished(mediaId, "extract-audio");
    await expect(state.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "busy" });
    expect((await state.list(mediaId))[0]).not.toHaveProperty("published");

    await state.finish(mediaId, "extract-audio", output);
    await expect(state.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: false });
    await state.markPublished(mediaId, "extract-audio");
    await expect(state.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: true });
    await state.markPublished(mediaId, "extract-audio"); // again: still true, no error
    expect(await state.list(mediaId)).toEqual([expect.objectContaining({ stage: "extract-audio", status: "done", attempts: 1, output, published: true })]);

    const failed = { events: [{ type: "Stage Failed" as DetailType, detail: { mediaId, stage: "transcribe" } }] };
    await state.begin(mediaId, "transcribe", 60_000);
    await state.markPublished(mediaId, "transcribe"); // running: a no-op, so the failure below starts unpublished either way
    await state.fail(mediaId, "transcribe", { name: "EngineError", message: "no speech" }, failed);
    await expect(state.begin(mediaId, "transcribe", 60_000)).resolves.toEqual({ status: "failed", output: failed, published: false });
    await state.markPublished(mediaId, "transcribe");
    await expect(state.begin(mediaId, "transcribe", 60_000)).resolves.toEqual({ status: "failed", output: failed, published: true });
  });

  it("hands back the old item with a failed condition, so a losing begin needs no second read", async () => {
    // The store falls back to a consistent GetItem when the item is missing (unit-tested); this pins
    // that moto, like DynamoDB, honours ReturnValuesOnConditionCheckFailure, so the fast path runs here.
    const state = createDynamoStateStore({ client, tableName });
    const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v03";
    await state.begin(mediaId, "probe", 60_000);
    const error = await client
      .send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: `media#${mediaId}` }, sk: { S: "stage#probe" } },
          UpdateExpression: "SET #s = :s",
          ConditionExpression: "attribute_not_exists(pk)",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": { S: "running" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e as { name: string; Item?: Record<string, { S?: string }> },
      );
    expect(error?.name).toBe("ConditionalCheckFailedException");
    expect(error?.Item?.status).toEqual({ S: "running" });
  });

  it("keeps the Rekognition start backlog FIFO, once per (mediaId, kind), and takes each item once", async () => {
    const request = (mediaId: string, kind: VideoJobRequest["kind"]): VideoJobRequest => ({
      kind, mediaId, source: { bucket: "media-bucket", key: `media/${mediaId}/talk.mp4` }, minConfidence: 50,
      notification: { snsTopicArn: `arn:aws:sns:${moto.region}:${moto.account}:AmazonRekognitionJobs`, roleArn: `arn:aws:iam::${moto.account}:role/rekognition` },
    });
    const oldest = request("01jd8x7k2m4n6p8q0r2s4t6v04", "labels");
    const middle = request("01jd8x7k2m4n6p8q0r2s4t6v04", "moderation");
    const newest = request("01jd9b2c3d4e5f6g7h8j9k0m05", "labels");
    const backlog = createDynamoBacklog({ client, tableName });
    // Pushed out of order and twice (a duplicate trigger): the key orders them and refuses the repeat.
    for (const r of [newest, oldest, middle, oldest, newest]) await backlog.push(r);
    // A state item in the same table stays out of the backlog's partition.
    await createDynamoStateStore({ client, tableName }).begin(oldest.mediaId, "detect-labels", 60_000);

    await expect(backlog.shift()).resolves.toEqual(oldest);
    await backlog.unshift(oldest); // a release that hit the limit again keeps its place
    await expect(backlog.shift()).resolves.toEqual(oldest);

    // Another releaser takes `middle` between this one's Query and its DeleteItem: the conditional
    // delete fails on the emulator, and this releaser takes the next item instead.
    let raced = false;
    const racing = {
      send: async (command: Parameters<DynamoDBClient["send"]>[0]) => {
        if (!raced && command instanceof DeleteItemCommand) {
          raced = true;
          await expect(backlog.shift()).resolves.toEqual(middle);
        }
        return client.send(command as never);
      },
    } as Pick<DynamoDBClient, "send">;
    await expect(createDynamoBacklog({ client: racing, tableName }).shift()).resolves.toEqual(newest);
    expect(raced).toBe(true);
    await expect(backlog.shift()).resolves.toBeUndefined();
  });
});

describe("review outcome and final report on the emulator (S3 and DynamoDB)", () => {
  it("finalize-analysis writes the final report once, after the first report and the verdict, on the real state store", async () => {
    const s3 = new s3sdk.S3Client({ ...moto.clientConfig, forcePathStyle: true });
    const dynamo = new DynamoDBClient(moto.clientConfig);
    const bucket = `review-${run}`;
    const tableName = `review-state-${run}`;
    await s3.send(new s3sdk.CreateBucketCommand({ Bucket: bucket }));
    await dynamo.send(new CreateTableCommand({
      TableName: tableName, BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    }));
    const base = createCloud({ EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: bucket, STATE_TABLE: tableName }, { s3, dynamo });
    // The bus is not what is under test here: the published events are kept in order instead.
    const published: Array<{ type: string; detail: Record<string, any> }> = [];
    const cloud: Cloud = {
      ...base,
      publish: async (type, detail) => void published.push({ type, detail: validateDetail(type, detail) as Record<string, any> }),
      // Its own /tmp folder: the handler clears its workspace, and other test files run beside this one.
      workspace: createS3Workspace({ s3, root: mkdtempSync(path.join(os.tmpdir(), "emulator-ws-")) }),
    };

    const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v09";
    const taskId = `${mediaId}-review`;
    const source = { bucket, key: `media/${mediaId}/clip.mp4` };
    const ref = (name: string) => ({ bucket, key: `derived/${mediaId}/${name}` });
    const plan: StageName[] = ["probe", "moderate", "request-review", "complete-analysis"];
    const engine = { name: "test", version: "1" };
    const moderation: ModerationDocument = {
      decision: "review", thresholds: { reviewMin: 50, flagMin: 80 }, framesAnalyzed: 4, engine,
      segments: [{ name: "Suggestive", parent: "", confidence: 61.2, startMs: 1000, endMs: 2000, frames: 2, decision: "review" }],
    };
    await cloud.blobs.putJson(ref("probe.json"), {
      kind: "video", durationMs: 4000, sizeBytes: 50_000, container: "mp4", hasVideo: true, hasAudio: false,
      streams: [{ index: 0, type: "video", codec: "h264", width: 160, height: 90, fps: 25 }], engine,
    });
    await cloud.blobs.putJson(ref("moderation.json"), moderation);
    const settle = async (stage: StageName, facts: Record<string, unknown>) => {
      await cloud.state.begin(mediaId, stage, 60_000);
      await cloud.state.finish(mediaId, stage, { events: [], facts });
    };
    await settle("probe", { ref: ref("probe.json"), plan, kind: "video", durationMs: 4000, filename: "clip.mp4", source, engine });
    await settle("moderate", { ref: ref("moderation.json"), decision: "review", engine });
    await settle("request-review", { taskId, task: ref("review-task.json") });
    const envelope = { id: "e1", time: new Date(), account: moto.account, region: moto.region };
    const at = <T extends DetailType>(type: T, detail: Record<string, unknown>) =>
      makeEvent(type, { ...catalog[type].example, mediaId, correlationId: mediaId, ...detail } as never, envelope);

    // The first report: no review.json yet (a HEAD answers 404), so the review shows pending.
    await createStageHandler(cloud, "complete-analysis")(at("Review Requested", { taskId }));
    expect(published.map((e) => [e.type, e.detail.final, e.detail.review.status])).toEqual([["Analysis Completed", false, "pending"]]);
    // Its own event reaches finalize-analysis before the verdict: nothing to do yet.
    await createStageHandler(cloud, "finalize-analysis")(at("Analysis Completed", published[0]!.detail));
    expect(published).toHaveLength(1);

    await recordReviewDecision(cloud, { mediaId, source }, {
      taskId, verdict: "rejected", reviewer: "alice", decidedAt: "2026-11-21T09:00:00.000Z", segments: [{ index: 0, outcome: "confirmed" }],
    });
    const reviewed = at("Review Completed", published[1]!.detail);
    await createStageHandler(cloud, "finalize-analysis")(reviewed);
    await createStageHandler(cloud, "finalize-analysis")(reviewed); // a duplicate delivery
    // The duplicate finds the stage settled and its event published: it neither writes nor publishes again.
    expect(published.map((e) => e.type)).toEqual(["Analysis Completed", "Review Completed", "Analysis Completed"]);
    const [, , final] = published;
    expect(final!.detail).toMatchObject({ final: true, decision: "flagged", decidedBy: "reviewer", modelDecision: "review", review: { status: "rejected", taskId, reviewer: "alice" } });
    const finalize = (await cloud.state.list(mediaId)).find((r) => r.stage === "finalize-analysis");
    expect(finalize).toMatchObject({ status: "done", attempts: 1, published: true });
    expect(await cloud.blobs.getJson(ref("report.json"))).toMatchObject({ decision: { value: "flagged", by: "reviewer" }, review: { status: "rejected" } });
  });
});

/** The published cases: every catalog example, plus variants that the route patterns tell apart. */
function cases(): Array<{ type: DetailType; detail: Record<string, unknown> }> {
  const variants: Array<[DetailType, Record<string, unknown>]> = [
    ...DETAIL_TYPES.map((type): [DetailType, Record<string, unknown>] => [type, {}]),
    ["Media Probed", { kind: "audio", hasVideo: false, hasAudio: true, streams: [], plan: ["probe", "extract-audio", "transcribe", "complete-analysis"] }],
    ["Media Probed", { hasAudio: false }],
    // Video Rekognition cannot read goes to prepare-video, not to the vision stages.
    ["Media Probed", { video: { rekognitionReady: false, rendition: "transcode", reason: "VP9 video in a Matroska/WebM container" } }],
    ["Stage Failed", { stage: "prepare-video" }],
    ["Moderation Completed", { decision: "clean", topCategories: [] }],
    ["Moderation Completed", { decision: "flagged" }],
    ["Stage Failed", { stage: "moderate" }],
    ["Stage Failed", { stage: "detect-shots" }],
    // finalize-analysis: the first report while a review is open, and a review that ended without a verdict.
    ["Analysis Completed", { final: false, decision: "review", decidedBy: "model", modelDecision: "review", review: { status: "pending", taskId: "01jd8x7k2m4n6p8q0r2s4t6v8w-review" } }],
    ["Stage Failed", { stage: "request-review", trigger: "Review Requested" }],
  ];
  // The correlationId names the case, so each queue's messages say which cases reached it.
  return variants.map(([type, patch], i) => ({
    type,
    detail: { ...catalog[type].example, ...patch, correlationId: `case-${String(i).padStart(2, "0")}-${type.replace(/ /g, "-")}` },
  }));
}

/*
 * Where moto 5.2.1's pattern matcher (moto/events/models.py, EventPattern) is known to differ from
 * EventBridge, read from its source; none of it touches the current routes, so the two must agree:
 * - it flattens nested objects but not arrays of objects, so a pattern on a field inside an array of
 *   objects (say `detail.streams.type`) never matches in moto, while EventBridge matches it;
 * - it compares with Python's `==`, so `[true]` also matches the number 1 and `[1]` matches `true`
 *   (our only boolean filter, `hasAudio: [true]`, is on a field the schema makes boolean);
 * - field names containing a dot collide with nested paths after flattening;
 * - `TestEventPattern` is a stub (FIELD-NOTES), so agreement is checked by delivery, as here.
 * It also delivers to SQS targets synchronously inside PutEvents, at roughly 0.2 s per delivery.
 */
describe("route table on EventBridge (emulator)", () => {
  it("delivers each catalog event to exactly the routes core's matcher picks", async () => {
    const eventBridge = new ebsdk.EventBridgeClient(moto.clientConfig);
    const sqs = new SQSClient(moto.clientConfig);
    const eventBusName = `media-bus-${run}`;
    await eventBridge.send(new ebsdk.CreateEventBusCommand({ Name: eventBusName }));

    const queues = new Map<string, { route: Route; url: string }>();
    for (const route of routes) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${route.name}-${run}` }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
      await eventBridge.send(
        new ebsdk.PutRuleCommand({ Name: route.name, EventBusName: eventBusName, EventPattern: JSON.stringify(route.pattern), State: "ENABLED" }),
      );
      await eventBridge.send(
        new ebsdk.PutTargetsCommand({ Rule: route.name, EventBusName: eventBusName, Targets: [{ Id: "queue", Arn: Attributes!.QueueArn! }] }),
      );
      queues.set(route.name, { route, url: QueueUrl! });
    }

    const published = cases();
    // More than 10 events: the adapter must split them, and moto refuses a call with more than 10.
    expect(published.length).toBeGreaterThan(10);
    await createEventBridgePublishBatch({ client: eventBridge, eventBusName })(published);

    // Each detail as the bus carries it (the schema drops undeclared fields), in EventBridge's envelope.
    const envelopes = published.map(({ type, detail }) => ({
      version: "0", id: "00000000-0000-0000-0000-000000000000", "detail-type": type, source: EVENT_SOURCE,
      account: moto.account, time: new Date().toISOString(), region: moto.region, resources: [],
      detail: catalog[type].detail.parse(detail) as Record<string, unknown>,
    }));
    const expected = new Map(
      routes.map((route) => {
        const pattern = compilePattern(route.pattern);
        return [route.name, envelopes.filter((e) => pattern.match(e)).map((e) => String(e.detail.correlationId)).sort()];
      }),
    );
    // The cases exercise every route both ways, or agreement would prove little.
    for (const route of routes) {
      expect(expected.get(route.name)!.length, `${route.name} matches some case`).toBeGreaterThan(0);
      expect(expected.get(route.name)!.length, `${route.name} refuses some case`).toBeLessThan(published.length);
    }

    const actual = new Map<string, string[]>();
    await Promise.all(
      [...queues].map(async ([name, { url }]) => {
        const want = expected.get(name)!.length;
        const got: Array<Record<string, any>> = [];
        // Bounded: moto delivers during PutEvents, so the first round normally has everything; a
        // last round after reaching the expected count catches deliveries that should not be there.
        for (let round = 0; round < 4; round++) {
          const reachedCount = got.length >= want;
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: reachedCount ? 0 : 2 }),
          );
          got.push(...Messages.map((m) => JSON.parse(m.Body!) as Record<string, any>));
          if (reachedCount && Messages.length === 0) break;
        }
        for (const body of got) {
          const envelope = envelopes.find((e) => e.detail.correlationId === body.detail?.correlationId);
          expect(body).toMatchObject({ source: EVENT_SOURCE, "detail-type": envelope?.["detail-type"], detail: envelope?.detail });
        }
        actual.set(name, got.map((b) => String(b.detail.correlationId)).sort());
      }),
    );
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
  });
});
