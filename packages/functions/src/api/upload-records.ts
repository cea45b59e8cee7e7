import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";

/**
 * What `POST /uploads` promised, kept in the state table beside the stage records of the same media
 * item (`pk` `media#<mediaId>`, `sk` `upload`; the state store reads only `stage#…` items), so that
 * the multipart routes find the upload id and key without trusting the client with them, and
 * `GET /media/{mediaId}` knows a media item before any stage has run.
 */
export interface UploadRecord {
  mediaId: string;
  key: string;
  /** As the client sent it; the key carries the sanitized name. */
  filename: string;
  contentType: string;
  size: number;
  mode: "post" | "multipart";
  /** `requested` (POST: S3 tells the pipeline, not this record, when it lands), `uploading`, `uploaded`, `aborted`. */
  status: "requested" | "uploading" | "uploaded" | "aborted";
  createdAt: string;
  uploadId?: string;
  partSize?: number;
  partCount?: number;
}

export interface UploadRecords {
  create(record: UploadRecord): Promise<void>;
  get(mediaId: string): Promise<UploadRecord | undefined>;
  setStatus(mediaId: string, status: UploadRecord["status"]): Promise<void>;
}

const DAY_SECONDS = 86_400;

export function createUploadRecords(options: { client: DynamoDBClient; tableName: string; ttlDays?: number; now?: () => number }): UploadRecords {
  const { client, tableName, ttlDays = 30, now = () => Date.now() } = options;
  const key = (mediaId: string) => marshall({ pk: `media#${mediaId}`, sk: "upload" });
  // Same TTL attribute and horizon as the stage records (dynamodb-state-store.ts).
  const expiresAt = () => Math.floor(now() / 1000) + ttlDays * DAY_SECONDS;
  return {
    async create(record) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({ pk: `media#${record.mediaId}`, sk: "upload", ...record, expiresAt: expiresAt() }, { removeUndefinedValues: true }),
          // A fresh ULID never collides; the condition makes sure a bug cannot overwrite an upload.
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    },
    async get(mediaId) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key(mediaId), ConsistentRead: true }));
      if (!Item) return undefined;
      const { pk: _pk, sk: _sk, expiresAt: _ttl, ...record } = unmarshall(Item);
      return record as UploadRecord;
    },
    async setStatus(mediaId, status) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key(mediaId),
          UpdateExpression: "SET #status = :status, #expiresAt = :expiresAt",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#status": "status", "#expiresAt": "expiresAt" },
          ExpressionAttributeValues: marshall({ ":status": status, ":expiresAt": expiresAt() }),
        }),
      );
    },
  };
}
