import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetLabelDetectionCommand,
  InvalidS3ObjectException,
  LimitExceededException,
  RekognitionClient,
  StartLabelDetectionCommand,
} from "@aws-sdk/client-rekognition";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { TranscribeClient } from "@aws-sdk/client-transcribe";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { catalog, makeEvent, MemoryStateStore, parseEvent } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { BACKLOG_PK } from "./adapters/rekognition/dynamodb-backlog.js";
import { createCloud, type Cloud } from "./cloud.js";
import { createRekognitionCompletion } from "./completions.js";
import { createStageHandler } from "./stage-handler.js";

/*
 * Rekognition's concurrent-job limit through the Lambda handlers (as handlers.test.ts, with mocked
 * clients and state in memory): the backlog is the DynamoDB adapter, over a fake of the one table
 * partition it uses, with DynamoDB's condition semantics for the expressions the adapter sends.
 */

const fixture = (p: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters/rekognition/fixtures", p), "utf8"));
const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const rekognition = mockClient(RekognitionClient);
const dynamo = mockClient(DynamoDBClient);
const env = {
  EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state",
  REKOGNITION_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  REKOGNITION_ROLE_ARN: "arn:aws:iam::111122223333:role/rekognition-publish",
};
/** The media whose start waits; the completion fixture's job is another media item's. */
const queued = "01jd9a0b1c2d3e4f5g6h7j8k9m";
const record = fixture("sns-label-detection-succeeded.json");
const running = (JSON.parse(record.Sns.Message).JobTag as string).replace(/-labels$/, "");
const envelope = { id: "e1", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };
const $metadata = { httpStatusCode: 400 };

/** The backlog's partition: sort key → item, with attribute_not_exists / attribute_exists conditions. */
let table: Map<string, Record<string, AttributeValue>>;
const conditionFailed = () => new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata });

function fakeTable() {
  table = new Map();
  dynamo.on(PutItemCommand).callsFake((input: { Item: Record<string, AttributeValue>; ConditionExpression?: string }) => {
    expect(input.Item.pk).toEqual({ S: BACKLOG_PK });
    const sk = input.Item.sk!.S!;
    if (input.ConditionExpression === "attribute_not_exists(pk)" && table.has(sk)) throw conditionFailed();
    table.set(sk, input.Item);
    return {};
  });
  dynamo.on(QueryCommand).callsFake((input: { Limit?: number; ExclusiveStartKey?: Record<string, AttributeValue> }) => {
    const after = input.ExclusiveStartKey?.sk?.S ?? "";
    const keys = [...table.keys()].sort().filter((k) => k > after);
    const page = keys.slice(0, input.Limit ?? keys.length);
    return {
      Items: page.map((k) => table.get(k)!),
      ...(page.length < keys.length ? { LastEvaluatedKey: { pk: { S: BACKLOG_PK }, sk: { S: page.at(-1)! } } } : {}),
    };
  });
  dynamo.on(DeleteItemCommand).callsFake((input: { Key: Record<string, AttributeValue> }) => {
    const item = table.get(input.Key.sk!.S!);
    if (!item) throw conditionFailed();
    table.delete(input.Key.sk!.S!);
    return { Attributes: item };
  });
}

function cloud(): Cloud {
  const c = createCloud(env, {
    s3: new S3Client({}), events: new EventBridgeClient({}), rekognition: new RekognitionClient({}),
    transcribe: new TranscribeClient({}), dynamo: new DynamoDBClient({}),
  });
  return { ...c, state: new MemoryStateStore() };
}

function published() {
  return events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) =>
    parseEvent({ version: "0", id: "x", "detail-type": e.DetailType, source: e.Source, account: "1", time: "2026-11-20T10:00:00Z", region: "r", resources: [], detail: JSON.parse(e.Detail!) }),
  );
}

