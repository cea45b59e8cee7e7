import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { formatBytes, MAX_UPLOAD_BYTES, MediaId } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloudApi } from "./cloud-api.js";
import { newMediaId } from "./ids.js";
import { createRoutes } from "./routes.js";
import { planParts, readUploadSettings } from "./settings.js";
import { apiEvent, fakeTable, presigningS3 } from "../../test-support/api.js";

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBClient);
const MiB = 1024 ** 2;
const env = { MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state", UPLOAD_MULTIPART_THRESHOLD: String(100 * MiB), UPLOAD_PART_SIZE: String(16 * MiB) };
let items: ReturnType<typeof fakeTable>;
let routes: ReturnType<typeof createRoutes>;

beforeEach(() => {
  s3.reset();
  dynamo.reset();
  items = fakeTable(dynamo);
  routes = createRoutes(createCloudApi(env, { s3: presigningS3(), dynamo: new DynamoDBClient({}) }));
});

const body = (r: { body?: string }) => JSON.parse(r.body!);
const request = { filename: "../My Talk (final).MP4", contentType: "video/mp4", size: 42 * MiB };

describe("POST /uploads: presigned POST", () => {
  it("answers 201 with a mediaId and a presigned POST whose policy pins the key, the content type and the length", async () => {
    const before = Date.now();
    const res = await routes.createUpload(apiEvent("POST /uploads", { body: request }));
    expect(res.statusCode).toBe(201);
    const { mediaId, key, upload } = body(res);
    expect(MediaId.safeParse(mediaId).success).toBe(true);
    expect(key).toBe(`media/${mediaId}/My_Talk_final_.MP4`);
    expect(res.headers?.location).toBe(`https://abc123.execute-api.us-east-1.amazonaws.com/media/${mediaId}`);
    expect(upload).toMatchObject({ mode: "post", method: "POST", url: "https://media-bucket.s3.us-east-1.amazonaws.com/" });
    expect(upload.fields).toMatchObject({
      key,
      bucket: "media-bucket",
      "Content-Type": "video/mp4",
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": expect.stringMatching(/^AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request$/),
      "X-Amz-Signature": expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const policy = JSON.parse(Buffer.from(upload.fields.Policy, "base64").toString("utf8"));
    expect(policy.conditions).toEqual(expect.arrayContaining([
      { key },
      { bucket: "media-bucket" },
      ["eq", "$Content-Type", "video/mp4"],
      { "Content-Type": "video/mp4" },
      ["content-length-range", 42 * MiB, 42 * MiB],
    ]));
    // Nothing looser than the exact key: no starts-with on $key.
    expect(policy.conditions.filter((c: unknown) => Array.isArray(c) && c[0] === "starts-with")).toEqual([]);
    // The policy expires when the answer says, an hour from now by default.
    const expiration = Date.parse(policy.expiration);
    expect(Math.abs(expiration - Date.parse(upload.expiresAt))).toBeLessThan(1000);
    expect(expiration - before).toBeGreaterThanOrEqual(3599_000);
    expect(expiration - before).toBeLessThanOrEqual(3601_000);

    // The upload is recorded for GET /media and the multipart routes; S3 is not called to presign.
    const put = unmarshall(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.Item!);
    expect(put).toMatchObject({ pk: `media#${mediaId}`, sk: "upload", key, mode: "post", status: "requested", contentType: "video/mp4", filename: request.filename });
    expect(s3.calls()).toHaveLength(0);
  });

  it("normalizes the content type's case and parameters before pinning it", async () => {
    const res = await routes.createUpload(apiEvent("POST /uploads", { body: { ...request, contentType: "Audio/MPEG; charset=binary" } }));
    expect(body(res).upload.fields["Content-Type"]).toBe("audio/mpeg");
  });

  it.each([
    [{ ...request, contentType: "image/png" }, "contentType"],
    [{ ...request, contentType: "text/html" }, "contentType"],
    [{ ...request, size: 0 }, "size"],
    [{ ...request, size: 1.5 }, "size"],
    [{ ...request, size: 11 * 1024 ** 3 }, "size"],
    [{ ...request, filename: "" }, "filename"],
    [{ contentType: "video/mp4", size: 1 }, "filename"],
    [{ filename: "a.mp4", size: 1 }, "contentType"],
  ])("answers 400 naming the field for %j", async (input, field) => {
    const res = await routes.createUpload(apiEvent("POST /uploads", { body: input }));
    expect(res.statusCode).toBe(400);
    const error = body(res);
    expect(error).toMatchObject({ error: { code: "invalid_request", issues: [expect.objectContaining({ field })] } });
    expect(error.error.message).toContain(field);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it("refuses a declared size above the cap with a 400 that names the cap, before anything is recorded or signed", async () => {
    const res = await routes.createUpload(apiEvent("POST /uploads", { body: { ...request, size: MAX_UPLOAD_BYTES + 1 } }));
    expect(res.statusCode).toBe(400);
    const [issue] = body(res).error.issues;
    expect(issue).toEqual({ field: "size", message: expect.stringContaining(`must be at most ${MAX_UPLOAD_BYTES} bytes (${formatBytes(MAX_UPLOAD_BYTES)})`) });
    expect(issue.message).toContain("largest upload the pipeline analyses");
    expect([...dynamo.calls(), ...s3.calls()]).toEqual([]);
    // The cap itself is accepted (a multipart upload at that size).
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "upload-cap" });
    expect((await routes.createUpload(apiEvent("POST /uploads", { body: { ...request, size: MAX_UPLOAD_BYTES } }))).statusCode).toBe(201);
  });

  it("keeps the cap below Rekognition Video's 10 GB", () => {
    expect(MAX_UPLOAD_BYTES).toBeLessThan(10_000_000_000);
    expect(readUploadSettings({}).maxBytes).toBe(MAX_UPLOAD_BYTES);
  });

  it("pins a presigned POST's content-length-range to the declared size, at most the cap (a lower MAX_BYTES too)", async () => {
    const small = createRoutes(createCloudApi({ ...env, MAX_BYTES: String(50 * MiB) }, { s3: presigningS3(), dynamo: new DynamoDBClient({}) }));
    const res = await small.createUpload(apiEvent("POST /uploads", { body: { ...request, size: 50 * MiB } }));
    const policy = JSON.parse(Buffer.from(body(res).upload.fields.Policy, "base64").toString("utf8"));
    const ranges = policy.conditions.filter((c: unknown) => Array.isArray(c) && c[0] === "content-length-range");
    expect(ranges).toEqual([["content-length-range", 50 * MiB, 50 * MiB]]);
    expect(ranges[0][2]).toBeLessThanOrEqual(MAX_UPLOAD_BYTES);
    const over = await small.createUpload(apiEvent("POST /uploads", { body: { ...request, size: 50 * MiB + 1 } }));
    expect(body(over).error.issues).toEqual([{ field: "size", message: expect.stringContaining(`must be at most ${50 * MiB} bytes (52.4 MB), this deployment's MAX_BYTES`) }]);
  });

  it("refuses at cold start a MAX_BYTES above the cap: the functions' /tmp is sized for the cap", () => {
    expect(() => createCloudApi({ ...env, MAX_BYTES: String(MAX_UPLOAD_BYTES + 1) })).toThrow(/MAX_BYTES/);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const res = await routes.createUpload(apiEvent("POST /uploads", { body: "{nope" }));
    expect(res.statusCode).toBe(400);
    expect(body(res).error.issues).toEqual([{ field: "body", message: "is not JSON" }]);
  });
});

describe("POST /uploads: multipart above the threshold", () => {
  const size = 250 * MiB + 123;
  async function start() {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "upload-1" });
    const res = await routes.createUpload(apiEvent("POST /uploads", { body: { ...request, size } }));
    expect(res.statusCode).toBe(201);
    return body(res);
  }

  it("creates the multipart upload with the content type and answers with the part plan and the follow-up routes", async () => {
    const { mediaId, key, upload } = await start();
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: "media-bucket", Key: key, ContentType: "video/mp4" });
    const base = `https://abc123.execute-api.us-east-1.amazonaws.com/uploads/${mediaId}`;
    expect(upload).toMatchObject({
      mode: "multipart",
      method: "POST",
      url: `${base}/parts`,
      multipart: { partSize: 16 * MiB, partCount: 16, complete: `${base}/complete`, abort: base },
    });
    expect(upload.fields).toBeUndefined();
    // The upload id stays on the server: clients name the upload by mediaId only.
    expect(JSON.stringify(upload)).not.toContain("upload-1");
    expect(items.get(`media#${mediaId}|upload`)).toMatchObject({ uploadId: "upload-1", status: "uploading", partCount: 16 });
  });

  it("presigns one UploadPart URL per part, with partNumber and uploadId in the signed query", async () => {
    const { mediaId, key } = await start();
    const res = await routes.uploadParts(apiEvent("POST /uploads/{mediaId}/parts", { mediaId }));
    expect(res.statusCode).toBe(200);
    const { parts } = body(res);
    expect(parts.map((p: { partNumber: number }) => p.partNumber)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const part of parts) {
      const url = new URL(part.url);
      expect(url.host).toBe("media-bucket.s3.us-east-1.amazonaws.com");
      expect(decodeURIComponent(url.pathname.slice(1))).toBe(key);
      expect(url.searchParams.get("partNumber")).toBe(String(part.partNumber));
      expect(url.searchParams.get("uploadId")).toBe("upload-1");
      expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
      expect(url.searchParams.get("X-Amz-Expires")).toBe("3600");
      expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
      expect(part.method).toBe("PUT");
    }
    expect(parts.reduce((sum: number, p: { size: number }) => sum + p.size, 0)).toBe(size);
    expect(parts.at(-1)).toMatchObject({ offset: 15 * 16 * MiB, size: size - 15 * 16 * MiB });
    // Each URL is signed for its part's exact length (S3 refuses any other Content-Length), so the
    // parts add up to the declared size; and it carries no checksum of an empty body, which S3 would
    // hold every real part to.
    for (const part of parts) {
      const url = new URL(part.url);
      expect(url.searchParams.get("X-Amz-SignedHeaders")!.split(";"), `part ${part.partNumber}`).toContain("content-length");
      expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k)), `part ${part.partNumber}`).toEqual([]);
    }
    // Distinct signatures: each URL is good for its own part only.
    expect(new Set(parts.map((p: { url: string }) => new URL(p.url).searchParams.get("X-Amz-Signature"))).size).toBe(16);
  });

  it("presigns with the API's own S3 client the same way: length signed, no empty-body checksum", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    try {
      const own = createRoutes(createCloudApi(env, { dynamo: new DynamoDBClient({}) }));
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "upload-2" });
      const { mediaId } = body(await own.createUpload(apiEvent("POST /uploads", { body: { ...request, size } })));
      const [part] = body(await own.uploadParts(apiEvent("POST /uploads/{mediaId}/parts", { mediaId, body: { partNumbers: [1] } }))).parts;
      const url = new URL(part.url);
      expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;host");
      expect(url.search).not.toMatch(/checksum/i);
    } finally {
      process.env = saved;
    }
  });

  it("presigns only the parts asked for, and refuses part numbers beyond the plan", async () => {
    const { mediaId } = await start();
    const some = body(await routes.uploadParts(apiEvent("POST /uploads/{mediaId}/parts", { mediaId, body: { partNumbers: [3, 1, 3] } })));
    expect(some.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 3]);
    const bad = await routes.uploadParts(apiEvent("POST /uploads/{mediaId}/parts", { mediaId, body: { partNumbers: [17] } }));
    expect(bad.statusCode).toBe(400);
    expect(body(bad).error.issues[0].field).toBe("partNumbers");
  });

  it("completes with every part's ETag in ascending order", async () => {
    const { mediaId, key } = await start();
    s3.on(CompleteMultipartUploadCommand).resolves({ Key: key });
    const parts = Array.from({ length: 16 }, (_, i) => ({ partNumber: 16 - i, etag: `"etag-${16 - i}"` }));
    const res = await routes.completeUpload(apiEvent("POST /uploads/{mediaId}/complete", { mediaId, body: { parts } }));
    expect(res.statusCode).toBe(200);
    expect(body(res)).toEqual({ mediaId, key, status: "uploaded" });
    const input = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ Bucket: "media-bucket", Key: key, UploadId: "upload-1" });
    expect(input.MultipartUpload!.Parts).toEqual(Array.from({ length: 16 }, (_, i) => ({ PartNumber: i + 1, ETag: `"etag-${i + 1}"` })));
    expect(items.get(`media#${mediaId}|upload`)).toMatchObject({ status: "uploaded" });

    // Completed: the multipart routes now answer 409.
    const again = await routes.completeUpload(apiEvent("POST /uploads/{mediaId}/complete", { mediaId, body: { parts } }));
    expect(again.statusCode).toBe(409);
  });

  it("refuses a completion with missing, duplicate or out-of-range parts, naming them", async () => {
    const { mediaId } = await start();
    const parts = [{ partNumber: 1, etag: "a" }, { partNumber: 1, etag: "b" }, { partNumber: 99, etag: "c" }];
    const res = await routes.completeUpload(apiEvent("POST /uploads/{mediaId}/complete", { mediaId, body: { parts } }));
    expect(res.statusCode).toBe(400);
    expect(body(res).error.issues.map((i: { field: string }) => i.field)).toEqual(["parts[1].partNumber", "parts[2].partNumber", "parts"]);
    const noEtag = await routes.completeUpload(apiEvent("POST /uploads/{mediaId}/complete", { mediaId, body: { parts: [{ partNumber: 1 }] } }));
    expect(body(noEtag).error.issues[0].field).toBe("parts[0].etag");
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it("turns S3's InvalidPart into a 400", async () => {
    const { mediaId } = await start();
    s3.on(CompleteMultipartUploadCommand).rejects(Object.assign(new Error("One or more of the specified parts could not be found."), { name: "InvalidPart" }));
    const parts = Array.from({ length: 16 }, (_, i) => ({ partNumber: i + 1, etag: "x" }));
    const res = await routes.completeUpload(apiEvent("POST /uploads/{mediaId}/complete", { mediaId, body: { parts } }));
    expect(res.statusCode).toBe(400);
    expect(body(res)).toMatchObject({ error: { code: "invalid_parts" } });
  });

  it("aborts: S3 discards the parts, the upload is marked aborted, later calls answer 409", async () => {
    const { mediaId, key } = await start();
    s3.on(AbortMultipartUploadCommand).resolves({});
    const res = await routes.abortUpload(apiEvent("DELETE /uploads/{mediaId}", { mediaId }));
    expect(res).toEqual({ statusCode: 204 });
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: "media-bucket", Key: key, UploadId: "upload-1" });
    expect(items.get(`media#${mediaId}|upload`)).toMatchObject({ status: "aborted" });
    const parts = await routes.uploadParts(apiEvent("POST /uploads/{mediaId}/parts", { mediaId }));
    expect(parts.statusCode).toBe(409);
    expect(body(parts).error.code).toBe("upload_aborted");
  });

  it("answers 404 for an unknown upload, 400 for a malformed mediaId, 409 for a presigned-POST upload", async () => {
    const unknown = newMediaId();
    for (const [handler, routeKey] of [[routes.uploadParts, "POST /uploads/{mediaId}/parts"], [routes.abortUpload, "DELETE /uploads/{mediaId}"]] as const) {
      expect((await handler(apiEvent(routeKey, { mediaId: unknown }))).statusCode).toBe(404);
      const bad = await handler(apiEvent(routeKey, { mediaId: "NOT-AN-ID" }));
      expect(bad.statusCode).toBe(400);
      expect(body(bad).error.issues[0].field).toBe("mediaId");
    }
    const { mediaId } = body(await routes.createUpload(apiEvent("POST /uploads", { body: request })));
    const res = await routes.uploadParts(apiEvent("POST /uploads/{mediaId}/parts", { mediaId }));
    expect(res.statusCode).toBe(409);
    expect(body(res).error.code).toBe("not_multipart");
  });
});

