import { createWriteStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/*
 * What the emulated services do to the rest of the (emulated) account: read media from S3, write
 * transcripts and A2I output to S3, publish Rekognition completions to SNS, put service events on the
 * default bus. All of it goes to moto_server, as AWS's services would go to the real ones.
 *
 * packages/functions has its own, newer client-s3 and client-eventbridge than the root (sst pulls in
 * older ones); the emulators use that copy, as the adapters do (see test/emulator.test.ts).
 */
const fromFunctions = createRequire(new URL("../../../packages/functions/src/adapters/", import.meta.url));
const s3sdk = fromFunctions("@aws-sdk/client-s3") as typeof import("../../../packages/functions/node_modules/@aws-sdk/client-s3");
const ebsdk = fromFunctions("@aws-sdk/client-eventbridge") as typeof import("../../../packages/functions/node_modules/@aws-sdk/client-eventbridge");

export interface MotoAccessOptions {
  awsEndpoint: string;
  region: string;
  account: string;
}

export interface ObjectHead {
  size: number;
  etag: string;
}

/** An event as a service puts it on the default bus. */
export interface ServiceEvent {
  source: string;
  detailType: string;
  detail: unknown;
  resources?: string[];
  time?: Date;
}

export interface MotoAccess {
  /** Size and ETag, or undefined when the bucket or object does not exist. */
  head(bucket: string, key: string): Promise<ObjectHead | undefined>;
  /** Whether the bucket exists. */
  bucketExists(bucket: string): Promise<boolean>;
  /** Creates the bucket unless it exists (a service's own bucket). */
  ensureBucket(bucket: string): Promise<void>;
  /** Streams an object into `file` (written whole or not at all). */
  download(bucket: string, key: string, file: string): Promise<void>;
  putJson(bucket: string, key: string, value: unknown): Promise<void>;
  /** SNS Publish; throws when moto refuses (no such topic). */
  publishSns(topicArn: string, message: string): Promise<void>;
  /** PutEvents on the account's default bus; throws when the entry is refused. */
  putDefaultBusEvent(event: ServiceEvent): Promise<void>;
}

export function createMotoAccess(options: MotoAccessOptions): MotoAccess {
  const config = {
    endpoint: options.awsEndpoint,
    region: options.region,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    maxAttempts: 2,
  };
  const s3 = new s3sdk.S3Client({ ...config, forcePathStyle: true });
  const events = new ebsdk.EventBridgeClient(config);

  const bucketExists = async (bucket: string): Promise<boolean> => {
    try {
      await s3.send(new s3sdk.HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || status === 403) return false;
      throw error;
    }
  };

  return {
    async head(bucket, key) {
      try {
        const out = await s3.send(new s3sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: out.ContentLength ?? 0, etag: (out.ETag ?? "").replace(/"/g, "") };
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404 || status === 403) return undefined;
        throw error;
      }
    },

    bucketExists,

    async ensureBucket(bucket) {
      if (await bucketExists(bucket)) return;
      await s3.send(new s3sdk.CreateBucketCommand({ Bucket: bucket }));
    },

    async download(bucket, key, file) {
      const out = await s3.send(new s3sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.part-${process.pid}-${Date.now()}`;
      await pipeline(out.Body as Readable, createWriteStream(partial));
      await rename(partial, file);
    },

    async putJson(bucket, key, value) {
      await s3.send(
        new s3sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json" }),
      );
    },

    async publishSns(topicArn, message) {
      // No SNS client is installed; SNS's query protocol is a form post. moto picks the region from
      // the credential scope of the Authorization header (it does not check the signature).
      const date = new Date().toISOString().replace(/[-:]/g, "").slice(0, 8);
      const response = await fetch(`${options.awsEndpoint}/`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          authorization: `AWS4-HMAC-SHA256 Credential=testing/${date}/${options.region}/sns/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: new URLSearchParams({ Action: "Publish", Version: "2010-03-31", TopicArn: topicArn, Message: message }).toString(),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`SNS Publish to ${topicArn} failed with HTTP ${response.status}: ${text.slice(0, 300)}`);
    },

    async putDefaultBusEvent(event) {
      const out = await events.send(
        new ebsdk.PutEventsCommand({
          Entries: [
            {
              Source: event.source,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
              Resources: event.resources ?? [],
              Time: event.time ?? new Date(),
              EventBusName: "default",
            },
          ],
        }),
      );
      const failed = out.Entries?.find((e) => e.ErrorCode);
      if (out.FailedEntryCount || failed) {
        throw new Error(`PutEvents of ${event.detailType} failed: ${failed?.ErrorCode} ${failed?.ErrorMessage ?? ""}`);
      }
    },
  };
}
