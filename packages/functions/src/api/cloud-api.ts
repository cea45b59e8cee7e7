import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { createDynamoStateStore } from "../adapters/dynamodb-state-store.js";
import { readConfig } from "../config.js";
import { newMediaId } from "./ids.js";
import { createMediaApi } from "./media.js";
import { readUploadSettings } from "./settings.js";
import { createUploadRecords } from "./upload-records.js";
import { createUploadApi } from "./uploads.js";

/**
 * The S3 client that presigns. Since SDK 3.729 the client adds a CRC32 checksum to every upload
 * request it signs; a presigned UploadPart has no body then, so the URL would carry the checksum of
 * zero bytes (`x-amz-checksum-crc32=AAAAAA==`) and S3 would refuse every real part. Only when an
 * operation requires one (UploadPart does not).
 * https://github.com/aws/aws-sdk-js-v3/issues/6994
 */
export const PRESIGNING_S3_CONFIG = { requestChecksumCalculation: "WHEN_REQUIRED" } as const;

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
  const s3 = clients.s3 ?? new S3Client(PRESIGNING_S3_CONFIG);
  const dynamo = clients.dynamo ?? new DynamoDBClient({});
  const records = createUploadRecords({ client: dynamo, tableName: config.STATE_TABLE });
  const state = createDynamoStateStore({ client: dynamo, tableName: config.STATE_TABLE });
  return {
    settings,
    uploads: createUploadApi({ s3, records, bucket: config.MEDIA_BUCKET, settings, newId: () => newMediaId() }),
    media: createMediaApi({ s3, state, records, bucket: config.MEDIA_BUCKET, linkExpiresSeconds: settings.linkExpiresSeconds }),
  };
}
