import {
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import {
  NonRetryableError,
  RetryableError,
  type BeginResult,
  type StageName,
  type StageOutput,
  type StageRecord,
  type StateStore,
} from "@media-pipeline/core";
import { ConfigurationError } from "../errors.js";
import { isTransientAwsError } from "./aws-errors.js";

/**
 * Item layout (table from stacks/storage.ts: partition key `pk`, sort key `sk`, TTL `expiresAt`).
 * One item per (mediaId, stage):
 *
 * | attribute    | type | value                                                                   |
 * |--------------|------|-------------------------------------------------------------------------|
 * | `pk`         | S    | `media#<mediaId>`: one partition per media item, so `list` is one Query  |
 * | `sk`         | S    | `stage#<stage>`: the prefix leaves room for other item kinds per media   |
 * | `mediaId`    | S    | the mediaId, plain, for operators reading the console                    |
 * | `stage`      | S    | the stage name                                                           |
 * | `status`     | S    | `running` \| `done` \| `failed` \| `skipped`                             |
 * | `attempts`   | N    | incremented by every successful `begin`                                  |
 * | `leaseUntil` | N    | epoch ms; only while running; 0 after `release` (free to take over)      |
 * | `startedAt`  | S    | ISO time of the latest `begin`                                           |
 * | `finishedAt` | S    | ISO time of `finish`/`fail`                                              |
 * | `output`     | M    | the StageOutput (`events`, `facts`), kept as a map so it reads plainly   |
 * | `error`      | M    | `{ name, message }` after `fail`                                         |
 * | `published`  | BOOL | after `finish`/`fail`: false, then true once the stored events were put  |
 * | `expiresAt`  | N    | epoch seconds, `ttlDays` after the latest write; DynamoDB TTL deletes it |
 *
 * TTL deletion runs within a few days of `expiresAt`, not at it; until then a replay still finds
 * the stage settled. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
 */

/** The state table refused a request in a way a retry will not fix (missing table, access denied…). */
export class StateStoreError extends NonRetryableError {}

/** `finish`/`fail` for a stage with no record: a programming error, as in the memory store. */
export class StageNotStartedError extends StateStoreError {}

/**
 * `finish`/`fail` found the stage already settled: another delivery took over after this one's
 * lease ran out and finished first. Retryable on purpose: the next delivery's `begin` answers with the
 * stored output (publishing it if the winner has not yet), so consumers see the one recorded result.
 */
export class StageAlreadySettledError extends RetryableError {}

export interface DynamoStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch milliseconds; injectable so tests can expire leases. */
  now?: () => number;
  /** How long a media item's records are kept after their latest write (default 30). */
  ttlDays?: number;
}

const DAY_SECONDS = 86_400;
const NAMES = {
  "#status": "status",
  "#lease": "leaseUntil",
  "#attempts": "attempts",
  "#mediaId": "mediaId",
  "#stage": "stage",
  "#startedAt": "startedAt",
  "#finishedAt": "finishedAt",
  "#output": "output",
  "#error": "error",
  "#expiresAt": "expiresAt",
  "#published": "published",
};
const pick = (...keys: Array<keyof typeof NAMES>) => Object.fromEntries(keys.map((k) => [k, NAMES[k]]));
const values = (v: Record<string, unknown>) => marshall(v, { removeUndefinedValues: true });

/**
 * The `StateStore` port on DynamoDB, with the semantics of the memory and SQLite stores: `begin` is one
 * conditional UpdateItem, so of two concurrent callers exactly one gets `started`; the loser reads
 * the item (returned with the condition failure) and answers done/failed/busy.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 *
 * @example
 * const state = createDynamoStateStore({ client: new DynamoDBClient({}), tableName: config.STATE_TABLE });
 * const claim = await state.begin(mediaId, "extract-audio", 15 * 60_000);
 */
