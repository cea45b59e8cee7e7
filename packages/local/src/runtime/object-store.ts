import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { NonRetryableError, type BlobStore, type ObjectRef, type TextFileStore } from "@media-pipeline/core";

/** A key or bucket that would escape the data directory or name nothing sensible. */
export class UnsafeKeyError extends NonRetryableError {}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,62}$/;

/**
 * S3-like objects as files under `<dataDir>/objects/<bucket>/<key>`. Keys are checked segment by
 * segment, never normalised into something else, so `a/../b` is refused rather than silently
 * mapped: no key can name a file outside its bucket.
 */
export class LocalObjectStore implements BlobStore, TextFileStore {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, "objects");
  }

  pathOf = (ref: ObjectRef): string => {
    if (!BUCKET.test(ref.bucket)) throw new UnsafeKeyError(`Invalid bucket name "${ref.bucket}"`);
    const segments = ref.key.split("/");
    if (
      ref.key.length === 0 || ref.key.length > 1024 || ref.key.includes("\0") || ref.key.includes("\\") ||
      segments.some((s) => s === "" || s === "." || s === "..")
    ) {
      throw new UnsafeKeyError(`Unsafe object key ${JSON.stringify(ref.key)}`);
    }
    const full = path.join(this.root, ref.bucket, ...segments);
    if (!full.startsWith(path.join(this.root, ref.bucket) + path.sep)) throw new UnsafeKeyError(`Object key escapes its bucket: ${JSON.stringify(ref.key)}`);
    return full;
  };

  async putJson(ref: ObjectRef, value: unknown): Promise<void> {
    await this.writeAtomic(this.pathOf(ref), JSON.stringify(value, null, 1));
  }

  async getJson<T = unknown>(ref: ObjectRef): Promise<T> {
    return JSON.parse(await readFile(this.pathOf(ref), "utf8")) as T;
  }

  /** The content type is S3's business; a file is a file. */
  async putText(ref: ObjectRef, body: string, _contentType: string): Promise<void> {
    await this.writeAtomic(this.pathOf(ref), body);
  }

  async getText(ref: ObjectRef): Promise<string> {
    return readFile(this.pathOf(ref), "utf8");
  }

  async size(ref: ObjectRef): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(ref))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Streams a file in (never whole into memory); the object appears complete or not at all. */
  async putFile(ref: ObjectRef, file: string): Promise<number> {
    const dest = this.pathOf(ref);
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}`;
    await pipeline(createReadStream(file), createWriteStream(tmp));
    await rename(tmp, dest);
    return (await stat(dest)).size;
  }

  private async writeAtomic(dest: string, text: string): Promise<void> {
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}`;
    await writeFile(tmp, text);
    await rename(tmp, dest);
  }
}
