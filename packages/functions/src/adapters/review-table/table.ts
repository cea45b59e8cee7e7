import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * The review table: the cloud's built-in human review (Amazon A2I is closed to new customers), one
 * item per task and one per audit entry, in the task's partition.
 *
 * Task item (`sk = "task"`):
 *
 * | attribute        | type | value                                                                 |
 * |------------------|------|-----------------------------------------------------------------------|
 * | `pk`             | S    | the task id                                                           |
 * | `sk`             | S    | `task`                                                                |
 * | `mediaId`        | S    | the media item, plain, for operators reading the console              |
 * | `task`           | S    | core's ReviewTask as JSON                                             |
 * | `filename`       | S    | the uploaded file's name, when the opener knew it                     |
 * | `state`          | S    | `open` \| `decided` \| `expired`                                      |
 * | `claimedBy`      | S    | the reviewer holding (or, once decided, who decided); absent when free |
 * | `claimExpiresMs` | N    | epoch ms the claim lapses at; only with a claim on an open task       |
 * | `decision`       | S    | core's ReviewDecision as JSON, once decided                            |
 * | `announced`      | BOOL | decided or expired: false until `Review Completed` is published       |
 * | `createdAt`      | S    | the task's creation time, normalized to `toISOString()`               |
 * | `queue`          | S    | the GSI partition: the same as `state`                                |
 * | `queueAt`        | S    | the GSI sort key: createdAt (open), decidedAt (decided), expiredAt     |
 *
 * Audit item (`sk = "audit#<at ISO>#<random>"`): `reviewer`, `action` (claim, release, decide,
 * expire), `detail` (JSON, absent when none). The key sorts a task's log by time; entries written
 * in the same millisecond keep no particular order.
 *
 * Every time attribute that is compared or sorted is `toISOString()` text, so string order is time
 * order.
 */
export const REVIEW_TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

/** The sparse queue index: every task item is in exactly one `queue` partition, audit items in none. */
export const REVIEW_QUEUE_INDEX = { indexName: "queue", partitionKey: "queue", sortKey: "queueAt" } as const;

/** The sort key of a task item, and the prefix of its audit items'. */
export const TASK_SK = "task";
export const AUDIT_SK_PREFIX = "audit#";

/**
 * The table exactly as the stack creates it, for the tests and the offline harness (the stack
 * declares the same keys from the constants above).
 */
export function reviewTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = REVIEW_TABLE_KEYS;
  const queue = REVIEW_QUEUE_INDEX;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: "S" },
      { AttributeName: sortKey, AttributeType: "S" },
      { AttributeName: queue.partitionKey, AttributeType: "S" },
      { AttributeName: queue.sortKey, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: "HASH" },
      { AttributeName: sortKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: queue.indexName,
        KeySchema: [
          { AttributeName: queue.partitionKey, KeyType: "HASH" },
          { AttributeName: queue.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}