export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const { client, tableName, now = () => Date.now(), ttlDays = 30 } = options;
  const issues = [
    ...(typeof tableName === "string" && tableName.trim() ? [] : ["tableName: missing or empty"]),
    ...(Number.isFinite(ttlDays) && ttlDays > 0 ? [] : [`ttlDays: must be a positive number, got ${ttlDays}`]),
  ];
  if (issues.length) throw new ConfigurationError(`Invalid DynamoDB state store options: ${issues.join("; ")}`, issues);

  const key = (mediaId: string, stage: StageName) => marshall({ pk: `media#${mediaId}`, sk: `stage#${stage}` });
  const expiresAt = (t: number) => Math.floor(t / 1000) + Math.round(ttlDays * DAY_SECONDS);

  async function send<T>(operation: string, mediaId: string, stage: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw toStateError(error, `${operation} ${stage} for ${mediaId}`);
    }
  }

  /** The item the failed condition saw, or a strongly consistent read when the error carries none. */
  async function current(mediaId: string, stage: StageName, error: unknown): Promise<Record<string, unknown> | undefined> {
    const returned = (error as { Item?: Record<string, AttributeValue> }).Item;
    if (returned) return unmarshall(returned);
    const output = await send("GetItem", mediaId, stage, () =>
      client.send(new GetItemCommand({ TableName: tableName, Key: key(mediaId, stage), ConsistentRead: true })),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  }

  async function settle(mediaId: string, stage: StageName, status: "done" | "failed", output: StageOutput, error?: StageRecord["error"]) {
    const t = now();
    try {
      await send("UpdateItem", mediaId, stage, () =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(mediaId, stage),
            UpdateExpression:
              `SET #status = :status, #output = :output, #finishedAt = :finishedAt, #expiresAt = :expiresAt, #published = :false` +
              (error ? ", #error = :error REMOVE #lease" : " REMOVE #lease, #error"),
            ConditionExpression: "#status = :running",
            ExpressionAttributeNames: pick("#status", "#output", "#finishedAt", "#expiresAt", "#lease", "#error", "#published"),
            ExpressionAttributeValues: values({
              ":status": status,
              ":false": false,
              ":running": "running",
              ":output": output,
              ":finishedAt": new Date(t).toISOString(),
              ":expiresAt": expiresAt(t),
              ...(error ? { ":error": { name: error.name, message: error.message.slice(0, 4000) } } : {}),
            }),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
    } catch (failure) {
      if (!isConditionFailure(failure)) throw failure;
      const item = await current(mediaId, stage, failure);
      if (!item) throw new StageNotStartedError(`${stage} for ${mediaId} was never started`, { cause: failure });
      throw new StageAlreadySettledError(
        `${stage} for ${mediaId} is already ${String(item.status)}; its stored output stands`,
        { cause: failure },
      );
    }
  }

  return {
    async begin(mediaId, stage, leaseMs) {
      const t = now();
      try {
        const output = await send("UpdateItem", mediaId, stage, () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key(mediaId, stage),
              UpdateExpression:
                "SET #status = :running, #lease = :lease, #mediaId = :mediaId, #stage = :stage, #startedAt = :startedAt, " +
                "#expiresAt = :expiresAt ADD #attempts :one",
              // New, or running under a lease that has run out (`release` sets it to 0). `<=` as in the
              // memory and SQLite stores: a lease is held while leaseUntil > now.
              ConditionExpression: "attribute_not_exists(pk) OR (#status = :running AND #lease <= :now)",
              ExpressionAttributeNames: pick("#status", "#lease", "#mediaId", "#stage", "#startedAt", "#expiresAt", "#attempts"),
              ExpressionAttributeValues: values({
                ":running": "running",
                ":lease": t + leaseMs,
                ":now": t,
                ":mediaId": mediaId,
                ":stage": stage,
                ":startedAt": new Date(t).toISOString(),
                ":expiresAt": expiresAt(t),
                ":one": 1,
              }),
              ReturnValues: "ALL_NEW",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          ),
        );
        const attempts = output.Attributes ? Number(unmarshall(output.Attributes).attempts) : NaN;
        return { status: "started", attempt: Number.isFinite(attempts) ? attempts : 1 };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return answer(await current(mediaId, stage, error), mediaId, stage, error);
      }
    },

    finish: (mediaId, stage, output) => settle(mediaId, stage, "done", output),

    fail: (mediaId, stage, error, output) => settle(mediaId, stage, "failed", output, error),

    async markPublished(mediaId, stage) {
      try {
        await send("UpdateItem", mediaId, stage, () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key(mediaId, stage),
              UpdateExpression: "SET #published = :true",
              ConditionExpression: "#status IN (:done, :failed, :skipped)",
              ExpressionAttributeNames: pick("#published", "#status"),
              ExpressionAttributeValues: values({ ":true": true, ":done": "done", ":failed": "failed", ":skipped": "skipped" }),
            }),
          ),
        );
      } catch (error) {
        // Not settled (or gone to TTL): there is nothing published to record.
        if (!isConditionFailure(error)) throw error;
      }
    },

    async release(mediaId, stage) {
      try {
        await send("UpdateItem", mediaId, stage, () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key(mediaId, stage),
              UpdateExpression: "SET #lease = :zero",
              ConditionExpression: "#status = :running",
              ExpressionAttributeNames: pick("#lease", "#status"),
              ExpressionAttributeValues: values({ ":zero": 0, ":running": "running" }),
            }),
          ),
        );
      } catch (error) {
        // Not running (settled, or never started): nothing to give back, as in the other stores.
        if (!isConditionFailure(error)) throw error;
      }
    },

    async list(mediaId) {
      const records: StageRecord[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await send("Query", mediaId, "every stage", () =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: "pk = :pk AND begins_with(sk, :stagePrefix)",
              ExpressionAttributeValues: values({ ":pk": `media#${mediaId}`, ":stagePrefix": "stage#" }),
              // Joins decide from this list: an eventually consistent read could miss a stage just settled.
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of page.Items ?? []) records.push(toRecord(unmarshall(item)));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records.sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? ""));
    },
  };

  function answer(item: Record<string, unknown> | undefined, mediaId: string, stage: StageName, cause: unknown): BeginResult {
    const output = (item?.output as StageOutput | undefined) ?? { events: [] };
    const published = item?.published === true;
    if (item?.status === "done" || item?.status === "skipped") return { status: "done", output, published };
    if (item?.status === "failed") return { status: "failed", output, published };
    if (item?.status === "running") return { status: "busy" };
    // The condition failed yet the item is gone (TTL deletion in between): the next delivery starts it.
    throw new RetryableError(`${stage} for ${mediaId} changed while starting; retry`, { cause });
  }
}

function toRecord(item: Record<string, unknown>): StageRecord {
  return {
    stage: item.stage as StageName,
    status: item.status as StageRecord["status"],
    attempts: Number(item.attempts ?? 0),
    ...(typeof item.startedAt === "string" ? { startedAt: item.startedAt } : {}),
    ...(typeof item.finishedAt === "string" ? { finishedAt: item.finishedAt } : {}),
    ...(item.output ? { output: item.output as StageOutput } : {}),
    ...(item.error ? { error: item.error as StageRecord["error"] } : {}),
    ...(typeof item.published === "boolean" ? { published: item.published } : {}),
  };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}

function toStateError(error: unknown, what: string): Error {
  const e = error as { name?: string; message?: string } | undefined;
  const message = `DynamoDB ${what} failed: ${e?.name ?? "Error"}${e?.message ? ` ${e.message}` : ""}`;
  return isTransientAwsError(error) ? new RetryableError(message, { cause: error }) : new StateStoreError(message, { cause: error });
}
