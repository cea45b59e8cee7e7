import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { RetryableError, type StageOutput } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors.js";
import {
  StageAlreadySettledError,
  StageNotStartedError,
  StateStoreError,
  createDynamoStateStore,
} from "./dynamodb-state-store.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const NOW = Date.parse("2026-11-20T10:00:00.000Z");
const client = new DynamoDBClient({ region: "eu-west-1" });
const ddb = mockClient(client);
const store = createDynamoStateStore({ client, tableName: "state-table", now: () => NOW, ttlDays: 7 });
const key = { pk: { S: `media#${mediaId}` }, sk: { S: "stage#extract-audio" } };
const expiresAt = NOW / 1000 + 7 * 86_400;
const output: StageOutput = {
  events: [{ type: "Audio Extracted", detail: { version: 1, mediaId, correlationId: mediaId, durationMs: 12000 } }],
  facts: { hasSpeech: true },
};

const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: "The conditional request failed",
    $metadata: { httpStatusCode: 400 },
    ...(item ? { Item: marshall(item, { removeUndefinedValues: true }) } : {}),
  });
const row = (status: string, extra: Record<string, unknown> = {}) => ({
  pk: `media#${mediaId}`, sk: "stage#extract-audio", mediaId, stage: "extract-audio", status, attempts: 1, ...extra,
});

/** Exactly what was sent (the vitest matchers compare partially). */
const inputs = <C extends typeof UpdateItemCommand | typeof QueryCommand | typeof GetItemCommand>(command: C) =>
  ddb.commandCalls(command as never).map((call) => call.args[0].input);

beforeEach(() => ddb.reset());

describe("DynamoDB state store: begin", () => {
  it("starts a new stage with one conditional UpdateItem and answers the attempt", async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall(row("running", { attempts: 1 })) });
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "started", attempt: 1 });
    expect(inputs(UpdateItemCommand)).toEqual([{
      TableName: "state-table",
      Key: key,
      UpdateExpression:
        "SET #status = :running, #lease = :lease, #mediaId = :mediaId, #stage = :stage, #startedAt = :startedAt, " +
        "#expiresAt = :expiresAt ADD #attempts :one",
      ConditionExpression: "attribute_not_exists(pk) OR (#status = :running AND #lease <= :now)",
      ExpressionAttributeNames: {
        "#status": "status", "#lease": "leaseUntil", "#mediaId": "mediaId", "#stage": "stage",
        "#startedAt": "startedAt", "#expiresAt": "expiresAt", "#attempts": "attempts",
      },
      ExpressionAttributeValues: {
        ":running": { S: "running" },
        ":lease": { N: String(NOW + 60_000) },
        ":now": { N: String(NOW) },
        ":mediaId": { S: mediaId },
        ":stage": { S: "extract-audio" },
        ":startedAt": { S: "2026-11-20T10:00:00.000Z" },
        ":expiresAt": { N: String(expiresAt) },
        ":one": { N: "1" },
      },
      ReturnValues: "ALL_NEW",
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    }]);
  });

  it("answers the attempt count DynamoDB incremented on a takeover", async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall(row("running", { attempts: 3 })) });
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "started", attempt: 3 });
  });

  it("of two concurrent begins, the one whose condition fails on a running row is busy", async () => {
    ddb
      .on(UpdateItemCommand)
      .resolvesOnce({ Attributes: marshall(row("running")) })
      .rejectsOnce(conditionFailed(row("running", { leaseUntil: NOW + 60_000 })));
    const results = await Promise.all([store.begin(mediaId, "extract-audio", 60_000), store.begin(mediaId, "extract-audio", 60_000)]);
    expect(results).toEqual([{ status: "started", attempt: 1 }, { status: "busy" }]);
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });

  it("answers done with the stored output for a finished stage (a duplicate delivery), and whether it was published", async () => {
    ddb
      .on(UpdateItemCommand)
      .rejectsOnce(conditionFailed(row("done", { output, published: true })))
      .rejectsOnce(conditionFailed(row("done", { output, published: false })));
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: true });
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: false });
  });

  it("answers unpublished for a settled item without the attribute, so its events are published once more", async () => {
    // An item settled before `published` existed: publishing again is the at-least-once side to err on.
    ddb.on(UpdateItemCommand).rejects(conditionFailed(row("done", { output })));
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: false });
  });

  it("answers failed with the stored Stage Failed output, and whether it was published", async () => {
    const failedOutput: StageOutput = { events: [{ type: "Stage Failed", detail: { stage: "extract-audio" } }] };
    const failedRow = (published: boolean) => row("failed", { output: failedOutput, error: { name: "E", message: "m" }, published });
    ddb.on(UpdateItemCommand).rejectsOnce(conditionFailed(failedRow(false))).rejectsOnce(conditionFailed(failedRow(true)));
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "failed", output: failedOutput, published: false });
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "failed", output: failedOutput, published: true });
  });

  it("answers done for a skipped stage, as the memory store does", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(row("skipped", { published: true })));
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output: { events: [] }, published: true });
  });

  it("reads the item with a consistent GetItem when the condition failure carries none", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({ Item: marshall(row("done", { output, published: true })) });
    await expect(store.begin(mediaId, "extract-audio", 60_000)).resolves.toEqual({ status: "done", output, published: true });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: "state-table", Key: key, ConsistentRead: true });
  });

  it("throws retryable when the item vanished between the condition and the read", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({});
    await expect(store.begin(mediaId, "extract-audio", 60_000)).rejects.toThrow(RetryableError);
  });

  it("turns throughput exceeded into a RetryableError carrying the cause", async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
    ddb.on(UpdateItemCommand).rejects(throttled);
    const error = await store.begin(mediaId, "extract-audio", 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/ProvisionedThroughputExceededException/);
    expect((error as Error).cause).toBe(throttled);
  });

  it("turns a missing table into a non-retryable StateStoreError", async () => {
    ddb.on(UpdateItemCommand).rejects(new ResourceNotFoundException({ message: "Requested resource not found", $metadata: {} }));
    const error = await store.begin(mediaId, "extract-audio", 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as StateStoreError).retryable).toBe(false);
  });
});

