import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { RetryableError } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, BlobStoreError, createS3BlobStore, presignedGetUrl } from "./s3-blob-store.js";

const ref = { bucket: "media-bucket", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/shots.json" };
const client = new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } });
const s3 = mockClient(client);
const store = createS3BlobStore(client);

/** GetObject's Body as the SDK hands it over: a stream with `transformToString`. */
const body = (text: string) => ({ transformToString: async () => text }) as never;

beforeEach(() => s3.reset());

describe("S3 blob store", () => {
  it("puts JSON with an application/json content type", async () => {
    s3.on(PutObjectCommand).resolves({});
    await store.putJson(ref, { shots: [{ index: 0, startMs: 0 }] });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({
      Bucket: "media-bucket",
      Key: ref.key,
      Body: '{"shots":[{"index":0,"startMs":0}]}',
      ContentType: "application/json",
    });
  });

  it("refuses a value that has no JSON form instead of storing the string undefined", async () => {
    await expect(store.putJson(ref, undefined)).rejects.toThrow(BlobStoreError);
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it("reads a JSON document back", async () => {
    s3.on(GetObjectCommand, { Bucket: "media-bucket", Key: ref.key }).resolves({ Body: body('{"shotCount":3}') });
    await expect(store.getJson(ref)).resolves.toEqual({ shotCount: 3 });
  });

  it("throws BlobNotFoundError, not retryable, for a missing key", async () => {
    const noSuchKey = new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
    s3.on(GetObjectCommand).rejects(noSuchKey);
    const error = await store.getJson(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect((error as BlobNotFoundError).retryable).toBe(false);
    expect((error as BlobNotFoundError).ref).toEqual(ref);
    expect((error as Error).cause).toBe(noSuchKey);
  });

  it("throws BlobStoreError for a body that is not JSON", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body("<html>") });
    const error = await store.getJson(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it("answers the size from HeadObject", async () => {
    s3.on(HeadObjectCommand, { Bucket: "media-bucket", Key: ref.key }).resolves({ ContentLength: 472565 });
    await expect(store.size(ref)).resolves.toBe(472565);
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({ Bucket: "media-bucket", Key: ref.key });
  });

  it("answers undefined for a missing object (HEAD 404 NotFound)", async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: "Not Found", $metadata: { httpStatusCode: 404 } }));
    await expect(store.size(ref)).resolves.toBeUndefined();
  });

  it("treats HEAD 403 (no s3:ListBucket) as an error, not as a missing object", async () => {
    const denied = new S3ServiceException({ name: "Forbidden", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "Forbidden" });
    s3.on(HeadObjectCommand).rejects(denied);
    const error = await store.size(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as Error).cause).toBe(denied);
  });

  it("turns throttling into a RetryableError carrying the cause", async () => {
    const slowDown = new S3ServiceException({ name: "SlowDown", $fault: "server", $metadata: { httpStatusCode: 503 }, message: "Please reduce your request rate." });
    s3.on(PutObjectCommand).rejects(slowDown);
    const error = await store.putJson(ref, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/PutObject s3:\/\/media-bucket\/derived\/.+ failed: SlowDown/);
    expect((error as Error).cause).toBe(slowDown);
  });
});

describe("presignedGetUrl", () => {
  it("signs a GET for the object that expires after the given seconds", async () => {
    const url = new URL(await presignedGetUrl(client, { bucket: "media-bucket", key: "media/01jd8x7k2m4n6p8q0r2s4t6v8w/talk.mp4" }, 900));
    expect(url.hostname).toBe("media-bucket.s3.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe("/media/01jd8x7k2m4n6p8q0r2s4t6v8w/talk.mp4");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIDTEST\//);
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it("refuses a lifetime SigV4 cannot sign (0 s, over 7 days, fractions)", async () => {
    for (const seconds of [0, 7 * 24 * 3600 + 1, 1.5]) {
      await expect(presignedGetUrl(client, ref, seconds)).rejects.toThrow(BlobStoreError);
    }
  });
});
