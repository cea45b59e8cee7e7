import { createHash } from "node:crypto";
import { createReadStream, openAsBlob } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/** Extension → media type; the same types the server allows (anything else is sent as is and refused there). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".qt": "video/quicktime", ".webm": "video/webm",
  ".mkv": "video/x-matroska", ".avi": "video/x-msvideo", ".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".ogv": "video/ogg",
  ".3gp": "video/3gpp", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav",
  ".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/opus", ".weba": "audio/webm",
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

export interface UploadCliOptions {
  server: string;
  token: string;
  contentType?: string;
  stateDir?: string;
  json?: boolean;
  quiet?: boolean;
  /** Parts sent at once (default 4). */
  concurrency?: number;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WriteStream | NodeJS.WritableStream;
}

type Instructions =
  | { mode: "put"; url: string; method: "PUT"; headers?: Record<string, string>; expiresAt: string }
  | { mode: "post"; url: string; method: "POST"; fields: Record<string, string>; expiresAt: string }
  | { mode: "multipart"; url: string; method: "POST"; expiresAt: string; multipart: { partSize: number; partCount: number; complete: string; abort: string } };

interface Created { mediaId: string; key: string; upload: Instructions }
interface PartUrl { partNumber: number; url: string; method: string; offset: number; size: number }

/** What survives an interruption: enough to ask for the missing parts' URLs and complete. Version 1. */
export interface UploadState {
  version: 1;
  server: string;
  file: string;
  size: number;
  mtimeMs: number;
  contentType: string;
  mediaId: string;
  key: string;
  mode: "multipart";
  partSize: number;
  partCount: number;
  partsUrl: string;
  completeUrl: string;
  abortUrl: string;
  /** Part number → the ETag its PUT answered with. */
  parts: Record<string, string>;
  createdAt: string;
}

/** The server said no (4xx on the API): exit 2 with its message. */
export class RefusedError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "RefusedError";
  }
}

/** A transient failure (network, 5xx, 408, 429): worth another try. */
class TransientError extends Error {
  override name = "TransientError";
}

const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

export function defaultStateDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "media-pipeline", "uploads");
}

/** One state file per (server, absolute path); size and mtime are checked inside, so a changed file starts over. */
export function stateFileFor(stateDir: string, server: string, absFile: string): string {
  return path.join(stateDir, `${createHash("sha256").update(`${server}\n${absFile}`).digest("hex").slice(0, 32)}.json`);
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; issues?: Array<{ field?: string; message?: string }> } };
    if (body.error?.message) {
      const issues = body.error.issues?.map((i) => `${i.field}: ${i.message}`).join("; ");
      return { code: body.error.code ?? `http_${res.status}`, message: issues && !body.error.message.includes(issues) ? `${body.error.message} (${issues})` : body.error.message };
    }
  } catch {
    // not JSON (S3 answers XML): the text is the message
  }
  return { code: `http_${res.status}`, message: text.trim().slice(0, 500) || res.statusText || `HTTP ${res.status}` };
}

const transientStatus = (s: number) => s >= 500 || s === 408 || s === 429;

/** Runs `fn` up to `attempts` times while it fails transiently, with exponential backoff. */
async function retrying<T>(attempts: number, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const transient = error instanceof TransientError || (error instanceof TypeError && /fetch failed/.test(error.message));
      if (!transient || attempt >= attempts) throw error;
      await sleep(250 * 2 ** (attempt - 1));
    }
  }
}

