import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeAudioOnly, makeCutVideo } from "../../../../test/helpers/media.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { startServer, type RunningServer } from "./server.js";

const run = promisify(execFile);

let dir: string;
let runtime: LocalRuntime;
let server: RunningServer;
let clock = Date.now();
let small: { path: string; size: number };
let big: { path: string; size: number };
let audio: { path: string; size: number };

/** curl with an args array (no shell): prints the body, then the status on its own last line. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run("curl", ["-sS", "-w", "\n%{http_code}", ...args]);
  const i = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

function api(p: string, init: RequestInit & { json?: unknown } = {}, token: string | null = server.token): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(`${server.url}${p}`, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

async function requestUpload(body: { filename: string; contentType: string; size: number }) {
  const res = await api("/uploads", { method: "POST", json: body });
  expect(res.status).toBe(201);
  return (await res.json()) as {
    mediaId: string; key: string;
    upload: { mode: string; url: string; method: string; headers?: Record<string, string>; expiresAt: string; multipart?: { partSize: number; partCount: number; complete: string; abort: string } };
  };
}

const objectPath = (key: string) => runtime.objects.pathOf({ bucket: runtime.config.bucket, key });
const uploadsDir = (mediaId: string) => path.join(runtime.config.dataDir, "uploads", mediaId);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mp-server-"));
  const v1 = await makeCutVideo(dir, { name: "small.mp4", segments: [1, 1], width: 160, height: 90 });
  const v2 = await makeCutVideo(dir, { name: "big.mp4", segments: [2, 2, 2], width: 320, height: 180, audio: "noise" });
  const a = await makeAudioOnly(dir, "wav", 1);
  small = { path: v1.path, size: (await stat(v1.path)).size };
  big = { path: v2.path, size: (await stat(v2.path)).size };
  audio = { path: a.path, size: (await stat(a.path)).size };
  expect(big.size).toBeGreaterThan(small.size);
  expect(big.size).toBeGreaterThan(audio.size);
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir));
  server = await startServer({
    runtime,
    port: 0,
    uploads: {
      now: () => clock,
      multipartThreshold: Math.max(small.size, audio.size),
      partSize: Math.ceil(big.size / 3),
    },
  });
});

afterAll(async () => {
  await server?.close();
});

describe("local HTTP server", () => {
  it("binds to loopback and needs the token on every API route (401 otherwise)", async () => {
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
    for (const token of [null, "wrong-token-wrong-token", `${server.token}x`]) {
      const res = await api("/uploads", { method: "POST", json: { filename: "a.mp4", contentType: "video/mp4", size: 10 } }, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    }
    const basic = await fetch(`${server.url}/media/0123456789abcdefghjkmnpqrs`, { headers: { authorization: `Basic ${server.token}` } });
    expect(basic.status).toBe(401);
  });

  it("answers unknown routes, bad JSON and invalid fields with JSON errors that name the field", async () => {
    expect((await api("/nope")).status).toBe(404);
    const missing = await api("/uploads", { method: "POST", json: { contentType: "video/mp4", size: 10 } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/^filename:/);
    const type = await api("/uploads", { method: "POST", json: { filename: "a.txt", contentType: "text/plain", size: 10 } });
    expect(type.status).toBe(400);
    expect(((await type.json()) as { error: { message: string } }).error.message).toMatch(/^contentType:/);
    const over = await api("/uploads", { method: "POST", json: { filename: "a.mp4", contentType: "video/mp4", size: 11 * 1024 ** 3 } });
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: { message: string } }).error.message).toMatch(/^size:/);
    const bad = await api("/uploads", { method: "POST", body: "{nope", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    const body = await bad.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: "invalid_json" } });
    expect(body).not.toMatch(/at .*\.ts/);
    expect((await api("/uploads", { method: "GET" })).status).toBe(405);
  });

  it("uploads through the presigned URL with fetch, runs the pipeline to Analysis Completed, and serves status and reports", async () => {
    const created = await requestUpload({ filename: "small clip.mp4", contentType: "video/mp4", size: small.size });
    expect(created.upload).toMatchObject({ mode: "put", method: "PUT", headers: { "content-type": "video/mp4" } });
    expect(created.key).toBe(`media/${created.mediaId}/small_clip.mp4`);
    const put = await fetch(created.upload.url, { method: "PUT", headers: created.upload.headers, body: await readFile(small.path) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ mediaId: created.mediaId, size: small.size, status: "uploaded" });
    const outcome = await runtime.outcome(created.mediaId);
    expect(outcome.kind).toBe("completed");
    expect(runtime.bus.eventsOf(created.mediaId)[0]).toMatchObject({ "detail-type": "Media Received", detail: { filename: "small clip.mp4", contentType: "video/mp4", sizeBytes: small.size } });

    const status = await api(`/media/${created.mediaId}`);
    expect(status.status).toBe(200);
    const s = (await status.json()) as { status: string; stages: Record<string, { status: string }>; links: Record<string, string> };
    expect(s.status).toMatch(/^completed/);
    expect(s.stages.probe!.status).toBe("done");
    expect(s.stages["detect-shots"]!.status).toBe("done");
    expect(s.links).toEqual({
      self: `${server.url}/media/${created.mediaId}`,
      report: `${server.url}/media/${created.mediaId}/report`,
      reportHtml: `${server.url}/media/${created.mediaId}/report.html`,
    });
    const report = await api(`/media/${created.mediaId}/report`);
    expect(report.status).toBe(200);
    expect(await report.json()).toMatchObject({ mediaId: created.mediaId });
    const html = await api(`/media/${created.mediaId}/report.html`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await html.text()).toMatch(/<html[\s\S]*data:image\/jpeg;base64/);
    // The same URL cannot be used again once the upload is in.
    const again = await fetch(created.upload.url, { method: "PUT", headers: created.upload.headers, body: await readFile(small.path) });
    expect(again.status).toBe(409);
  });

  it("uploads with curl (args array) and the audio flows to Analysis Completed", async () => {
    const created = await requestUpload({ filename: "voice.wav", contentType: "audio/wav", size: audio.size });
    const res = await curl(["-X", "PUT", "-H", "content-type: audio/wav", "--data-binary", `@${audio.path}`, created.upload.url]);
    expect(res.status).toBe(200);
    expect((await runtime.outcome(created.mediaId)).kind).toBe("completed");
    expect(await stat(objectPath(created.key))).toMatchObject({ size: audio.size });
  });

  it("refuses a tampered, expired, replayed-to-another-key or wrong-content-type URL with 403 and stores nothing", async () => {
    const a = await requestUpload({ filename: "a.mp4", contentType: "video/mp4", size: small.size });
    const b = await requestUpload({ filename: "b.mp4", contentType: "video/mp4", size: small.size });
    const body = await readFile(small.path);
    const put = (url: string, contentType = "video/mp4") => fetch(url, { method: "PUT", headers: { "content-type": contentType }, body });

    const url = new URL(a.upload.url);
    const sig = url.searchParams.get("sig")!;
    const tampered = new URL(url);
    tampered.searchParams.set("sig", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
    expect((await put(tampered.href)).status).toBe(403);
    const bigger = new URL(url);
    bigger.searchParams.set("maxBytes", String(small.size * 10));
    expect((await put(bigger.href)).status).toBe(403);
    const later = new URL(url);
    later.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 3600));
    expect((await put(later.href)).status).toBe(403);

    const replayed = new URL(url);
    replayed.pathname = new URL(b.upload.url).pathname;
    expect((await put(replayed.href)).status).toBe(403);

    const wrongType = await put(a.upload.url, "video/webm");
    expect(wrongType.status).toBe(403);
    expect(await wrongType.json()).toMatchObject({ error: { code: "content_type_mismatch" } });

    const saved = clock;
    clock = Date.now() + 16 * 60 * 1000;
    try {
      const expired = await put(a.upload.url);
      expect(expired.status).toBe(403);
      expect(await expired.json()).toMatchObject({ error: { code: "url_expired" } });
    } finally {
      clock = saved;
    }
    expect(existsSync(objectPath(a.key))).toBe(false);
    expect(existsSync(objectPath(b.key))).toBe(false);
    // Still good after all that: the genuine URL works.
    expect((await put(a.upload.url)).status).toBe(200);
  });

  it("separates the API token from upload URLs: neither works in place of the other", async () => {
    const a = await requestUpload({ filename: "t.mp4", contentType: "video/mp4", size: small.size });
    const sig = new URL(a.upload.url).searchParams.get("sig")!;
    expect((await api(`/media/${a.mediaId}`, {}, sig)).status).toBe(401);
    const u = new URL(a.upload.url);
    const bare = `${u.origin}${u.pathname}`;
    const withToken = await fetch(bare, { method: "PUT", headers: { "content-type": "video/mp4", authorization: `Bearer ${server.token}` }, body: await readFile(small.path) });
    expect(withToken.status).toBe(403);
    expect(existsSync(objectPath(a.key))).toBe(false);
  });

  it("answers 413 to a body over the bound, declared or streamed, and stores nothing", async () => {
    const a = await requestUpload({ filename: "over.mp4", contentType: "video/mp4", size: 1000 });
    const declared = await fetch(a.upload.url, { method: "PUT", headers: { "content-type": "video/mp4" }, body: Buffer.alloc(5000, 1) });
    expect(declared.status).toBe(413);
    // Chunked: no Content-Length to refuse up front, so the server counts and stops.
    const chunked = await curl(["-X", "PUT", "-H", "content-type: video/mp4", "-H", "transfer-encoding: chunked", "--data-binary", `@${small.path}`, a.upload.url]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: "too_large" } });
    expect(existsSync(objectPath(a.key))).toBe(false);
    expect(existsSync(uploadsDir(a.mediaId)) ? readdirSync(uploadsDir(a.mediaId)) : []).toEqual([]);
    // The upload is still open for a body that fits.
    expect((await fetch(a.upload.url, { method: "PUT", headers: { "content-type": "video/mp4" }, body: Buffer.alloc(1000, 1) })).status).toBe(200);
  });

  it("sanitizes a ../../etc/passwd.mp4 file name into the media's own key", async () => {
    const a = await requestUpload({ filename: "../../etc/passwd.mp4", contentType: "video/mp4", size: 4 });
    expect(a.key).toBe(`media/${a.mediaId}/passwd.mp4`);
    expect(new URL(a.upload.url).pathname).toBe(`/upload/media/${a.mediaId}/passwd.mp4`);
    const traversal = new URL(a.upload.url);
    traversal.pathname = `/upload/media/${a.mediaId}/..%2F..%2F..%2Fetc%2Fpasswd.mp4`;
    expect((await fetch(traversal.href, { method: "PUT", headers: { "content-type": "video/mp4" }, body: "abcd" })).status).toBe(403);
    expect((await fetch(a.upload.url, { method: "PUT", headers: { "content-type": "video/mp4" }, body: "abcd" })).status).toBe(200);
    expect(await readFile(objectPath(a.key), "utf8")).toBe("abcd");
    expect(existsSync(path.join(runtime.config.dataDir, "etc"))).toBe(false);
    expect(existsSync(path.join(runtime.objects.root, "etc"))).toBe(false);
  });

  it("takes a multipart upload with parts sent out of order, completes it, and runs the pipeline", async () => {
    const created = await requestUpload({ filename: "big.mp4", contentType: "video/mp4", size: big.size });
    expect(created.upload).toMatchObject({ mode: "multipart", method: "POST", multipart: { partCount: 3 } });
    const { partSize } = created.upload.multipart!;
    const partsRes = await api(`/uploads/${created.mediaId}/parts`, { method: "POST", json: {} });
    expect(partsRes.status).toBe(200);
    const { parts } = (await partsRes.json()) as { parts: Array<{ partNumber: number; url: string; offset: number; size: number }> };
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    const file = await readFile(big.path);
    const etags = new Map<number, string>();
    for (const p of [parts[2]!, parts[0]!, parts[1]!]) {
      const res = await fetch(p.url, { method: "PUT", body: file.subarray(p.offset, p.offset + p.size) });
      expect(res.status).toBe(200);
      etags.set(p.partNumber, res.headers.get("etag")!);
    }
    expect(parts[0]!.size).toBe(partSize);
    // A part URL is bound to its part: it cannot overwrite another one.
    const swapped = new URL(parts[0]!.url);
    swapped.searchParams.set("partNumber", "2");
    expect((await fetch(swapped.href, { method: "PUT", body: "x" })).status).toBe(403);

    const complete = await api(`/uploads/${created.mediaId}/complete`, {
      method: "POST",
      json: { parts: [3, 1, 2].map((n) => ({ partNumber: n, etag: etags.get(n)! })) },
    });
    expect(complete.status).toBe(200);
    expect(await complete.json()).toMatchObject({ mediaId: created.mediaId, status: "uploaded" });
    const stored = await readFile(objectPath(created.key));
    expect(createHash("sha256").update(stored).digest("hex")).toBe(createHash("sha256").update(file).digest("hex"));
    expect(existsSync(uploadsDir(created.mediaId))).toBe(false);
    expect((await runtime.outcome(created.mediaId)).kind).toBe("completed");
  });

  it("aborts a multipart upload and leaves nothing behind", async () => {
    const created = await requestUpload({ filename: "gone.mp4", contentType: "video/mp4", size: big.size });
    const { parts } = (await (await api(`/uploads/${created.mediaId}/parts`, { method: "POST", json: { partNumbers: [1] } })).json()) as {
      parts: Array<{ url: string; size: number }>;
    };
    expect((await fetch(parts[0]!.url, { method: "PUT", body: Buffer.alloc(parts[0]!.size, 7) })).status).toBe(200);
    expect(readdirSync(uploadsDir(created.mediaId)).length).toBe(1);
    const abort = await api(`/uploads/${created.mediaId}`, { method: "DELETE" });
    expect(abort.status).toBe(204);
    expect(existsSync(uploadsDir(created.mediaId))).toBe(false);
    expect(existsSync(objectPath(created.key))).toBe(false);
    expect((await fetch(parts[0]!.url, { method: "PUT", body: Buffer.alloc(parts[0]!.size, 7) })).status).toBe(409);
    expect((await api(`/uploads/${created.mediaId}/complete`, { method: "POST", json: { parts: [{ partNumber: 1, etag: "x" }] } })).status).toBe(409);
    const status = (await (await api(`/media/${created.mediaId}`)).json()) as { status: string };
    expect(status.status).toBe("aborted");
    expect(runtime.bus.eventsOf(created.mediaId)).toEqual([]);
  });
});
