import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { createDynamoStateStore } from "../adapters/dynamodb-state-store.js";
import { readConfig } from "../config.js";
import { newMediaId } from "./ids.js";
import { createMediaApi } from "./media.js";
import { readUploadSettings } from "./settings.js";
import { createUploadRecords } from "./upload-records.js";
import { createUploadApi } from "./uploads.js";

/** The API functions' environment: no bus (they publish nothing; S3 reports the upload itself). */
export const ApiConfig = ["MEDIA_BUCKET", "STATE_TABLE"] as const;

/**
 * The upload and media APIs over real (or injected) clients, built once per cold start.
 * Presigning signs with the function's own credentials: a URL can do exactly what the role can.
 * @example const { uploads } = createCloudApi(process.env)
 */
export function createCloudApi(env: Record<string, string | undefined>, clients: { s3?: S3Client; dynamo?: DynamoDBClient } = {}) {
  const config = readConfig(ApiConfig, env);
  const settings = readUploadSettings(env);
  const s3 = clients.s3 ?? new S3Client({});
  const dynamo = clients.dynamo ?? new DynamoDBClient({});
  const records = createUploadRecords({ client: dynamo, tableName: config.STATE_TABLE });
  const state = createDynamoStateStore({ client: dynamo, tableName: config.STATE_TABLE });
  return {
    settings,
    uploads: createUploadApi({ s3, records, bucket: config.MEDIA_BUCKET, settings, newId: () => newMediaId() }),
    media: createMediaApi({ s3, state, records, bucket: config.MEDIA_BUCKET, linkExpiresSeconds: settings.linkExpiresSeconds }),
  };
}
