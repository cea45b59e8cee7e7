import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { uploadKey } from "@media-pipeline/core";
import { z } from "zod";
import { HttpError, invalid, notFound } from "./http.js";
import { ALLOWED_CONTENT_TYPES, MULTIPART_ABANDON_DAYS, planParts, S3_MULTIPART, tooLargeMessage, type UploadSettings } from "./settings.js";
import type { UploadRecord, UploadRecords } from "./upload-records.js";

/** `POST /uploads` body. The content type is compared without parameters and case (`Video/MP4; x=1` → `video/mp4`). */
export const UploadRequest = z.object({
  filename: z.string().trim().min(1, "is required").max(255, "must be at most 255 characters"),
  contentType: z
    .string()
    .transform((t) => t.split(";")[0]!.trim().toLowerCase())
    .refine((t) => (ALLOWED_CONTENT_TYPES as readonly string[]).includes(t), `must be one of ${ALLOWED_CONTENT_TYPES.join(", ")}`),
  size: z.number().int("must be a whole number of bytes").positive("must be at least 1 byte"),
});
export type UploadRequest = z.infer<typeof UploadRequest>;

/** `POST /uploads/{mediaId}/parts` body: which parts to presign (default: every part). */
export const PartsRequest = z.object({
  partNumbers: z.array(z.number().int().min(1)).min(1).max(S3_MULTIPART.maxParts).optional(),
});

/** `POST /uploads/{mediaId}/complete` body: every part's number and the ETag S3 answered its PUT with. */
export const CompleteRequest = z.object({
  parts: z.array(z.object({ partNumber: z.number().int().min(1), etag: z.string().min(1, "is required") })).min(1, "is required"),
});

/** How to send the bytes. `post`: a form POST of `fields` then the file; `multipart`: see `multipart`. */
export type UploadInstructions =
  | { mode: "post"; url: string; method: "POST"; fields: Record<string, string>; expiresAt: string }
  | {
      mode: "multipart";
      /** Where to get presigned part URLs (`POST`, body `{ partNumbers? }`). */
      url: string;
      method: "POST";
      /** When S3 aborts the upload if it is not completed (the bucket's lifecycle rule). */
      expiresAt: string;
      multipart: { partSize: number; partCount: number; complete: string; abort: string };
    };

export interface UploadResponse {
  mediaId: string;
  key: string;
  upload: UploadInstructions;
}

export interface PartUrl {
  partNumber: number;
  url: string;
  method: "PUT";
  /** Byte range of the file this part carries: `[offset, offset + size)`. */
  offset: number;
  size: number;
}

export interface UploadApiDeps {
  s3: S3Client;
  records: UploadRecords;
  bucket: string;
  settings: UploadSettings;
  now?: () => number;
  newId: () => string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The upload routes. `base` is the API's URL as the caller reached it, for the follow-up links.
 * @example const api = createUploadApi({ s3, records, bucket, settings, newId: () => newMediaId() })
 */
export function createUploadApi(deps: UploadApiDeps) {
  const { s3, records, bucket, settings, now = () => Date.now() } = deps;

  async function active(mediaId: string): Promise<UploadRecord & { uploadId: string; partSize: number; partCount: number }> {
    const record = await records.get(mediaId);
    if (!record) throw notFound(mediaId, "upload");
    if (record.mode !== "multipart" || !record.uploadId || !record.partSize || !record.partCount) {
      throw new HttpError(409, "not_multipart", `Upload ${mediaId} is a single presigned POST, not a multipart upload`);
    }
    if (record.status !== "uploading") throw new HttpError(409, `upload_${record.status}`, `Upload ${mediaId} is already ${record.status}`);
    return record as UploadRecord & { uploadId: string; partSize: number; partCount: number };
  }

  return {
    /** `POST /uploads` → 201. */
    async create(request: UploadRequest, base: string): Promise<UploadResponse> {
      // Both modes: a multipart upload's parts are presigned for exactly their planned lengths (see
      // parts()), so the object S3 assembles is the declared size, at most the cap.
      if (request.size > settings.maxBytes) throw invalid([{ field: "size", message: tooLargeMessage(settings.maxBytes) }]);
      const mediaId = deps.newId();
      const key = uploadKey(mediaId, request.filename);
      const record: UploadRecord = {
        mediaId, key, filename: request.filename, contentType: request.contentType, size: request.size,
        mode: request.size > settings.multipartThreshold ? "multipart" : "post",
        status: "requested", createdAt: iso(now()),
      };

      if (record.mode === "post") {
        // The policy pins the exact key (`{ key }`), the content type (`Content-Type` field + eq
        // condition) and the length to the declared size, which is at most the cap: the URL can store
        // this one file, nothing else.
        // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
        const expiresAt = now() + settings.urlExpiresSeconds * 1000;
        const post = await createPresignedPost(s3, {
          Bucket: bucket,
          Key: key,
          Fields: { "Content-Type": record.contentType },
          Conditions: [["eq", "$Content-Type", record.contentType], ["content-length-range", request.size, request.size]],
          Expires: settings.urlExpiresSeconds,
        });
        await records.create(record);
        return { mediaId, key, upload: { mode: "post", url: post.url, method: "POST", fields: post.fields, expiresAt: iso(expiresAt) } };
      }

      // Multipart: S3 records the content type now; each part URL is presigned on request, by number.
      const { partSize, partCount } = planParts(request.size, settings.partSize);
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: record.contentType }));
      if (!created.UploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
      await records.create({ ...record, status: "uploading", uploadId: created.UploadId, partSize, partCount });
      const self = `${base}/uploads/${mediaId}`;
      return {
        mediaId,
        key,
        upload: {
          mode: "multipart",
          url: `${self}/parts`,
          method: "POST",
          expiresAt: iso(now() + MULTIPART_ABANDON_DAYS * 86_400_000),
          multipart: { partSize, partCount, complete: `${self}/complete`, abort: self },
        },
      };
    },

