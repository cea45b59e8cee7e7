import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../../../test/helpers/cli.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { startServer, type RunningServer } from "../server/server.js";

const THRESHOLD = 64 * 1024;
const PART = 20 * 1024;

let dir: string;
let runtime: LocalRuntime;
let server: RunningServer;
/** What reached the server, and a switch to fail chosen part PUTs with a 503 (a flaky network, server side). */
const seen = { creates: 0, partPuts: [] as number[], wholePuts: 0 };
let failParts = new Set<number>();

const env = () => ({ MEDIA_PIPELINE_TOKEN: server.token, MEDIA_PIPELINE_SERVER: server.url });
const stateDir = () => path.join(dir, "state");
const objectBytes = (key: string) => readFile(runtime.objects.pathOf({ bucket: runtime.config.bucket, key }));

async function file(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return { path: p, bytes };
}

/** Wraps the server's request handler: counts upload requests and fails the chosen parts after reading them. */
function intercept(s: Server): void {
  const [original] = s.listeners("request") as RequestListener[];
  s.removeAllListeners("request");
  s.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", server.url);
    if (req.method === "POST" && url.pathname === "/uploads") seen.creates++;
    if (req.method === "PUT" && url.pathname.startsWith("/upload/")) {
      const part = url.searchParams.get("partNumber");
      if (part === null) seen.wholePuts++;
      else if (failParts.has(Number(part))) {
        req.resume();
        req.on("end", () => res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "unavailable", message: "try later" } })));
        return;
      } else seen.partPuts.push(Number(part));
    }
    original!(req, res);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mp-upload-"));
  // No routes: the bytes and the API are under test, not the pipeline (random bytes would not probe anyway).
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir), { routes: [] });
  server = await startServer({ runtime, port: 0, uploads: { multipartThreshold: THRESHOLD, partSize: PART } });
  intercept(server.server);
});

afterAll(async () => {
  await server?.close();
});

