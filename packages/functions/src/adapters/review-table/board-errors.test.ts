import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ResourceNotFoundException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type CancellationReason,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { RetryableError, ReviewConflictError, type ReviewTask } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../errors.js";
import { createDynamoReviewBoard, ReviewTableError } from "./index.js";

/*
 * What DynamoDB answers that moto does not produce: throttling, a refused request, and the
 * TransactionConflict cancellation a racing transaction gets from DynamoDB instead of a failed condition.
 */
const NOW = Date.parse("2026-12-01T10:00:00.000Z");
const client = new DynamoDBClient({ region: "eu-west-1" });
const ddb = mockClient(client);
const board = createDynamoReviewBoard({ client, tableName: "reviews", now: () => new Date(NOW) });

const task: ReviewTask = {
  version: 1, taskId: "m1-review", mediaId: "m1", source: { bucket: "b", key: "media/m1/a.mp4" }, moderation: { bucket: "b", key: "derived/m1/moderation.json" },
  modelDecision: "review", thresholds: { reviewMin: 50, flagMin: 80 }, segments: [], categories: [], createdAt: "2026-12-01T09:00:00.000Z",
};
const item = (extra: Record<string, unknown> = {}) =>
  marshall({ pk: task.taskId, sk: "task", mediaId: "m1", task: JSON.stringify(task), state: "open", createdAt: task.createdAt, queue: "open", queueAt: task.createdAt, ...extra });
const cancelled = (...reasons: CancellationReason[]) =>
  new TransactionCanceledException({ message: "Transaction cancelled", $metadata: { httpStatusCode: 400 }, CancellationReasons: reasons });
const throttled = () => new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });

beforeEach(() => ddb.reset());

describe("review board: AWS failures", () => {
  it("throttling is retryable and carries its cause; a missing table is a non-retryable ReviewTableError", async () => {
    const error = throttled();
    ddb.on(GetItemCommand).rejectsOnce(error).rejectsOnce(new ResourceNotFoundException({ message: "Requested resource not found", $metadata: { httpStatusCode: 400 } }));
    const first = await board.get(task.taskId).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RetryableError);
    expect((first as Error).message).toMatch(/GetItem of review task m1-review failed: ProvisionedThroughputExceededException/);
    expect((first as Error).cause).toBe(error);
    const second = await board.get(task.taskId).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ReviewTableError);
    expect((second as ReviewTableError).retryable).toBe(false);
  });

  it("a transaction cancelled by throttling is retryable; one refused as invalid is not", async () => {
    ddb.on(GetItemCommand).resolves({ Item: item() });
    ddb.on(TransactWriteItemsCommand)
      .rejectsOnce(cancelled({ Code: "None" }, { Code: "ThrottlingError", Message: "Throughput exceeds the current capacity" }))
      .rejectsOnce(cancelled({ Code: "ValidationError", Message: "Item size has exceeded the maximum allowed size" }, { Code: "None" }));
    const first = await board.claim(task.taskId, "alice").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RetryableError);
    expect((first as Error).message).toMatch(/\(ThrottlingError\)/);
    const second = await board.claim(task.taskId, "alice").catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ReviewTableError);
    expect((second as Error).message).toMatch(/\(ValidationError\)/);
  });

  it("a transaction DynamoDB cancelled for a racing one reads the task again and answers the winner's claim", async () => {
    ddb.on(GetItemCommand)
      .resolvesOnce({ Item: item() })
      .resolvesOnce({ Item: item({ claimedBy: "bob", claimExpiresMs: NOW + 60_000 }) });
    ddb.on(TransactWriteItemsCommand).rejects(cancelled({ Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }, { Code: "None" }));
    const error = await board.claim(task.taskId, "alice").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReviewConflictError);
    expect(error).toMatchObject({ code: "claimed", holder: "bob" });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteItemsCommand, 1);
  });

  it("a task that keeps changing under the write is reported as retryable, after a bounded number of attempts", async () => {
    ddb.on(GetItemCommand).resolves({ Item: item() });
    ddb.on(TransactWriteItemsCommand).rejects(cancelled({ Code: "TransactionConflict" }, { Code: "None" }));
    const error = await board.decide(task.taskId, "alice", { verdict: "approved" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/kept changing/);
    expect((error as Error).cause).toBeInstanceOf(TransactionCanceledException);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteItemsCommand, 4);
  });

  it("open reports a throttled put as retryable", async () => {
    ddb.on(PutItemCommand).rejects(throttled());
    await expect(board.open(task)).rejects.toThrow(RetryableError);
  });
});

describe("review board: options", () => {
  it("fails loudly on a missing table name, a bad claim time or a bad age", async () => {
    expect(() => createDynamoReviewBoard({ client, tableName: " " })).toThrow(ConfigurationError);
    expect(() => createDynamoReviewBoard({ client, tableName: "t", claimMs: 0 })).toThrow(/claimMs/);
    await expect(board.expire({ undecidedForMs: Number.NaN })).rejects.toThrow(ConfigurationError);
    await expect(board.unannounced({ olderThanMs: -1 })).rejects.toThrow(/olderThanMs/);
  });
});
