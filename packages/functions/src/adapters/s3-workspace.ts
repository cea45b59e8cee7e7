import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { NonRetryableError, RetryableError, type ObjectRef } from "@media-pipeline/core";
import { isTransientAwsError } from "./aws-errors.js";

/** A key that would name a file outside the workspace. */
export class UnsafeWorkspaceKeyError extends NonRetryableError {}

/** S3 could not be read or written for a passing reason (throttling, a 5xx, the network); worth another attempt. */
export class WorkspaceTransferError extends RetryableError {}

/** S3 refused a transfer (access denied, no such key, a bad request): another attempt would get the same answer. */
export class WorkspaceRefusedError extends NonRetryableError {}

/** Retryable or not as the one AWS error classifier says (aws-errors.ts). */
function transferError(cause: unknown, what: string): Error {
  const message = `${what}: ${(cause as Error).message}`;
  return isTransientAwsError(cause) ? new WorkspaceTransferError(message, { cause }) : new WorkspaceRefusedError(message, { cause });
}

/**
 * The ffmpeg stages work on files. In Lambda, a workspace under /tmp mirrors the S3 keys they touch:
 * `fetch` streams an object to disk (never whole into memory, so a file larger than the function's
 * memory works as long as the function's ephemeral storage holds it), the ffmpeg modules read and
 * write through `pathOf`, and `push` streams their outputs back under the same keys.
 * @example const ws = createS3Workspace({ s3 }); await ws.fetch(source); … await ws.pushTree(prefixRef)
 */
export function createS3Workspace(options: { s3: S3Client; root?: string }) {
  const root = path.resolve(options.root ?? "/tmp/media-pipeline");

  const pathOf = (ref: ObjectRef): string => {
    const segments = ref.key.split("/");
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(ref.bucket) || segments.some((s) => s === "" || s === "." || s === "..") || ref.key.includes("\0")) {
      throw new UnsafeWorkspaceKeyError(`Unsafe object reference ${JSON.stringify(ref)}`);
    }
    return path.join(root, ref.bucket, ...segments);
  };

  async function fetch(ref: ObjectRef): Promise<string> {
    const file = pathOf(ref);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      const res = await options.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      await pipeline(res.Body as Readable, createWriteStream(file));
    } catch (cause) {
      throw transferError(cause, `Could not read s3://${ref.bucket}/${ref.key}`);
    }
    return file;
  }

  async function push(ref: ObjectRef, contentType?: string): Promise<void> {
    const file = pathOf(ref);
    const { size } = await stat(file);
    try {
      await options.s3.send(new PutObjectCommand({
        Bucket: ref.bucket, Key: ref.key, Body: createReadStream(file), ContentLength: size,
        ...(contentType ? { ContentType: contentType } : {}),
      }));
    } catch (cause) {
      throw transferError(cause, `Could not write s3://${ref.bucket}/${ref.key}`);
    }
  }

  /** Pushes every file under a key prefix (e.g. the keyframes a shot pass wrote). */
  async function pushTree(prefix: ObjectRef): Promise<ObjectRef[]> {
    const dir = pathOf(prefix);
    const pushed: ObjectRef[] = [];
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const rel = path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
      const ref = { bucket: prefix.bucket, key: `${prefix.key}/${rel}` };
      await push(ref, rel.endsWith(".jpg") ? "image/jpeg" : rel.endsWith(".json") ? "application/json" : undefined);
      pushed.push(ref);
    }
    return pushed;
  }

  /** Frees /tmp between invocations: a warm Lambda keeps its /tmp. */
  async function clear(): Promise<void> {
    await rm(root, { recursive: true, force: true });
  }

  return { root, pathOf, fetch, push, pushTree, clear };
}

export type S3Workspace = ReturnType<typeof createS3Workspace>;
