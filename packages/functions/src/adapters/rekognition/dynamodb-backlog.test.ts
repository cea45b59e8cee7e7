import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { RetryableError } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../errors.js";
import { releaseOne, startOrBacklog } from "./backlog.js";
import {
  BACKLOG_PK,
  BacklogStoreError,
  backlogSortKey,
  createDynamoBacklog,
  ulidTime,
  type VideoJobRequest,
} from "./dynamodb-backlog.js";
import { RekognitionLimitError } from "./errors.js";

const NOW = Date.parse("2026-11-20T10:00:00.000Z");
const client = new DynamoDBClient({ region: "eu-west-1" });
const ddb = mockClient(client);
const backlog = createDynamoBacklog({ client, tableName: "state-table", now: () => NOW, ttlDays: 7 });

const request = (mediaId: string, kind: VideoJobRequest["kind"] = "labels"): VideoJobRequest => ({
  kind,
  mediaId,
  source: { bucket: "media-bucket", key: `media/${mediaId}/talk.mp4` },
  minConfidence: 50,
  notification: {
    snsTopicArn: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
    roleArn: "arn:aws:iam::111122223333:role/rekognition-publish",
  },
});
const older = request("01jd8x7k2m4n6p8q0r2s4t6v8w");
const newer = request("01jd9b2c3d4e5f6g7h8j9k0m1n", "moderation");
const { kind: _kind, ...olderInput } = older;

const item = (r: VideoJobRequest) => {
  const { kind, ...input } = r;
  return {
    pk: BACKLOG_PK, sk: backlogSortKey(r.mediaId, kind), mediaId: r.mediaId, kind, request: input,
    enqueuedAt: "2026-11-20T10:00:00.000Z", expiresAt: NOW / 1000 + 7 * 86_400,
  };
};
const conditionFailed = () => new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: { httpStatusCode: 400 } });
const inputs = <C extends typeof PutItemCommand | typeof QueryCommand | typeof DeleteItemCommand>(command: C) =>
  ddb.commandCalls(command as never).map((call) => call.args[0].input as Record<string, any>);

beforeEach(() => ddb.reset());

describe("backlog keys", () => {
  it("orders by the mediaId's ULID time, zero-padded, then mediaId and kind", () => {
    expect(new Date(ulidTime("01jd8x7k2m4n6p8q0r2s4t6v8w")).toISOString()).toBe("2024-11-22T03:04:15.188Z");
    expect(backlogSortKey("01jd8x7k2m4n6p8q0r2s4t6v8w", "labels")).toBe("0001732244655188#01jd8x7k2m4n6p8q0r2s4t6v8w#labels");
    expect(backlogSortKey(older.mediaId, "labels") < backlogSortKey(newer.mediaId, "moderation")).toBe(true);
    expect(() => ulidTime("01jd8x7k2m4n6p8q0r2s4t6v8u-not")).toThrow(BacklogStoreError);
    expect(() => ulidTime("ulid0000000000000000000000")).toThrow(/not a ULID/);
  });
});