const fmtBytes = (n: number) => (n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : n < 1e9 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e9).toFixed(2)} GB`);
const fmtTime = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** Bytes sent so far: a bar on a terminal (as `analyze` draws it), a line per quarter otherwise, nothing when quiet. */
class Progress {
  private sent = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;
  private barShown = false;
  private lastQuarter = 0;
  private lastDraw = 0;

  constructor(private readonly total: number, private readonly err: NodeJS.WritableStream, private readonly quiet: boolean, startAt = 0) {
    this.tty = Boolean((err as NodeJS.WriteStream).isTTY);
    this.sent = startAt;
    this.lastQuarter = Math.floor((startAt / total) * 4);
  }

  line(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.err.write(`${fmtTime(Date.now() - this.started).padStart(8)}  ${text}\n`);
  }

  add(bytes: number): void {
    this.sent = Math.max(0, Math.min(this.total, this.sent + bytes));
    if (this.quiet) return;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && this.sent < this.total) return;
      this.lastDraw = now;
      const f = this.sent / this.total;
      const width = 24;
      const n = Math.round(f * width);
      const secs = (now - this.started) / 1000;
      const rate = secs > 0 ? `${fmtBytes(this.sent / secs)}/s` : "";
      const cols = Math.max(20, ((this.err as NodeJS.WriteStream).columns || 120) - 1);
      const text = `${fmtTime(now - this.started).padStart(8)}  upload [${"#".repeat(n)}${".".repeat(width - n)}] ${(f * 100).toFixed(0)}%  ${fmtBytes(this.sent)} / ${fmtBytes(this.total)}  ${rate}`;
      this.err.write(`\r\x1b[2K${text.slice(0, cols)}`);
      this.barShown = true;
    } else if (bytes > 0) {
      const quarter = Math.floor((this.sent / this.total) * 4);
      if (quarter > this.lastQuarter && quarter < 4) {
        this.lastQuarter = quarter;
        this.line(`uploaded ${quarter * 25}% (${fmtBytes(this.sent)} of ${fmtBytes(this.total)})`);
      }
    }
  }

  clear(): void {
    if (this.barShown) this.err.write("\r\x1b[2K");
    this.barShown = false;
  }
}

/** A byte range of the file as a stream that reports every chunk it hands over. */
function fileRange(file: string, start: number, size: number, onBytes: (n: number) => void) {
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  const source = createReadStream(file, { start, end: start + size - 1 });
  source.once("error", (e) => meter.destroy(e));
  return source.pipe(meter);
}

class Client {
  constructor(private readonly server: string, private readonly token: string) {}

  url(p: string): string {
    return `${this.server}${p}`;
  }

  /** A JSON API call: 4xx → RefusedError (with the server's message), 5xx/network → TransientError. */
  async call<T>(url: string, method: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new TransientError(`${method} ${url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    }
    if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T;
    const e = await errorOf(res);
    if (transientStatus(res.status)) throw new TransientError(`${method} ${new URL(url).pathname}: ${res.status} ${e.message}`);
    throw new RefusedError(res.status, e.code, e.message);
  }
}