describe("upload plan and ids", () => {
  it("grows the part size to stay within 10,000 parts", () => {
    expect(planParts(100 * MiB, 16 * MiB)).toEqual({ partSize: 16 * MiB, partCount: 7 });
    const big = planParts(5 * 1024 ** 4, 16 * MiB);
    expect(big.partCount).toBeLessThanOrEqual(10_000);
    expect(big.partSize % MiB).toBe(0);
  });

  it("makes lower-case ULIDs that sort by time", () => {
    const a = newMediaId(Date.parse("2026-11-20T10:00:00Z"), () => new Uint8Array(16).fill(255));
    const b = newMediaId(Date.parse("2026-11-20T10:00:01Z"), () => new Uint8Array(16));
    expect(MediaId.safeParse(a).success && MediaId.safeParse(b).success).toBe(true);
    expect(a < b).toBe(true);
    expect(a.slice(10)).toBe("z".repeat(16));
  });

  it("fails at cold start on a missing or malformed setting, listing each", () => {
    expect(() => createCloudApi({ MEDIA_BUCKET: "b" })).toThrow(/STATE_TABLE/);
    expect(() => createCloudApi({ ...env, UPLOAD_PART_SIZE: "1", MAX_BYTES: "x" })).toThrow(/MAX_BYTES.*UPLOAD_PART_SIZE/);
  });
});
