import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { NonRetryableError, RetryableError } from "@media-pipeline/core";
import { z } from "zod";
import { ConfigurationError } from "../../errors.js";
import type { BacklogPort, StartJob } from "./backlog.js";
import { RekognitionJobKind, StartVideoJobInput, startVideoJob, type RekognitionSender } from "./jobs.js";
import { isTransientAwsError } from "../aws-errors.js";

/** A video job start waiting for a free Rekognition slot: the start input and which job it is. */
export const VideoJobRequest = StartVideoJobInput.extend({ kind: RekognitionJobKind });
export type VideoJobRequest = z.infer<typeof VideoJobRequest>;

/** What the backlog calls when it releases (or first tries) a request: dispatches on its kind. */
export function videoJobStarter(client: RekognitionSender): StartJob<VideoJobRequest> {
  return ({ kind, ...input }) => startVideoJob(client, kind, input);
}

/**
 * Item layout, in the state table (partition key `pk`, sort key `sk`, TTL `expiresAt`), one item per
 * waiting (mediaId, kind):
 *
 * | attribute    | type | value                                                                       |
 * |--------------|------|-----------------------------------------------------------------------------|
 * | `pk`         | S    | `backlog#rekognition`: one partition, so "the oldest" is one Query          |
 * | `sk`         | S    | `<16-digit enqueue time>#<mediaId>#<kind>`: FIFO by sort key                 |
 * | `mediaId`    | S    | the mediaId, plain, for operators                                            |
 * | `kind`       | S    | `labels` \| `moderation` \| `segments` \| `text`                             |
 * | `request`    | M    | the start input (`mediaId`, `source`, `minConfidence`, `notification`)       |
 * | `enqueuedAt` | S    | ISO wall-clock time of the latest write                                      |
 * | `expiresAt`  | N    | epoch seconds, `ttlDays` after the latest write; DynamoDB TTL deletes it     |
 *
 * The enqueue time in the key is the mediaId's ULID timestamp (when the upload was requested, in epoch
 * ms), not the clock at `push`. That makes the key a function of (mediaId, kind) alone, so `push` is one
 * PutItem conditioned on `attribute_not_exists(pk)`: a duplicate trigger, a replay or a retry after a
 * lost response finds the item and does not enqueue it twice. Starts hit the limit minutes after their
 * upload, so the order is arrival order in practice; where it is not, the older media item goes first.
 * `unshift` writes the same key back, which puts the item where it was: at the front.
 */
export const BACKLOG_PK = "backlog#rekognition";

/** The backlog table refused a request in a way a retry will not fix (missing table, access denied…). */
export class BacklogStoreError extends NonRetryableError {}

export interface DynamoBacklogOptions {
  client: Pick<DynamoDBClient, "send">;
  tableName: string;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** How long a waiting item is kept after its latest write (default 30, as the state store). */
  ttlDays?: number;
}

const DAY_SECONDS = 86_400;
const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** The epoch-ms timestamp in the first 10 characters of a (lower-case) ULID. */
export function ulidTime(mediaId: string): number {
  const notUlid = () => new BacklogStoreError(`mediaId ${JSON.stringify(mediaId)} is not a ULID; the backlog orders by its timestamp`);
  if (mediaId.length !== 26) throw notUlid();
  let t = 0;
  for (const c of mediaId.slice(0, 10)) {
    const digit = CROCKFORD.indexOf(c);
    if (digit < 0) throw notUlid();
    t = t * 32 + digit;
  }
  return t;
}

/** The sort key of a request: `<16-digit ULID time>#<mediaId>#<kind>`. */
export function backlogSortKey(mediaId: string, kind: RekognitionJobKind): string {
  return `${String(ulidTime(mediaId)).padStart(16, "0")}#${mediaId}#${kind}`;
}

/**
 * The Rekognition start backlog (`BacklogPort`) on the state table. `shift` is atomic across
 * concurrent releasers: it reads the oldest item (consistent Query, ascending, Limit 1) and takes it
 * with a DeleteItem conditioned on the item still being there; a releaser that lost the race reads on
 * past that key and takes the next one.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 *
 * @example
 * const backlog = createDynamoBacklog({ client: cloud.clients.dynamo, tableName: cloud.env.STATE_TABLE });
 * await startOrBacklog(videoJobStarter(rekognition), backlog, { kind: "labels", ...input });
 */