describe("DynamoDB backlog: push", () => {
  it("writes one item keyed by (mediaId, kind), conditioned on its absence, with the start input and a TTL", async () => {
    ddb.on(PutItemCommand).resolves({});
    await backlog.push(older);
    expect(inputs(PutItemCommand)).toEqual([{
      TableName: "state-table",
      Item: marshall(item(older)),
      ConditionExpression: "attribute_not_exists(pk)",
    }]);
    expect(unmarshall(inputs(PutItemCommand)[0]!.Item).request).toEqual(olderInput);
  });

  it("is a no-op for a (mediaId, kind) already waiting: a duplicate trigger does not enqueue twice", async () => {
    ddb.on(PutItemCommand).resolvesOnce({}).rejects(conditionFailed());
    await backlog.push(older);
    await expect(backlog.push(older)).resolves.toBeUndefined();
    const [first, second] = inputs(PutItemCommand);
    expect(second!.Item.sk).toEqual(first!.Item.sk);
  });

  it("keeps the two kinds of one media item apart", () => {
    expect(backlogSortKey(older.mediaId, "labels")).not.toBe(backlogSortKey(older.mediaId, "moderation"));
  });

  it("refuses an invalid request before writing, and sorts DynamoDB's errors into retryable or not", async () => {
    await expect(backlog.push({ ...older, minConfidence: 101 })).rejects.toThrow(BacklogStoreError);
    expect(inputs(PutItemCommand)).toEqual([]);
    ddb.on(PutItemCommand).rejectsOnce(new ProvisionedThroughputExceededException({ message: "slow down", $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(new ResourceNotFoundException({ message: "no table", $metadata: { httpStatusCode: 400 } }));
    await expect(backlog.push(older)).rejects.toBeInstanceOf(RetryableError);
    await expect(backlog.push(older)).rejects.toBeInstanceOf(BacklogStoreError);
  });

  it("validates its options", () => {
    expect(() => createDynamoBacklog({ client, tableName: " " })).toThrow(ConfigurationError);
    expect(() => createDynamoBacklog({ client, tableName: "t", ttlDays: 0 })).toThrow(/ttlDays/);
  });
});

describe("DynamoDB backlog: shift", () => {
  it("takes the oldest item with a consistent ascending Query (Limit 1) and a conditional DeleteItem", async () => {
    ddb.on(QueryCommand).resolves({ Items: [marshall(item(older))], LastEvaluatedKey: marshall({ pk: BACKLOG_PK, sk: item(older).sk }) });
    ddb.on(DeleteItemCommand).resolves({ Attributes: marshall(item(older)) });
    await expect(backlog.shift()).resolves.toEqual(older);
    expect(inputs(QueryCommand)).toEqual([{
      TableName: "state-table",
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: BACKLOG_PK } },
      ScanIndexForward: true,
      Limit: 1,
      ConsistentRead: true,
      ExclusiveStartKey: undefined,
    }]);
    expect(inputs(DeleteItemCommand)).toEqual([{
      TableName: "state-table",
      Key: marshall({ pk: BACKLOG_PK, sk: item(older).sk }),
      ConditionExpression: "attribute_exists(pk)",
      ReturnValues: "ALL_OLD",
    }]);
  });

  it("answers undefined when nothing waits", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(backlog.shift()).resolves.toBeUndefined();
    expect(inputs(DeleteItemCommand)).toEqual([]);
  });

  it("takes the next item when another releaser took the oldest first", async () => {
    ddb.on(QueryCommand)
      .resolvesOnce({ Items: [marshall(item(older))] })
      .resolvesOnce({ Items: [marshall(item(newer))] });
    ddb.on(DeleteItemCommand).rejectsOnce(conditionFailed()).resolves({ Attributes: marshall(item(newer)) });
    await expect(backlog.shift()).resolves.toEqual(newer);
    expect(inputs(QueryCommand)[1]!.ExclusiveStartKey).toEqual(marshall({ pk: BACKLOG_PK, sk: item(older).sk }));
    expect(inputs(DeleteItemCommand).map((d) => unmarshall(d.Key).sk)).toEqual([item(older).sk, item(newer).sk]);
  });

  it("answers undefined when the last item was taken by another releaser", async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [marshall(item(older))] }).resolves({ Items: [] });
    ddb.on(DeleteItemCommand).rejects(conditionFailed());
    await expect(backlog.shift()).resolves.toBeUndefined();
  });
});

describe("DynamoDB backlog: unshift and the release flow", () => {
  it("puts an item back under its own key, unconditionally, so it keeps its place at the front", async () => {
    ddb.on(PutItemCommand).resolves({});
    await backlog.unshift(older);
    expect(inputs(PutItemCommand)).toEqual([{ TableName: "state-table", Item: marshall(item(older)) }]);
  });

  it("backlogs on the limit and puts a release that hits the limit again back", async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [marshall(item(older))] });
    ddb.on(DeleteItemCommand).resolves({ Attributes: marshall(item(older)) });
    const limited = async () => {
      throw new RekognitionLimitError("20 jobs run");
    };
    await expect(startOrBacklog(limited, backlog, older)).resolves.toEqual({ backlogged: true });
    await expect(releaseOne(limited, backlog)).resolves.toEqual({ backlogged: true, item: older });
    expect(inputs(PutItemCommand).map((p) => p.ConditionExpression)).toEqual(["attribute_not_exists(pk)", undefined]);
    await expect(releaseOne(async () => ({ jobId: "job-1" }), backlog)).resolves.toEqual({ started: "job-1", item: older });
  });
});
