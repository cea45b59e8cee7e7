import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { NonRetryableError, RetryableError, type BlobStore, type ObjectRef, type TextFileStore } from "@media-pipeline/core";
import { isTransientAwsError } from "./aws-errors.js";

/** S3 refused or failed a request in a way that retrying will not fix (access denied, bad JSON…). */
export class BlobStoreError extends NonRetryableError {
  readonly ref: ObjectRef;
  constructor(message: string, ref: ObjectRef, options: { cause?: unknown } = {}) {
    super(message, options);
    this.ref = ref;
  }
}

/** `getJson` on a key that does not exist. S3 is strongly consistent, so a retry would not find it. */
export class BlobNotFoundError extends BlobStoreError {}

/** The longest a SigV4 presigned URL may live (7 days). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * The `BlobStore` port on S3: result documents as JSON objects.
 *
 * `size` answers `undefined` only for a 404. S3 answers a HEAD on a missing key with 403 instead when
 * the caller lacks `s3:ListBucket` on the bucket, so the function's role needs it, or a missing
 * object surfaces as a `BlobStoreError`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 *
 * @example
 * const blobs = createS3BlobStore(new S3Client({}));
 * await blobs.putJson({ bucket, key: "derived/01jd…/shots.json" }, doc);
 */
export function createS3BlobStore(client: S3Client): BlobStore & TextFileStore {
  const getText = async (ref: ObjectRef): Promise<string> => {
    try {
      const output = await client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      if (!output.Body) throw new BlobStoreError(`GetObject returned no body for ${describe(ref)}`, ref);
      return await output.Body.transformToString("utf-8");
    } catch (error) {
      if (error instanceof BlobStoreError) throw error;
      if (isNotFound(error)) throw new BlobNotFoundError(`No object at ${describe(ref)}`, ref, { cause: error });
      throw toBlobError(error, "GetObject", ref);
    }
  };
  return {
    getText,

    async putText(ref, body, contentType) {
      try {
        await client.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: contentType }));
      } catch (error) {
        throw toBlobError(error, "PutObject", ref);
      }
    },

    async putJson(ref, value) {
      const body = JSON.stringify(value);
      if (body === undefined) throw new BlobStoreError(`Refusing to store ${describe(ref)}: the value is not JSON`, ref);
      try {
        await client.send(
          new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: "application/json" }),
        );
      } catch (error) {
        throw toBlobError(error, "PutObject", ref);
      }
    },

    async getJson<T = unknown>(ref: ObjectRef): Promise<T> {
      const text = await getText(ref);
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new BlobStoreError(`${describe(ref)} is not valid JSON`, ref, { cause });
      }
    },

    async size(ref) {
      try {
        const output = await client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
        return output.ContentLength ?? 0;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw toBlobError(error, "HeadObject", ref);
      }
    },
  };
}

/**
 * A presigned GET URL, so ffmpeg (and A2I's task UI) read media over HTTP ranges instead of the
 * function loading a multi-gigabyte object into memory.
 *
 * The URL stops working when the signing credentials expire even if `seconds` has not passed: in a
 * Lambda that is the role session's expiry, so ask for no more than the work needs.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
 *
 * @example const url = await presignedGetUrl(s3, probe.source, 15 * 60); // ffmpeg -i "$url" …
 */
export async function presignedGetUrl(client: S3Client, ref: ObjectRef, seconds: number): Promise<string> {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new BlobStoreError(`Presigned URL lifetime must be 1–${MAX_PRESIGN_SECONDS} whole seconds, got ${seconds}`, ref);
  }
  return getSignedUrl(client, new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }), { expiresIn: seconds });
}

const describe = (ref: ObjectRef) => `s3://${ref.bucket}/${ref.key}`;

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

function toBlobError(error: unknown, operation: string, ref: ObjectRef): Error {
  const e = error as { name?: string; message?: string } | undefined;
  const what = `${operation} ${describe(ref)} failed: ${e?.name ?? "Error"}${e?.message ? ` ${e.message}` : ""}`;
  return isTransientAwsError(error) ? new RetryableError(what, { cause: error }) : new BlobStoreError(what, ref, { cause: error });
}