/** PUTs a byte range of the file to a presigned URL, streamed from disk; returns the ETag. */
async function putRange(url: string, file: string, offset: number, size: number, headers: Record<string, string>, onBytes: (n: number) => void): Promise<string> {
  let sent = 0;
  const body = fileRange(file, offset, size, (n) => {
    sent += n;
    onBytes(n);
  });
  let res: Response;
  try {
    res = await fetch(url, {
      method: "PUT",
      headers: { ...headers, "content-length": String(size) },
      // A Node stream as the body: undici needs `duplex: "half"` (the request is sent while the response may start).
      body: body as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
  } catch (error) {
    onBytes(-sent);
    body.destroy();
    throw new TransientError(`PUT: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  if (!res.ok) {
    onBytes(-sent);
    const e = await errorOf(res);
    if (transientStatus(res.status)) throw new TransientError(`PUT: ${res.status} ${e.message}`);
    throw new RefusedError(res.status, e.code, e.message);
  }
  const etag = res.headers.get("etag") ?? ((await res.json().catch(() => ({}))) as { etag?: string }).etag;
  if (!etag) throw new Error("The part upload answered without an ETag");
  return etag;
}

async function readState(file: string): Promise<UploadState | undefined> {
  try {
    const s = JSON.parse(await readFile(file, "utf8")) as UploadState;
    return s.version === 1 && s.mode === "multipart" ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole to a temp file and renamed: a kill mid-write leaves the previous state, never half of one. */
async function writeState(file: string, state: UploadState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  await rename(tmp, file);
}

export interface UploadResult {
  mediaId: string;
  key: string;
  size: number;
  contentType: string;
  mode: "put" | "post" | "multipart";
  parts?: number;
  resumedParts?: number;
}

/**
 * Uploads one file through the API as an application would: `POST /uploads`, then a single PUT,
 * a presigned form POST, or parts (resumable through a state file) and `complete`.
 */
export async function upload(fileArg: string, o: UploadCliOptions): Promise<UploadResult> {
  const err = o.err ?? process.stderr;
  const server = o.server.replace(/\/+$/, "");
  const file = path.resolve(fileArg);
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === "ENOENT" ? `No such file: ${fileArg}` : `Cannot read ${fileArg}: ${e.message}`);
  });
  if (!info.isFile()) throw new Error(`Not a file: ${fileArg}`);
  const size = info.size;
  const contentType = o.contentType ?? contentTypeOf(file);
  const client = new Client(server, o.token);
  const stateFile = stateFileFor(o.stateDir ?? defaultStateDir(), server, file);
  const concurrency = Math.max(1, o.concurrency ?? 4);

  let state = await readState(stateFile);
  if (state && (state.size !== size || state.mtimeMs !== info.mtimeMs || state.contentType !== contentType || state.server !== server)) {
    // The file changed since: its parts are of another file. Abort the old upload (best effort) and start over.
    await client.call(state.abortUrl, "DELETE").catch(() => {});
    await rm(stateFile, { force: true });
    if (!o.quiet) err.write(`${fileArg} changed since the interrupted upload ${state.mediaId}: starting over\n`);
    state = undefined;
  }

  const resumed = state !== undefined;
  if (!state) {
    const created = await client.call<Created>(client.url("/uploads"), "POST", { filename: path.basename(file), contentType, size });
    const up = created.upload;
    if (up.mode === "put" || up.mode === "post") {
      const progress = new Progress(size, err, Boolean(o.quiet));
      progress.line(`uploading ${path.basename(file)} (${fmtBytes(size)}, ${contentType}) as ${created.mediaId}`);
      if (up.mode === "put") {
        await putRange(up.url, file, 0, size, up.headers ?? { "content-type": contentType }, (n) => progress.add(n));
      } else {
        await postForm(up.url, up.fields, file, contentType);
        progress.add(size);
      }
      progress.clear();
      progress.line(`uploaded ${fmtBytes(size)}`);
      return { mediaId: created.mediaId, key: created.key, size, contentType, mode: up.mode };
    }
    state = {
      version: 1, server, file, size, mtimeMs: info.mtimeMs, contentType, mediaId: created.mediaId, key: created.key, mode: "multipart",
      partSize: up.multipart.partSize, partCount: up.multipart.partCount, partsUrl: up.url, completeUrl: up.multipart.complete,
      abortUrl: up.multipart.abort, parts: {}, createdAt: new Date().toISOString(),
    };
    await writeState(stateFile, state);
  }

  const s = state;
  const partBytes = (n: number) => (n < s.partCount ? s.partSize : size - s.partSize * (s.partCount - 1));
  const done = Object.keys(s.parts).map(Number);
  const already = done.reduce((sum, n) => sum + partBytes(n), 0);
  const missing = Array.from({ length: s.partCount }, (_, i) => i + 1).filter((n) => !s.parts[n]);
  const progress = new Progress(size, err, Boolean(o.quiet), already);
  progress.line(resumed
    ? `resuming ${s.mediaId}: ${done.length} of ${s.partCount} parts already uploaded, ${missing.length} to go`
    : `uploading ${path.basename(file)} (${fmtBytes(size)}, ${contentType}) as ${s.mediaId} in ${s.partCount} parts of ${fmtBytes(s.partSize)}`);

  try {
    // URLs are asked for in batches as they are needed, so none expires waiting in a queue.
    const batchSize = concurrency * 2;
    for (let i = 0; i < missing.length; i += batchSize) {
      const batch = missing.slice(i, i + batchSize);
      const { parts } = await retrying(3, () => client.call<{ parts: PartUrl[] }>(s.partsUrl, "POST", { partNumbers: batch }));
      const queue = [...parts];
      let saving = Promise.resolve();
      // After a failure no new part starts, but the parts in flight finish (and are recorded) before it is reported.
      let failure: { error: unknown } | undefined;
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let part = queue.shift(); part && !failure; part = queue.shift()) {
          const p = part;
          let url = p.url;
          const etag = await retrying(3, async () => {
            try {
              return await putRange(url, file, p.offset, p.size, {}, (n) => progress.add(n));
            } catch (error) {
              // A URL that expired while waiting (a slow link): ask for a fresh one and try again.
              if (!(error instanceof RefusedError && error.code === "url_expired")) throw error;
              url = (await client.call<{ parts: PartUrl[] }>(s.partsUrl, "POST", { partNumbers: [p.partNumber] })).parts[0]!.url;
              throw new TransientError("part URL expired");
            }
          }).catch((error: unknown) => {
            failure ??= { error };
            return undefined;
          });
          if (etag === undefined) break;
          s.parts[p.partNumber] = etag;
          // One write at a time, each with every part finished so far.
          saving = saving.then(() => writeState(stateFile, s));
          await saving;
        }
      }));
      if (failure) throw failure.error;
    }
    progress.clear();
    const list = Object.entries(s.parts).map(([n, etag]) => ({ partNumber: Number(n), etag })).sort((a, b) => a.partNumber - b.partNumber);
    await retrying(3, () => client.call(s.completeUrl, "POST", { parts: list }));
  } catch (error) {
    progress.clear();
    // Completed by an earlier run that died before cleaning up: the upload is in.
    if (error instanceof RefusedError && error.code === "upload_completed") {
      await rm(stateFile, { force: true });
      return { mediaId: s.mediaId, key: s.key, size, contentType, mode: "multipart", parts: s.partCount, resumedParts: done.length };
    }
    // Gone on the server (aborted, unknown): the state is useless; the next run starts over.
    if (error instanceof RefusedError && (error.code === "upload_aborted" || error.status === 404)) await rm(stateFile, { force: true });
    else if (!o.quiet) {
      err.write(`${Object.keys(s.parts).length} of ${s.partCount} parts are uploaded; run the same command again to resume (state: ${stateFile})\n`);
    }
    throw error;
  }
  await rm(stateFile, { force: true });
  progress.line(`uploaded ${fmtBytes(size)} in ${s.partCount} parts${resumed ? ` (${done.length} from an earlier run)` : ""}`);
  return { mediaId: s.mediaId, key: s.key, size, contentType, mode: "multipart", parts: s.partCount, resumedParts: done.length };
}

/**
 * A presigned S3 POST: the policy fields, then the file last (S3 ignores fields after it). The file is a
 * Blob backed by the file on disk (`fs.openAsBlob`), so the form is streamed with a known Content-Length,
 * never read into memory.
 */
async function postForm(url: string, fields: Record<string, string>, file: string, contentType: string): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", await openAsBlob(file, { type: contentType }), path.basename(file));
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", body: form });
  } catch (error) {
    throw new Error(`POST ${new URL(url).origin}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  if (res.ok) return;
  const e = await errorOf(res);
  if (res.status >= 400 && res.status < 500) throw new RefusedError(res.status, e.code, e.message);
  throw new Error(`POST: ${res.status} ${e.message}`);
}

/** The `upload` command: the mediaId (or one JSON line) on stdout; progress and errors on stderr; the exit code. */
export async function runUpload(file: string, o: Omit<UploadCliOptions, "token" | "server"> & { server?: string }): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const token = process.env.MEDIA_PIPELINE_TOKEN;
  if (!token) {
    err.write("MEDIA_PIPELINE_TOKEN is not set: export the API token (`media-pipeline serve` prints it at start)\n");
    return EXIT.failed;
  }
  const server = o.server ?? process.env.MEDIA_PIPELINE_SERVER ?? "http://127.0.0.1:8787";
  try {
    new URL(server);
  } catch {
    err.write(`--server is not a URL: ${server}\n`);
    return EXIT.failed;
  }
  try {
    const result = await upload(file, { ...o, server, token });
    out.write(o.json ? `${JSON.stringify(result)}\n` : `${result.mediaId}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof RefusedError) {
      err.write(`Refused by the server (${error.status} ${error.code}): ${error.message}\n`);
      return EXIT.refused;
    }
    err.write(`Upload failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}