describe("DynamoDB state store: finish, fail, release", () => {
  it("finishes only a running row, storing the output as not yet published and dropping the lease", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.finish(mediaId, "extract-audio", output);
    expect(inputs(UpdateItemCommand)).toEqual([{
      TableName: "state-table",
      Key: key,
      UpdateExpression:
        "SET #status = :status, #output = :output, #finishedAt = :finishedAt, #expiresAt = :expiresAt, #published = :false REMOVE #lease, #error",
      ConditionExpression: "#status = :running",
      ExpressionAttributeNames: {
        "#status": "status", "#output": "output", "#finishedAt": "finishedAt", "#expiresAt": "expiresAt", "#lease": "leaseUntil", "#error": "error",
        "#published": "published",
      },
      ExpressionAttributeValues: {
        ":status": { S: "done" },
        ":false": { BOOL: false },
        ":running": { S: "running" },
        ":output": { M: marshall(output) },
        ":finishedAt": { S: "2026-11-20T10:00:00.000Z" },
        ":expiresAt": { N: String(expiresAt) },
      },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    }]);
  });

  it("records a failure with its error, not yet published", async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.fail(mediaId, "extract-audio", { name: "EngineError", message: "ffmpeg exited 1" }, { events: [] });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression:
        "SET #status = :status, #output = :output, #finishedAt = :finishedAt, #expiresAt = :expiresAt, #published = :false, #error = :error REMOVE #lease",
      ConditionExpression: "#status = :running",
      ExpressionAttributeNames: expect.objectContaining({ "#published": "published" }),
      ExpressionAttributeValues: expect.objectContaining({
        ":status": { S: "failed" },
        ":false": { BOOL: false },
        ":error": { M: { name: { S: "EngineError" }, message: { S: "ffmpeg exited 1" } } },
      }),
    });
  });

  it("refuses to finish a stage that was never started", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({});
    await expect(store.finish(mediaId, "extract-audio", output)).rejects.toThrow(StageNotStartedError);
  });

  it("refuses, retryably, to overwrite a stage another delivery already settled", async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(row("done", { output })));
    const error = await store.fail(mediaId, "extract-audio", { name: "E", message: "m" }, { events: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageAlreadySettledError);
    expect((error as StageAlreadySettledError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/already done/);
  });

  it("releases a running row by zeroing its lease, and ignores a row that is not running", async () => {
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await store.release(mediaId, "extract-audio");
    await store.release(mediaId, "extract-audio");
    expect(inputs(UpdateItemCommand)).toHaveLength(2);
    expect(inputs(UpdateItemCommand)[0]).toEqual({
      TableName: "state-table",
      Key: key,
      UpdateExpression: "SET #lease = :zero",
      ConditionExpression: "#status = :running",
      ExpressionAttributeNames: { "#lease": "leaseUntil", "#status": "status" },
      ExpressionAttributeValues: { ":zero": { N: "0" }, ":running": { S: "running" } },
    });
  });

  it("marks a settled row published with one conditional UpdateItem, and ignores a row that is not settled", async () => {
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await store.markPublished(mediaId, "extract-audio");
    await store.markPublished(mediaId, "extract-audio");
    expect(inputs(UpdateItemCommand)).toEqual([
      {
        TableName: "state-table",
        Key: key,
        UpdateExpression: "SET #published = :true",
        ConditionExpression: "#status IN (:done, :failed, :skipped)",
        ExpressionAttributeNames: { "#published": "published", "#status": "status" },
        ExpressionAttributeValues: { ":true": { BOOL: true }, ":done": { S: "done" }, ":failed": { S: "failed" }, ":skipped": { S: "skipped" } },
      },
      expect.objectContaining({ UpdateExpression: "SET #published = :true" }),
    ]);
  });

  it("reports a throttled markPublished as retryable and a missing table as a StateStoreError", async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
    ddb.on(UpdateItemCommand).rejectsOnce(throttled).rejectsOnce(new ResourceNotFoundException({ message: "Requested resource not found", $metadata: {} }));
    const first = await store.markPublished(mediaId, "extract-audio").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RetryableError);
    expect((first as Error).cause).toBe(throttled);
    const second = await store.markPublished(mediaId, "extract-audio").catch((e: unknown) => e);
    expect(second).toBeInstanceOf(StateStoreError);
    expect((second as StateStoreError).retryable).toBe(false);
  });
});

