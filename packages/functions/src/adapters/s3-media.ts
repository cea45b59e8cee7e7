import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand,
  UploadPartCommand, type S3Client,
} from "@aws-sdk/client-s3";
import { RetryableError, type ObjectRef } from "@media-pipeline/core";
import type { ByteSource, RemoteInput } from "@media-pipeline/media";
import { isTransientAwsError } from "./aws-errors.js";
import { BlobStoreError, presignedGetUrl } from "./s3-blob-store.js";

/*
 * Media read where it is stored: ffmpeg and ffprobe take a presigned GET URL and read it with HTTP
 * range requests (the header, the index, the bytes they decode), so no function copies the upload to
 * /tmp first. And a large file written to /tmp goes back to S3 in parts.
 */

/**
 * How long the presigned URLs ffmpeg reads live: longer than any function runs (15 minutes). The
 * role session's credentials may end them sooner; a read that then fails is retried by the stage.
 */
export const MEDIA_URL_SECONDS = 3600;

/** A presigned GET of `ref` for ffmpeg. */
export function mediaUrl(s3: S3Client, ref: ObjectRef): Promise<string> {
  return presignedGetUrl(s3, ref, MEDIA_URL_SECONDS);
}

/**
 * Byte ranges of an object (GetObject with `Range`), for the probe's container checks: a few 16-byte
 * box headers of an MP4, a tail of an Ogg file.
 */
export function s3ByteSource(s3: S3Client, ref: ObjectRef): ByteSource {
  return {
    async read(buffer, offset, length, position) {
      if (length <= 0) return { bytesRead: 0 };
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=${position}-${position + length - 1}` }));
        const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
        const n = Math.min(length, bytes.length);
        buffer.set(bytes.subarray(0, n), offset);
        return { bytesRead: n };
      } catch (error) {
        // Past the end S3 answers 416: nothing there, as a file read past its end returns 0 bytes.
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return { bytesRead: 0 };
        throw readError(error, ref);
      }
    },
  };
}

/** The probe's view of an object in S3: its URL, its size (a HEAD) and its byte ranges. */
export async function s3RemoteInput(s3: S3Client, ref: ObjectRef, size: (ref: ObjectRef) => Promise<number | undefined>): Promise<RemoteInput> {
  return { url: await mediaUrl(s3, ref), sizeBytes: await size(ref), bytes: s3ByteSource(s3, ref) };
}

/** PutObject takes up to 5 GB; above this a file goes in parts. */
const SINGLE_PUT_MAX_BYTES = 4 * 1024 ** 3;
/** 64 MiB parts: a 10 GB file in 150 of S3's 10,000, few enough requests, little memory. */
const PART_BYTES = 64 * 1024 ** 2;

/**
 * Uploads a file from /tmp: one PutObject, or a multipart upload above 4 GiB (a remuxed rendition of
 * a large upload), one part at a time from the file so memory stays flat. A failed multipart upload
 * is aborted so its parts are not kept (and billed).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
export async function putFile(s3: S3Client, file: string, ref: ObjectRef, contentType: string): Promise<number> {
  const { size } = await stat(file);
  if (size <= SINGLE_PUT_MAX_BYTES) {
    try {
      await s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: createReadStream(file), ContentLength: size, ContentType: contentType }));
    } catch (error) {
      throw writeError(error, ref);
    }
    return size;
  }
  let uploadId: string | undefined;
  try {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, ContentType: contentType }));
    uploadId = created.UploadId;
    const parts: Array<{ ETag?: string; PartNumber: number }> = [];
    for (let start = 0, n = 1; start < size; start += PART_BYTES, n += 1) {
      const end = Math.min(size, start + PART_BYTES);
      const part = await s3.send(new UploadPartCommand({
        Bucket: ref.bucket, Key: ref.key, UploadId: uploadId, PartNumber: n, ContentLength: end - start,
        Body: createReadStream(file, { start, end: end - 1 }),
      }));
      parts.push({ ETag: part.ETag, PartNumber: n });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return size;
  } catch (error) {
    if (uploadId) await s3.send(new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId: uploadId })).catch(() => undefined);
    throw writeError(error, ref);
  }
}

function readError(error: unknown, ref: ObjectRef): Error {
  const e = error as { name?: string; message?: string };
  const what = `Could not read s3://${ref.bucket}/${ref.key}: ${e?.name ?? "Error"} ${e?.message ?? ""}`.trim();
  return isTransientAwsError(error) ? new RetryableError(what, { cause: error }) : new BlobStoreError(what, ref, { cause: error });
}

function writeError(error: unknown, ref: ObjectRef): Error {
  const e = error as { name?: string; message?: string };
  const what = `Could not write s3://${ref.bucket}/${ref.key}: ${e?.name ?? "Error"} ${e?.message ?? ""}`.trim();
  return isTransientAwsError(error) ? new RetryableError(what, { cause: error }) : new BlobStoreError(what, ref, { cause: error });
}
