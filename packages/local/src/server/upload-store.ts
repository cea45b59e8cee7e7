import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { LocalRuntime } from "../runtime/runtime.js";
import { HttpError } from "./router.js";

/** An upload the server has handed out URLs for; `receiving`/`completing` are claims that stop a second writer. */
export interface UploadRow {
  media_id: string;
  upload_id: string;
  key: string;
  filename: string;
  content_type: string;
  size: number;
  part_size: number | null;
  part_count: number | null;
  status: "pending" | "receiving" | "completing" | "completed" | "aborted";
  created_at: number;
}

export interface PartRow { part_number: number; etag: string; size: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS server_uploads (
  media_id TEXT PRIMARY KEY,
  upload_id TEXT NOT NULL UNIQUE,
  key TEXT NOT NULL UNIQUE,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  part_size INTEGER,
  part_count INTEGER,
  status TEXT NOT NULL CHECK (status IN ('pending','receiving','completing','completed','aborted')),
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS server_upload_parts (
  media_id TEXT NOT NULL REFERENCES server_uploads(media_id),
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (media_id, part_number)
);
`;

/**
 * Upload sessions in the runtime's database (so a restart keeps them) and their bytes under
 * `<dataDir>/uploads/<mediaId>/`: the same file system as the object store, so finishing an upload is
 * a rename, and the object appears complete or not at all.
 */
export class UploadStore {
  constructor(private readonly runtime: LocalRuntime) {
    runtime.db.exec(SCHEMA);
    // Claims left by a process that died mid-upload would block the upload forever.
    runtime.db.prepare("UPDATE server_uploads SET status = 'pending' WHERE status IN ('receiving', 'completing')").run();
  }

  dirOf(mediaId: string): string {
    return path.join(this.runtime.config.dataDir, "uploads", mediaId);
  }

  create(row: Omit<UploadRow, "upload_id" | "status" | "created_at">): UploadRow {
    const full: UploadRow = { ...row, upload_id: randomBytes(16).toString("hex"), status: "pending", created_at: Date.now() };
    this.runtime.db.prepare(
      `INSERT INTO server_uploads (media_id, upload_id, key, filename, content_type, size, part_size, part_count, status, created_at)
       VALUES (@media_id, @upload_id, @key, @filename, @content_type, @size, @part_size, @part_count, @status, @created_at)`,
    ).run(full);
    return full;
  }

  get(mediaId: string): UploadRow | undefined {
    return this.runtime.db.prepare("SELECT * FROM server_uploads WHERE media_id = ?").get(mediaId) as UploadRow | undefined;
  }

  byKey(key: string): UploadRow | undefined {
    return this.runtime.db.prepare("SELECT * FROM server_uploads WHERE key = ?").get(key) as UploadRow | undefined;
  }

  /** Moves `from` → `to` only if the row is still in `from`: the loser of a race learns it here. */
  transition(mediaId: string, from: UploadRow["status"][], to: UploadRow["status"]): boolean {
    const marks = from.map(() => "?").join(", ");
    return this.runtime.db.prepare(`UPDATE server_uploads SET status = ? WHERE media_id = ? AND status IN (${marks})`).run(to, mediaId, ...from).changes === 1;
  }

  parts(mediaId: string): PartRow[] {
    return this.runtime.db.prepare("SELECT part_number, etag, size FROM server_upload_parts WHERE media_id = ? ORDER BY part_number").all(mediaId) as PartRow[];
  }

  putPart(mediaId: string, part: PartRow): void {
    this.runtime.db.prepare(
      "INSERT INTO server_upload_parts (media_id, part_number, etag, size) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET etag = excluded.etag, size = excluded.size",
    ).run(mediaId, part.part_number, part.etag, part.size);
  }

  async discard(mediaId: string): Promise<void> {
    this.runtime.db.prepare("DELETE FROM server_upload_parts WHERE media_id = ?").run(mediaId);
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
    const { db, bus, config } = this.runtime;
    db.transaction(() => {
      db.prepare("INSERT OR IGNORE INTO media (media_id, filename, source_key, created_at) VALUES (?, ?, ?, ?)").run(row.media_id, row.filename, row.key, Date.now());
      db.prepare("UPDATE server_uploads SET status = 'completed' WHERE media_id = ?").run(row.media_id);
    })();
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