describe("DynamoDB state store: list", () => {
  it("queries the media partition with consistent reads, following pages, ordered by start", async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [marshall(row("done", { stage: "transcribe", sk: "stage#transcribe", startedAt: "2026-11-20T10:00:05.000Z", finishedAt: "2026-11-20T10:01:00.000Z", output, published: true }))],
        LastEvaluatedKey: { pk: { S: `media#${mediaId}` }, sk: { S: "stage#transcribe" } },
      })
      .resolvesOnce({ Items: [marshall(row("running", { startedAt: "2026-11-20T10:00:01.000Z", leaseUntil: NOW, expiresAt }))] });
    const records = await store.list(mediaId);
    expect(records).toEqual([
      { stage: "extract-audio", status: "running", attempts: 1, startedAt: "2026-11-20T10:00:01.000Z" },
      { stage: "transcribe", status: "done", attempts: 1, startedAt: "2026-11-20T10:00:05.000Z", finishedAt: "2026-11-20T10:01:00.000Z", output, published: true },
    ]);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    const query = {
      TableName: "state-table",
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :stagePrefix)",
      ExpressionAttributeValues: { ":pk": { S: `media#${mediaId}` }, ":stagePrefix": { S: "stage#" } },
      ConsistentRead: true,
    };
    expect(inputs(QueryCommand)).toEqual([
      { ...query, ExclusiveStartKey: undefined },
      { ...query, ExclusiveStartKey: { pk: { S: `media#${mediaId}` }, sk: { S: "stage#transcribe" } } },
    ]);
  });
});

describe("DynamoDB state store: options", () => {
  it("fails loudly on an empty table name or a bad ttlDays", () => {
    expect(() => createDynamoStateStore({ client, tableName: " " })).toThrow(ConfigurationError);
    expect(() => createDynamoStateStore({ client, tableName: "t", ttlDays: 0 })).toThrow(/ttlDays/);
  });
});