    /** `POST /uploads/{mediaId}/parts` → 200 with one presigned `UploadPart` URL per requested part. */
    async parts(mediaId: string, body: z.infer<typeof PartsRequest>): Promise<{ mediaId: string; parts: PartUrl[]; expiresAt: string }> {
      const record = await active(mediaId);
      const numbers = [...new Set(body.partNumbers ?? Array.from({ length: record.partCount }, (_, i) => i + 1))].sort((a, b) => a - b);
      const outOfRange = numbers.filter((n) => n > record.partCount);
      if (outOfRange.length) throw invalid([{ field: "partNumbers", message: `must be from 1 to ${record.partCount}; got ${outOfRange.join(", ")}` }]);
      const expiresAt = now() + settings.urlExpiresSeconds * 1000;
      const parts = await Promise.all(
        numbers.map(async (partNumber) => {
          const offset = (partNumber - 1) * record.partSize;
          const size = Math.min(record.partSize, record.size - offset);
          // Content-Length is a signed header of the URL: S3 refuses a part of any other length, so
          // the parts add up to the declared size and no upload passes the cap.
          const url = await getSignedUrl(
            s3,
            new UploadPartCommand({ Bucket: bucket, Key: record.key, UploadId: record.uploadId, PartNumber: partNumber, ContentLength: size }),
            { expiresIn: settings.urlExpiresSeconds },
          );
          return { partNumber, url, method: "PUT" as const, offset, size };
        }),
      );
      return { mediaId, parts, expiresAt: iso(expiresAt) };
    },

    /** `POST /uploads/{mediaId}/complete` → 200 once S3 has assembled the object (and emitted Object Created). */
    async complete(mediaId: string, body: z.infer<typeof CompleteRequest>): Promise<{ mediaId: string; key: string; status: "uploaded" }> {
      const record = await active(mediaId);
      const issues: Array<{ field: string; message: string }> = [];
      const seen = new Set<number>();
      body.parts.forEach((p, i) => {
        if (p.partNumber > record.partCount) issues.push({ field: `parts[${i}].partNumber`, message: `must be at most ${record.partCount}` });
        if (seen.has(p.partNumber)) issues.push({ field: `parts[${i}].partNumber`, message: `${p.partNumber} is listed twice` });
        seen.add(p.partNumber);
      });
      const missing = Array.from({ length: record.partCount }, (_, i) => i + 1).filter((n) => !seen.has(n));
      if (missing.length) issues.push({ field: "parts", message: `missing part${missing.length > 1 ? "s" : ""} ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", …" : ""}` });
      if (issues.length) throw invalid(issues);

      // S3 requires ascending part numbers.
      const parts = [...body.parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
      try {
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: record.key, UploadId: record.uploadId, MultipartUpload: { Parts: parts } }));
      } catch (error) {
        throw s3ClientError(error, mediaId) ?? error;
      }
      await records.setStatus(mediaId, "uploaded");
      return { mediaId, key: record.key, status: "uploaded" };
    },

    /** `DELETE /uploads/{mediaId}` → 204: S3 discards the parts stored so far. */
    async abort(mediaId: string): Promise<void> {
      const record = await active(mediaId);
      try {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: record.key, UploadId: record.uploadId }));
      } catch (error) {
        // Gone already (the lifecycle rule aborted it): the outcome the caller asked for.
        if ((error as { name?: string }).name !== "NoSuchUpload") throw error;
      }
      await records.setStatus(mediaId, "aborted");
    },
  };
}

export type UploadApi = ReturnType<typeof createUploadApi>;

/** S3's answers to a bad completion that are the caller's to fix (a wrong ETag, a too-small part). */
function s3ClientError(error: unknown, mediaId: string): HttpError | undefined {
  const name = (error as { name?: string }).name ?? "";
  const message = (error as { message?: string }).message ?? name;
  if (["InvalidPart", "InvalidPartOrder", "EntityTooSmall"].includes(name)) {
    return new HttpError(400, "invalid_parts", `S3 refused the parts of ${mediaId}: ${name}: ${message}`, [{ field: "parts", message: `${name}: ${message}` }], { cause: error });
  }
  if (name === "NoSuchUpload") return new HttpError(409, "upload_gone", `The multipart upload of ${mediaId} no longer exists (aborted or expired)`, [], { cause: error });
  return undefined;
}