describe("media-pipeline upload", () => {
  it("uploads a small file with one PUT, prints only the mediaId, and the server reports it", async () => {
    const f = await file("small clip.mp4", 10_000);
    const before = { ...seen, partPuts: seen.partPuts.length };
    const r = await cli(["upload", f.path, "--state-dir", stateDir()], { env: env() });
    expect(r.stderr).not.toMatch(/fail|refused/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-z]{26}\n$/);
    const mediaId = r.stdout.trim();
    expect(seen.wholePuts - before.wholePuts).toBe(1);
    expect(seen.partPuts.length).toBe(before.partPuts);
    const status = await fetch(`${server.url}/media/${mediaId}`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(status.status).toBe(200);
    const body = (await status.json()) as { mediaId: string; filename: string; upload: { status: string; contentType: string; size: number }; source: { key: string } };
    expect(body).toMatchObject({ mediaId, filename: "small clip.mp4", upload: { status: "completed", contentType: "video/mp4", size: 10_000 } });
    expect((await objectBytes(body.source.key)).equals(f.bytes)).toBe(true);
    // Progress went to stderr as lines (not a TTY).
    expect(r.stderr).toMatch(/uploading small clip\.mp4/);
  });

  it("uploads a large file in parts and completes; the object equals the file byte for byte; --json prints one line", async () => {
    const f = await file("big.wav", 5 * PART + 1234);
    const from = seen.partPuts.length;
    const r = await cli(["upload", f.path, "--state-dir", stateDir(), "--json"], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as { mediaId: string; key: string; mode: string; parts: number; contentType: string };
    expect(result).toMatchObject({ mode: "multipart", parts: 6, contentType: "audio/wav", size: f.bytes.length });
    expect(seen.partPuts.slice(from).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await objectBytes(result.key)).equals(f.bytes)).toBe(true);
    expect(readdirSync(stateDir())).toEqual([]);
  });

  it("resumes after an interruption: a re-run sends only the missing parts, then completes", async () => {
    const f = await file("long.mp4", 6 * PART + 99);
    failParts = new Set([4, 5, 7]);
    let from = seen.partPuts.length;
    const creates = seen.creates;
    const first = await cli(["upload", f.path, "--state-dir", stateDir(), "--concurrency", "2"], { env: env() });
    expect(first.code).toBe(1);
    expect(first.stdout).toBe("");
    // Parts 1-3 always go through; after the first failure no new part starts (which others ran depends on timing).
    const firstRun = seen.partPuts.slice(from).sort((a, b) => a - b);
    expect(firstRun.slice(0, 3)).toEqual([1, 2, 3]);
    expect(firstRun).not.toContain(4);
    expect(first.stderr).toMatch(new RegExp(`${firstRun.length} of 7 parts are uploaded; run the same command again to resume`));
    const states = readdirSync(stateDir());
    expect(states).toHaveLength(1);
    const state = JSON.parse(await readFile(path.join(stateDir(), states[0]!), "utf8")) as { mediaId: string; parts: Record<string, string>; partCount: number; mode: string };
    expect(Object.keys(state.parts).map(Number).sort((a, b) => a - b)).toEqual(firstRun);
    expect(state).toMatchObject({ mode: "multipart", partCount: 7 });

    failParts = new Set();
    from = seen.partPuts.length;
    const second = await cli(["upload", f.path, "--state-dir", stateDir()], { env: env() });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(`${state.mediaId}\n`);
    const missing = [1, 2, 3, 4, 5, 6, 7].filter((n) => !firstRun.includes(n));
    expect(second.stderr).toMatch(new RegExp(`resuming .*: ${firstRun.length} of 7 parts already uploaded, ${missing.length} to go`));
    expect(seen.partPuts.slice(from).sort((a, b) => a - b)).toEqual(missing);
    expect(seen.creates - creates).toBe(1); // the re-run asked for no new upload
    const status = (await (await fetch(`${server.url}/media/${state.mediaId}`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as { source: { key: string } };
    expect((await objectBytes(status.source.key)).equals(f.bytes)).toBe(true);
    expect(readdirSync(stateDir())).toEqual([]);
  });

  it("starts over when the file changed since the interrupted run", async () => {
    const f = await file("changing.mp4", 4 * PART);
    failParts = new Set([2, 3, 4]);
    const first = await cli(["upload", f.path, "--state-dir", stateDir(), "--quiet"], { env: env() });
    failParts = new Set();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/Upload failed/);
    const [stateName] = readdirSync(stateDir());
    const old = JSON.parse(await readFile(path.join(stateDir(), stateName!), "utf8")) as { mediaId: string };
    const changed = await file("changing.mp4", 4 * PART + 10);
    const from = seen.partPuts.length;
    const second = await cli(["upload", changed.path, "--state-dir", stateDir()], { env: env() });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).not.toBe(old.mediaId);
    expect(seen.partPuts.slice(from).sort()).toEqual([1, 2, 3, 4, 5]);
    const oldStatus = (await (await fetch(`${server.url}/media/${old.mediaId}`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as { status: string };
    expect(oldStatus.status).toBe("aborted");
  });

  it("without a token exits 1 with a clear message; a refused content type exits 2 with the server's message", async () => {
    const f = await file("clip.mp4", 1000);
    const none = await cli(["upload", f.path, "--state-dir", stateDir()], { env: { ...env(), MEDIA_PIPELINE_TOKEN: "" } });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/MEDIA_PIPELINE_TOKEN is not set/);

    const text = await file("notes.txt", 1000);
    const refused = await cli(["upload", text.path, "--state-dir", stateDir()], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/Refused by the server \(400 invalid_request\): contentType: must be a video or audio type/);

    const overridden = await cli(["upload", f.path, "--content-type", "image/png", "--state-dir", stateDir()], { env: env() });
    expect(overridden.code).toBe(2);

    const wrongToken = await cli(["upload", f.path, "--state-dir", stateDir()], { env: { ...env(), MEDIA_PIPELINE_TOKEN: "wrong-token-wrong-token" } });
    expect(wrongToken.code).toBe(2);
    expect(wrongToken.stderr).toMatch(/401 unauthorized/);

    const down = await cli(["upload", f.path, "--state-dir", stateDir(), "--server", "http://127.0.0.1:1"], { env: env() });
    expect(down.code).toBe(1);
  });

  it("sends a presigned POST (the cloud API's small-file mode) as a form: the fields, then the file, with a Content-Length", async () => {
    const f = await file("cloud.mp4", 70_000);
    let received: { contentLength?: string; contentType?: string; body: Buffer } | undefined;
    const fake = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/uploads") {
          const base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
          res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({
            mediaId: "01jzzzzzzzzzzzzzzzzzzzzzzz", key: "media/01jzzzzzzzzzzzzzzzzzzzzzzz/cloud.mp4",
            upload: { mode: "post", url: `${base}/bucket`, method: "POST", fields: { key: "media/01jzzzzzzzzzzzzzzzzzzzzzzz/cloud.mp4", "Content-Type": "video/mp4", Policy: "p" }, expiresAt: new Date().toISOString() },
          }));
          return;
        }
        received = { contentLength: req.headers["content-length"], contentType: req.headers["content-type"], body: Buffer.concat(chunks) };
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    try {
      const r = await cli(["upload", f.path, "--server", `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, "--state-dir", stateDir()], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("01jzzzzzzzzzzzzzzzzzzzzzzz\n");
      expect(received!.contentType).toMatch(/^multipart\/form-data; boundary=/);
      expect(Number(received!.contentLength)).toBe(received!.body.length);
      const body = received!.body;
      const fileAt = body.indexOf(f.bytes);
      expect(fileAt).toBeGreaterThan(0);
      const head = body.subarray(0, fileAt).toString("latin1");
      expect(head.indexOf('name="key"')).toBeLessThan(head.indexOf('name="file"'));
      expect(head).toMatch(/name="Policy"[\s\S]*name="file"; filename="cloud.mp4"\r\nContent-Type: video\/mp4/);
    } finally {
      await new Promise((r) => fake.close(r));
    }
    expect(existsSync(stateDir()) ? readdirSync(stateDir()) : []).toEqual([]);
  });
});