export function createDynamoBacklog(options: DynamoBacklogOptions): Required<BacklogPort<VideoJobRequest>> {
  const { client, tableName, now = () => Date.now(), ttlDays = 30 } = options;
  const issues = [
    ...(typeof tableName === "string" && tableName.trim() ? [] : ["tableName: missing or empty"]),
    ...(Number.isFinite(ttlDays) && ttlDays > 0 ? [] : [`ttlDays: must be a positive number, got ${ttlDays}`]),
  ];
  if (issues.length) throw new ConfigurationError(`Invalid DynamoDB backlog options: ${issues.join("; ")}`, issues);

  async function send<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw toBacklogError(error, what);
    }
  }

  function toItem(request: VideoJobRequest): Record<string, AttributeValue> {
    const parsed = VideoJobRequest.safeParse(request);
    if (!parsed.success) {
      throw new BacklogStoreError(`Invalid backlog request: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; ")}`, {
        cause: parsed.error,
      });
    }
    const { kind, ...input } = parsed.data;
    const t = now();
    return marshall(
      {
        pk: BACKLOG_PK,
        sk: backlogSortKey(input.mediaId, kind),
        mediaId: input.mediaId,
        kind,
        request: input,
        enqueuedAt: new Date(t).toISOString(),
        expiresAt: Math.floor(t / 1000) + Math.round(ttlDays * DAY_SECONDS),
      },
      { removeUndefinedValues: true },
    );
  }

  return {
    async push(request) {
      const Item = toItem(request);
      try {
        await send(`PutItem ${Item.sk!.S}`, () =>
          client.send(new PutItemCommand({ TableName: tableName, Item, ConditionExpression: "attribute_not_exists(pk)" })),
        );
      } catch (error) {
        // Already waiting: this push is a duplicate, and the one item keeps its place.
        if (!isConditionFailure(error)) throw error;
      }
    },

    async shift() {
      let startKey: Record<string, AttributeValue> | undefined;
      for (;;) {
        const page = await send("Query", () =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: marshall({ ":pk": BACKLOG_PK }),
              ScanIndexForward: true,
              Limit: 1,
              // An item pushed a moment ago must be seen, or a release could find the queue empty.
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        const head = page.Items?.[0];
        if (!head) {
          if (!page.LastEvaluatedKey) return undefined;
          startKey = page.LastEvaluatedKey;
          continue;
        }
        const Key = { pk: head.pk!, sk: head.sk! };
        try {
          const taken = await send(`DeleteItem ${head.sk?.S}`, () =>
            client.send(
              new DeleteItemCommand({ TableName: tableName, Key, ConditionExpression: "attribute_exists(pk)", ReturnValues: "ALL_OLD" }),
            ),
          );
          return toRequest(unmarshall(taken.Attributes ?? head));
        } catch (error) {
          // Another releaser took it first: read on past it.
          if (!isConditionFailure(error)) throw error;
          startKey = Key;
        }
      }
    },

    async unshift(request) {
      // The key is fixed by (mediaId, kind), so writing it back restores its place at the front.
      const Item = toItem(request);
      await send(`PutItem ${Item.sk!.S}`, () => client.send(new PutItemCommand({ TableName: tableName, Item })));
    },
  };
}

function toRequest(item: Record<string, unknown>): VideoJobRequest {
  // Written by `push` from a validated request; the start validates it again before calling Rekognition.
  return { ...(item.request as StartVideoJobInput), kind: item.kind as RekognitionJobKind };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}

function toBacklogError(error: unknown, what: string): Error {
  const e = error as { name?: string; message?: string } | undefined;
  const message = `DynamoDB ${what} on the Rekognition backlog failed: ${e?.name ?? "Error"}${e?.message ? ` ${e.message}` : ""}`;
  return isTransientAwsError(error) ? new RetryableError(message, { cause: error }) : new BacklogStoreError(message, { cause: error });
}