const probed = (mediaId: string) => makeEvent("Media Probed", { ...catalog["Media Probed"].example, mediaId, correlationId: mediaId }, envelope);
const startsFor = () => rekognition.commandCalls(StartLabelDetectionCommand).map((c) => c.args[0].input.JobTag);
const pages = () =>
  rekognition.on(GetLabelDetectionCommand)
    .resolvesOnce(fixture("get-label-detection-page-1.json"))
    .resolvesOnce(fixture("get-label-detection-page-2.json"))
    .resolvesOnce(fixture("get-label-detection-page-3.json"));

beforeEach(() => {
  for (const m of [s3, events, rekognition, dynamo]) m.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
  s3.on(PutObjectCommand).resolves({});
  fakeTable();
});

describe("Rekognition backlog through the handlers", () => {
  it("backlogs a start at the limit, and a later completion releases it while still collecting its own job", async () => {
    const c = cloud();
    await c.state.begin(running, "detect-labels", 60_000); // the job that will complete

    rekognition.on(StartLabelDetectionCommand).rejectsOnce(new LimitExceededException({ message: "Limit exceeded for concurrent jobs", $metadata }));
    await createStageHandler(c, "detect-labels")(probed(queued));
    expect(published()).toEqual([]);
    expect((await c.state.list(queued))[0]).toMatchObject({ stage: "detect-labels", status: "running" });
    expect([...table.values()].map((i) => unmarshall(i))).toEqual([
      expect.objectContaining({ mediaId: queued, kind: "labels", request: expect.objectContaining({ mediaId: queued, minConfidence: 50 }) }),
    ]);

    // A duplicate trigger finds the stage running: no second start, no second backlog item.
    await createStageHandler(c, "detect-labels")(probed(queued));
    expect(startsFor()).toEqual([`${queued}-labels`]);
    expect(table.size).toBe(1);

    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: "job-released" });
    pages();
    await createRekognitionCompletion(c)({ Records: [record] });

    expect(published().map((e) => [e["detail-type"], e.detail.mediaId])).toEqual([["Labels Detected", running]]);
    expect(startsFor()).toEqual([`${queued}-labels`, `${queued}-labels`]);
    expect(rekognition.commandCalls(StartLabelDetectionCommand)[1]!.args[0].input).toMatchObject({
      Video: { S3Object: { Bucket: catalog["Media Probed"].example.source.bucket, Name: catalog["Media Probed"].example.source.key } },
      NotificationChannel: { SNSTopicArn: env.REKOGNITION_TOPIC_ARN, RoleArn: env.REKOGNITION_ROLE_ARN },
    });
    expect(table.size).toBe(0);
    // The released job's own completion will collect it.
    expect((await c.state.list(queued))[0]).toMatchObject({ stage: "detect-labels", status: "running" });
  });

  it("keeps a release that hits the limit again at the front of the queue", async () => {
    const c = cloud();
    await c.state.begin(running, "detect-labels", 60_000);
    rekognition.on(StartLabelDetectionCommand).rejects(new LimitExceededException({ message: "Limit exceeded", $metadata }));
    await createStageHandler(c, "detect-labels")(probed(queued));
    pages();
    await createRekognitionCompletion(c)({ Records: [record] });
    expect(published().map((e) => e["detail-type"])).toEqual(["Labels Detected"]);
    expect([...table.values()].map((i) => unmarshall(i).mediaId)).toEqual([queued]);
  });

  it("settles the stage of a released start that can never run as Stage Failed", async () => {
    const c = cloud();
    await c.state.begin(running, "detect-labels", 60_000);
    rekognition.on(StartLabelDetectionCommand)
      .rejectsOnce(new LimitExceededException({ message: "Limit exceeded", $metadata }))
      .rejects(new InvalidS3ObjectException({ message: "Unable to get object metadata from S3", $metadata }));
    await createStageHandler(c, "detect-labels")(probed(queued));
    pages();
    await createRekognitionCompletion(c)({ Records: [record] });

    const failed = published().find((e) => e["detail-type"] === "Stage Failed");
    expect(failed).toMatchObject({ detail: { mediaId: queued, stage: "detect-labels", error: { message: expect.stringContaining("InvalidS3ObjectException") } } });
    expect((await c.state.list(queued))[0]).toMatchObject({ stage: "detect-labels", status: "failed" });
    expect(table.size).toBe(0);
  });
});
