import { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3ClientConfig } from "@aws-sdk/client-s3";
import { sdkStreamMixin } from "@smithy/util-stream";
import type { AwsStub } from "aws-sdk-client-mock";
import { startObjectServer, type ObjectServer } from "./object-server.js";

/**
 * For tests of the cloud stages with a mocked S3 client: an in-memory bucket behind the mock
 * (PutObject stores the body, GetObject streams it back and honours `Range`, HeadObject answers the
 * size or 404) and the same objects served over HTTP (object-server.ts), so the presigned URLs that
 * ffmpeg and ffprobe read work. Build the S3 client with `s3ClientConfig(server)`.
 */
export interface MediaBucket {
  objects: Map<string, { body: Buffer; contentType?: string }>;
  server: ObjectServer;
  /** Installs the bucket behind the mock (call after each `reset()`). */
  install(s3: AwsStub<never, never, never> | AwsStubLike): void;
  close(): Promise<void>;
}

/** The part of aws-sdk-client-mock's stub this uses. */
export interface AwsStubLike {
  on(command: unknown): { callsFake(fn: (input: never) => unknown): unknown };
}

export type StoredObjects = Map<string, { body: Buffer; contentType?: string }>;

export async function startMediaBucket(): Promise<MediaBucket> {
  const objects: StoredObjects = new Map();
  const server = await startObjectServer(objects);
  return {
    objects,
    server,
    install: (stub) => installObjects(stub, objects),
    close: () => server.close(),
  };
}

/** What the S3 client needs for its presigned URLs to name the object server. */
export function s3ClientConfig(server: ObjectServer): S3ClientConfig {
  return {
    region: "us-east-1", endpoint: server.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  };
}

export async function bytesOf(body: unknown): Promise<Buffer> {
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * The objects behind a mocked S3 client: PutObject stores, GetObject streams back (with `Range`),
 * HeadObject sizes or 404s. `onPut` hears each stored key, for tests of what is written before what.
 */
export function installObjects(stub: AwsStub<never, never, never> | AwsStubLike, objects: StoredObjects, onPut?: (key: string) => void): void {
  const s3 = stub as AwsStubLike;
  s3.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: unknown; ContentType?: string }) => {
    objects.set(`${input.Bucket}/${input.Key}`, { body: await bytesOf(input.Body), ...(input.ContentType ? { contentType: input.ContentType } : {}) });
    onPut?.(input.Key);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string; Range?: string }) => {
    const found = objects.get(`${input.Bucket}/${input.Key}`);
    if (!found) throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    const range = /^bytes=(\d+)-(\d*)$/.exec(input.Range ?? "");
    const body = range ? found.body.subarray(Number(range[1]), range[2] ? Number(range[2]) + 1 : undefined) : found.body;
    return { Body: sdkStreamMixin(Readable.from([body])), ContentLength: body.length, ContentType: found.contentType };
  });
  s3.on(HeadObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const found = objects.get(`${input.Bucket}/${input.Key}`);
    if (!found) throw Object.assign(new Error("Not Found"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
    return { ContentLength: found.body.length, ContentType: found.contentType };
  });
}
