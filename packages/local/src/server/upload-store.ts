import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { LocalRuntime } from "../runtime/runtime.js";
import type { PartRow, UploadRow } from "../store/index.js";
import { HttpError } from "./router.js";

/**
 * Upload sessions in the runtime's database (so a restart keeps them) and their bytes under
 * `<dataDir>/uploads/<mediaId>/`: the same file system as the object store, so finishing an upload is
 * a rename, and the object appears complete or not at all.
 */
export class UploadStore {
  constructor(private readonly runtime: LocalRuntime) {
    // Claims left by a process that died mid-upload would block the upload forever.
    runtime.store.uploads.releaseClaims();
  }

  dirOf(mediaId: string): string {
    return path.join(this.runtime.config.dataDir, "uploads", mediaId);
  }

  create(row: Omit<UploadRow, "upload_id" | "status" | "created_at">): UploadRow {
    const full: UploadRow = { ...row, upload_id: randomBytes(16).toString("hex"), status: "pending", created_at: Date.now() };
    this.runtime.store.uploads.create(full);
    return full;
  }

  get(mediaId: string): UploadRow | undefined {
    return this.runtime.store.uploads.get(mediaId);
  }

  byKey(key: string): UploadRow | undefined {
    return this.runtime.store.uploads.byKey(key);
  }

  /** Moves `from` → `to` only if the row is still in `from`: the loser of a race learns it here. */
  transition(mediaId: string, from: UploadRow["status"][], to: UploadRow["status"]): boolean {
    return this.runtime.store.uploads.transition(mediaId, from, to);
  }

  parts(mediaId: string): PartRow[] {
    return this.runtime.store.uploads.parts(mediaId);
  }

  putPart(mediaId: string, part: PartRow): void {
    this.runtime.store.uploads.putPart(mediaId, part);
  }

  async discard(mediaId: string): Promise<void> {
    this.runtime.store.uploads.deleteParts(mediaId);
    await rm(this.dirOf(mediaId), { recursive: true, force: true });
  }

  /**
   * Streams a request body to a temp file under the upload's directory, never holding it in memory,
   * and stops at `maxBytes` with a 413 (the temp file is removed). Returns the temp file, size and an
   * MD5 ETag, as S3 gives for a PUT.
   */
  async receive(req: IncomingMessage, mediaId: string, maxBytes: number): Promise<{ file: string; size: number; etag: string }> {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const dir = this.dirOf(mediaId);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `tmp-${randomBytes(8).toString("hex")}`);
    const md5 = createHash("md5");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(tooLarge(maxBytes));
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await intoFile(req, meter, file);
    } catch (error) {
      await rm(file, { force: true });
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, "upload_interrupted", "The upload body ended early", { connection: "close" });
    }
    return { file, size, etag: `"${md5.digest("hex")}"` };
  }

  /** Puts a finished file at its key by rename: readers see the whole object or none. */
  async place(file: string, key: string): Promise<number> {
    const dest = this.runtime.objects.pathOf({ bucket: this.runtime.config.bucket, key });
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(file, dest);
    return (await stat(dest)).size;
  }

  /** Concatenates the parts, in order, into one temp file (streamed). */
  async assemble(mediaId: string, parts: PartRow[]): Promise<string> {
    const out = path.join(this.dirOf(mediaId), `assembled-${randomBytes(8).toString("hex")}`);
    const files = parts.map((p) => this.partFile(mediaId, p.part_number));
    // One pipeline over the parts in order: re-piping into one stream per part piles listeners on it.
    async function* concatenated() {
      for (const file of files) yield* createReadStream(file);
    }
    try {
      await pipeline(concatenated, createWriteStream(out, { flags: "wx" }));
    } catch (error) {
      await rm(out, { force: true });
      throw error;
    }
    return out;
  }

  partFile(mediaId: string, partNumber: number): string {
    return path.join(this.dirOf(mediaId), `part-${String(partNumber).padStart(5, "0")}`);
  }

  /** The upload is in the object store: record the media item and start the pipeline as an S3 event would. */
  async received(row: UploadRow, sizeBytes: number): Promise<void> {
    const { store, bus, config } = this.runtime;
    store.atomically(() => {
      store.media.insertIfAbsent(row.media_id, row.filename, row.key);
      store.uploads.markCompleted(row.media_id);
    });
    await bus.publish(
      "Media Received",
      {
        version: 1, mediaId: row.media_id, correlationId: row.media_id, source: { bucket: config.bucket, key: row.key },
        filename: row.filename, sizeBytes, contentType: row.content_type,
      },
      { dedupeKey: `upload:${row.media_id}` },
    );
  }
}

/**
 * req → meter → file, without `pipeline`: pipeline would destroy the request (and its socket) on a
 * 413, and the client would see a reset instead of the answer. The router answers, then drops the rest.
 */
function intoFile(req: IncomingMessage, meter: Transform, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = createWriteStream(file, { flags: "wx" });
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(meter);
      meter.destroy();
      sink.destroy();
      sink.once("close", () => reject(error));
    };
    req.once("aborted", () => fail(new Error("aborted")));
    req.once("error", fail);
    meter.once("error", fail);
    sink.once("error", fail);
    sink.once("finish", () => {
      if (!failed) resolve();
    });
    req.pipe(meter).pipe(sink);
  });
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "too_large", `The body is larger than the ${maxBytes} bytes this URL allows`, { connection: "close" });
}
