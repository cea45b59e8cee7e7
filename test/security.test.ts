import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RouteDef } from "../packages/local/src/server/types.js";
import { BIN, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/flow.js";
import { makeCutVideo } from "./helpers/media.js";

/*
 * The security properties issue 7 asks for, each checked against the running thing: signed URLs,
 * authentication on every route the server really mounts, path traversal, shell injection through
 * file names, secrets in logs. (Least privilege in the cloud is in stacks/app.test.ts; upload URL signing
 * in packages/local/src/server/signing.test.ts, server.test.ts and packages/functions/src/api/uploads.test.ts.)
 */

/**
 * Every child process the product starts in this file's process, recorded before any product module
 * loads (fluent-ffmpeg keeps its own reference to `spawn` from load time).
 */
const spawned = await vi.hoisted(async () => {
  const { createRequire, syncBuiltinESMExports } = await import("node:module");
  const { promisify } = await import("node:util");
  const cp = createRequire(import.meta.url)("node:child_process") as Record<string, any>;
  const calls: Array<{ via: string; file: string; args: unknown; options: Record<string, unknown> | undefined }> = [];
  for (const via of ["spawn", "execFile", "exec", "execSync", "execFileSync", "spawnSync", "fork"]) {
    const original = cp[via];
    const record = (a: unknown[]) => {
      const args = Array.isArray(a[1]) ? a[1] : undefined;
      const options = [a[1], a[2]].find((o) => o && typeof o === "object" && !Array.isArray(o)) as Record<string, unknown> | undefined;
      calls.push({ via, file: String(a[0]), args: args ?? a[1], options });
    };
    const wrapped = function (this: unknown, ...a: unknown[]) {
      record(a);
      return original.apply(this, a);
    };
    const custom = original[promisify.custom];
    if (custom) Object.defineProperty(wrapped, promisify.custom, { value: (...a: unknown[]) => (record(a), custom(...a)) });
    cp[via] = wrapped;
  }
  syncBuiltinESMExports();
  return calls;
});

const { loadConfig } = await import("../packages/local/src/runtime/config.js");
const { openLocalRuntime } = await import("../packages/local/src/runtime/runtime.js");
const { newMediaId } = await import("../packages/local/src/runtime/ids.js");
const { Router } = await import("../packages/local/src/server/router.js");
const { runServe } = await import("../packages/local/src/cli/serve.js");

const API_TOKEN = "api-token-5a1f0c3e9b7d2468";
const ALICE = "alice-reviewer-token-7c2e91";
const BOB = "bob-reviewer-token-3f8a0d64";
const LLM_KEY = "sk-llm-key-b64e1f0a9c7d5e3f";
const MEDIA_ID = "01jd0000000000000000000000";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("security");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A request with the path sent exactly as written (fetch would resolve `..` and `%2e%2e` first). */
function raw(base: string, method: string, rawPath: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path: rawPath, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d) => (text += d)).on("end", () => resolve({ status: res.statusCode!, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the local server, started as `media-pipeline serve` starts it", () => {
  let url: string;
  let dataDir: string;
  let routes: RouteDef[];

  beforeAll(async () => {
    dataDir = path.join(dir, "serve-in-process");
    const add = vi.spyOn(Router.prototype, "add");
    const write = vi.spyOn(process.stdout, "write");
    void runServe({
      port: 0, host: "127.0.0.1", flags: { dataDir },
      env: { MEDIA_PIPELINE_TOKEN: API_TOKEN, MEDIA_PIPELINE_REVIEWER_TOKENS: `alice:${ALICE},bob:${BOB}`, PATH: process.env.PATH },
    });
    for (let i = 0; i < 200 && !url; i += 1) {
      const said = write.mock.calls.map((c) => String(c[0])).join("");
      url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(said)?.[1] ?? "";
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    write.mockRestore();
    expect(url, "serve said where it listens").toMatch(/^http:/);
    routes = add.mock.calls.flatMap(([defs]) => defs);
    add.mockRestore();
  });
  afterAll(async () => {
    // runServe stops on SIGINT; emitting the event runs its handler without signalling the process.
    process.emit("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
  });

  /** Public routes and what an anonymous request gets from each: everything else needs a token. */
  const PUBLIC: Record<string, { status: number; why: string }> = {
    "GET /review": { status: 200, why: "the review page itself: static HTML that asks for a reviewer token" },
    "PUT /upload/*key": { status: 403, why: "a presigned upload URL: the HMAC signature in its query is the authority" },
    "GET /reviews/:taskId/media": { status: 403, why: "a signed, expiring media link for the review player (a <video> sends no header)" },
    "GET /reviews/:taskId/keyframes/:index": { status: 403, why: "a signed, expiring keyframe link (an <img> sends no header)" },
    // The report page's player: a <video> and its <track> send no header, so the handler takes the API
    // token or the page's signed, expiring link itself (server/media-files.ts), and refuses neither here.
    "GET /media/:mediaId/source": { status: 401, why: "the report player's media: the API token or a signed, expiring link" },
    "GET /media/:mediaId/captions.vtt": { status: 401, why: "the report player's captions track: the API token or a signed, expiring link" },
    "GET /media/:mediaId/captions.srt": { status: 401, why: "the captions for download: the API token or a signed, expiring link" },
  };

  const concrete = (p: string) =>
    p.replace(/:mediaId/g, MEDIA_ID).replace(/:taskId/g, `${MEDIA_ID}-review`).replace(/:index/g, "0").replace(/:id/g, "sub_0")
      .replace(/\*key/, `media/${MEDIA_ID}/a.mp4`);

  async function call(def: RouteDef, token: string | undefined): Promise<number> {
    const controller = new AbortController();
    const res = await fetch(`${url}${concrete(def.path)}`, {
      method: def.method, signal: controller.signal,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(def.method === "POST" || def.method === "PUT" ? { "content-type": "application/json" } : {}) },
      ...(def.method === "POST" || def.method === "PUT" ? { body: "{}" } : {}),
    });
    controller.abort(); // the event stream would never end
    return res.status;
  }

  it("mounts every module's routes (the list below is the server's own, not a copy)", () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const expected of ["POST /uploads", "GET /media/:mediaId/report", "GET /reviews", "GET /events", "POST /subscriptions", "PUT /upload/*key"]) {
      expect(keys).toContain(expected);
    }
    expect(keys.length).toBeGreaterThanOrEqual(20);
  });

  it("answers 401 on every route without its token, and each kind of token opens only its own routes", async () => {
    for (const def of routes) {
      const key = `${def.method} ${def.path}`;
      if (def.auth === "none") {
        expect(PUBLIC[key], `${key} is public: give it auth, or add it to PUBLIC with the reason`).toBeDefined();
        expect(await call(def, undefined), key).toBe(PUBLIC[key]!.status);
        continue;
      }
      for (const token of [undefined, "wrong-token-0123456789abcdef", `${API_TOKEN}x`]) expect(await call(def, token), `${key} with ${token ?? "no token"}`).toBe(401);
      // The API token never acts as a reviewer, nor a reviewer token as the API token.
      const [own, other] = def.auth === "token" ? [API_TOKEN, ALICE] : [ALICE, API_TOKEN];
      expect(await call(def, other), `${key} with the other kind of token`).toBe(401);
      expect(await call(def, own), `${key} with its own token`).not.toBe(401);
    }
  });

  it("refuses path traversal in upload keys, media ids and review links, and writes nothing outside its media folders", async () => {
    const before = await stat(path.join(dataDir, "server.key"));
    const attempts: Array<[string, string, Record<string, string>]> = [
      ["PUT", `/upload/media/${MEDIA_ID}/..%2F..%2F..%2Fserver.key?expires=9999999999&maxBytes=4&sig=${"A".repeat(43)}`, {}],
      ["PUT", `/upload/media/%2e%2e/%2e%2e/server.key?expires=9999999999&maxBytes=4&sig=${"A".repeat(43)}`, {}],
      ["PUT", "/upload/..%2F..%2Fserver.key", {}],
      ["PUT", `/upload/media/${MEDIA_ID}/%00.mp4`, {}],
      ["GET", "/media/..%2F..%2Fpipeline.db/report", { authorization: `Bearer ${API_TOKEN}` }],
      ["GET", "/media/%2e%2e%2f%2e%2e%2fpipeline.db", { authorization: `Bearer ${API_TOKEN}` }],
      ["GET", `/reviews/..%2F..%2Fserver.key/media?expires=9999999999&sig=${"A".repeat(43)}`, {}],
      ["GET", "/reviews/%2e%2e/keyframes/0", { authorization: `Bearer ${ALICE}` }],
      ["GET", `/reviews/${encodeURIComponent("../../server.key")}`, { authorization: `Bearer ${ALICE}` }],
    ];
    for (const [method, p, headers] of attempts) {
      const res = await raw(url, method, p, { "content-type": "video/mp4", ...headers }, method === "PUT" ? Buffer.from("pwnd") : undefined);
      expect([400, 403, 404], `${method} ${p} → ${res.status} ${res.text}`).toContain(res.status);
      expect(res.text).not.toMatch(/BEGIN|SQLite format/);
    }
    const after = await stat(path.join(dataDir, "server.key"));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect((await readdir(dataDir)).sort()).not.toContain("etc");
  });
});

describe("signed review links", () => {
  it("serve one path until their expiry: a link signed for another path, or expired, is refused", async () => {
    // A server with a known signing key, so the test can sign links exactly as the server does.
    const { startServer } = await import("../packages/local/src/server/server.js");
    const runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "links") }, {}, dir));
    const signingKey = randomBytes(32);
    const server = await startServer({ runtime, signingKey });
    try {
      const sign = (pathname: string, expires: number) =>
        `${pathname}?expires=${expires}&sig=${createHmac("sha256", signingKey).update(`mp-review-link-v1\nGET\n${pathname}\n${expires}`).digest("base64url")}`;
      const media = `/reviews/${MEDIA_ID}-review/media`;
      const future = Math.floor(Date.now() / 1000) + 3600;
      // Correctly signed and unexpired: the signature passes and the (missing) task answers 404.
      expect((await fetch(`${server.url}${sign(media, future)}`)).status).toBe(404);
      const expired = await fetch(`${server.url}${sign(media, Math.floor(Date.now() / 1000) - 1)}`);
      expect([expired.status, ((await expired.json()) as { error: { code: string } }).error.code]).toEqual([403, "expired"]);
      const other = sign(`/reviews/${MEDIA_ID}-review/keyframes/0`, future).split("?")[1];
      const moved = await fetch(`${server.url}${media}?${other}`);
      expect([moved.status, ((await moved.json()) as { error: { code: string } }).error.code]).toEqual([403, "forbidden"]);
    } finally {
      await server.close();
    }
  });
});

describe("no shell between file names and ffmpeg", () => {
  const SOURCES = ["packages/core/src", "packages/local/src", "packages/local/bin", "packages/functions/src", "stacks", "scripts"];

  async function sourceFiles(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (/\.(ts|mts|js|mjs|cjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
      }
    };
    for (const s of SOURCES) await walk(path.join(ROOT, s));
    return [...out, path.join(ROOT, "sst.config.ts")];
  }

  it("starts processes only with spawn/execFile and argument arrays: no exec, execSync or shell option anywhere in the code", async () => {
    const files = await sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const findings: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      const rel = path.relative(ROOT, file);
      for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*["'](node:)?child_process["']/g)) {
        const names = m[1]!.split(",").map((n) => n.trim().split(/\s+as\s+/)[0]!).filter(Boolean);
        for (const n of names) if (!["spawn", "execFile", "execFileSync", "type", "SpawnOptions", "ChildProcess"].includes(n)) findings.push(`${rel}: imports ${n} from child_process`);
      }
      if (/import\s+\*\s+as\s+\w+\s+from\s*["'](node:)?child_process["']|require\(["'](node:)?child_process["']\)/.test(text)) findings.push(`${rel}: takes all of child_process`);
      if (/(?<![.\w])exec(Sync)?\s*\(/.test(text)) findings.push(`${rel}: calls exec/execSync`);
      if (/\bshell\s*:\s*(true|["'`])/.test(text)) findings.push(`${rel}: passes a shell option`);
    }
    expect(findings).toEqual([]);
  });

  it("passes a file named $(touch pwned)… to ffmpeg as one argument, never through a shell, through the whole pipeline", async () => {
    const work = path.join(dir, "injection");
    const home = process.cwd();
    const runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(work, "data"), words: false }, {}, dir));
    // A shell that ran any of these would leave pwned* in its working directory: make that a fresh one.
    await (await import("node:fs/promises")).mkdir(work, { recursive: true });
    process.chdir(work);
    const first = spawned.length;
    try {
      const name = "$(touch pwned) `touch pwned2`; touch pwned3 | touch pwned4 & -x.mp4";
      const clip = await makeCutVideo(dir, { name: "injection-source.mp4", segments: [1, 1], width: 160, height: 90 });
      // Straight onto the bus with the raw name in the key (ingest would make it safe first), so the
      // name itself reaches every ffmpeg and ffprobe command line.
      const mediaId = newMediaId();
      const source = { bucket: runtime.config.bucket, key: `media/${mediaId}/${name}` };
      const sizeBytes = await runtime.objects.putFile(source, clip.path);
      await runtime.bus.publish("Media Received", { version: 1, mediaId, correlationId: mediaId, source, filename: name, sizeBytes });
      const outcome = await runtime.outcome(mediaId);
      expect(outcome.kind).toBe("completed");

      const file = runtime.objects.pathOf(source);
      const calls = spawned.slice(first);
      const withName = calls.filter((c) => Array.isArray(c.args) && (c.args as string[]).includes(`file:${file}`));
      const tools = new Set(withName.map((c) => path.basename(c.file)));
      expect([...tools].sort()).toEqual(["ffmpeg", "ffprobe"]);
      expect(withName.length).toBeGreaterThanOrEqual(4); // probe, tail read or codecs, audio, frame pass
      for (const c of calls) {
        expect(Array.isArray(c.args), `${c.via} ${c.file}`).toBe(true);
        expect(["spawn", "execFile"], `${c.via} ${c.file}`).toContain(c.via);
        expect(c.options?.shell ?? false, `${c.via} ${c.file}`).toBe(false);
      }
      for (const where of [work, dir, path.dirname(file), home]) {
        expect((await readdir(where)).filter((f) => f.startsWith("pwned")), where).toEqual([]);
      }
    } finally {
      process.chdir(home);
      await runtime.close();
    }
  });
});

describe("secrets and tokens never logged", () => {
  let child: ChildProcess | undefined;
  let llm: Server | undefined;
  afterAll(() => {
    child?.kill("SIGKILL");
    llm?.close();
  });

  it("keeps the API token, reviewer tokens and LLM key out of serve's output and the data directory through an upload, a review and errors", async () => {
    // An OpenAI-compatible endpoint that refuses the key and echoes it back, as some servers do.
    const seen: string[] = [];
    llm = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      req.resume().on("end", () => {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${LLM_KEY}`, type: "invalid_request_error" } }));
      });
    });
    await new Promise<void>((r) => llm!.listen(0, "127.0.0.1", r));
    const dataDir = path.join(dir, "serve-child");
    const env = {
      ...process.env,
      MEDIA_PIPELINE_TOKEN: API_TOKEN,
      MEDIA_PIPELINE_REVIEWER_TOKENS: `alice:${ALICE},bob:${BOB}`,
      MEDIA_PIPELINE_LLM_API_KEY: LLM_KEY,
      MEDIA_PIPELINE_LLM_ENDPOINT: `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`,
      MEDIA_PIPELINE_LLM_MODEL: "test-model",
      // A review band from 0: every score the model reports goes to review, so the sample gets a task
      // from this setting rather than from a misfire of the model (as reviews.test.ts).
      MEDIA_PIPELINE_REVIEW_MIN: "0",
      MEDIA_PIPELINE_FLAG_MIN: "90",
      MEDIA_PIPELINE_WORDS: "false",
    };
    let out = "";
    child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const base = await until(() => /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], "serve to start", 30_000);

    const as = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
    const uploadFile = async (file: string, contentType: string) => {
      const body = await readFile(file);
      const created = await fetch(`${base}/uploads`, { method: "POST", headers: as(API_TOKEN), body: JSON.stringify({ filename: path.basename(file), contentType, size: body.length }) });
      expect(created.status).toBe(201);
      const { mediaId, upload } = (await created.json()) as { mediaId: string; upload: { url: string; headers: Record<string, string> } };
      expect((await fetch(upload.url, { method: "PUT", headers: upload.headers, body })).status).toBe(200);
      return mediaId;
    };
    const mediaId = await uploadFile(path.join(ROOT, "samples/sample.mp4"), "video/mp4");
    const taskId = `${mediaId}-review`;
    // The first report, with the review pending: every stage has run, so the server is idle again.
    await until(async () => {
      const s = (await (await fetch(`${base}/media/${mediaId}`, { headers: as(API_TOKEN) })).json()) as { status: string; review?: { status: string } };
      return s.status.startsWith("completed") && s.review?.status === "pending" ? true : undefined;
    }, "the first report", 120_000);
    expect((await fetch(`${base}/reviews/${taskId}`, { headers: as(ALICE) })).status).toBe(200);
    // Errors: a wrong token, the API token on the review API, a refused upload, a malformed request.
    expect((await fetch(`${base}/media/${mediaId}`, { headers: as(`${API_TOKEN}-wrong`) })).status).toBe(401);
    expect((await fetch(`${base}/reviews`, { headers: as(API_TOKEN) })).status).toBe(401);
    expect((await fetch(`${base}/uploads`, { method: "POST", headers: as(API_TOKEN), body: "{not json" })).status).toBe(400);
    const textFile = path.join(dir, "notes.mp4");
    await (await import("node:fs/promises")).writeFile(textFile, "a text file renamed .mp4\n".repeat(30));
    const rejectedId = await uploadFile(textFile, "video/mp4");

    expect((await fetch(`${base}/reviews/${taskId}/claim`, { method: "POST", headers: as(ALICE) })).status).toBe(200);
    const task = (await (await fetch(`${base}/reviews/${taskId}`, { headers: as(ALICE) })).json()) as { segments: Array<{ index: number; decision: string }> };
    const answers = task.segments.filter((s) => s.decision === "review").map((s) => ({ index: s.index, outcome: "false-positive" }));
    const verdict = await fetch(`${base}/reviews/${taskId}/verdict`, { method: "POST", headers: as(ALICE), body: JSON.stringify({ verdict: "approved", segments: answers, comment: "fine" }) });
    expect(verdict.status, await verdict.clone().text()).toBe(200);
    await until(async () => {
      const s = (await (await fetch(`${base}/media/${mediaId}`, { headers: as(API_TOKEN) })).json()) as { review?: { status: string } };
      return s.review?.status === "approved" ? true : undefined;
    }, "the final report", 60_000);
    await until(async () => {
      const s = (await (await fetch(`${base}/media/${rejectedId}`, { headers: as(API_TOKEN) })).json()) as { status: string };
      return s.status === "rejected" ? true : undefined;
    }, "the text upload's rejection", 30_000);

    child.kill("SIGTERM");
    await new Promise((r) => child!.once("exit", r));
    // The LLM really was called with the key (so there was a key to leak), and refused.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === `Bearer ${LLM_KEY}`)).toBe(true);

    const secrets = { API_TOKEN, ALICE, BOB, LLM_KEY };
    for (const [name, secret] of Object.entries(secrets)) expect(out.includes(secret), `${name} in serve's output:\n${out}`).toBe(false);
    // Every file the server wrote: the events log (SQLite and its WAL), state, uploads, reports.
    const files: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) (e.isDirectory() ? await walk(path.join(d, e.name)) : files.push(path.join(d, e.name)));
    };
    await walk(dataDir);
    let log = "";
    for (const f of files) {
      const text = (await readFile(f)).toString("latin1");
      if (/pipeline\.db/.test(f)) log += text;
      for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), `${name} in ${path.relative(dataDir, f)}`).toBe(false);
    }
    // The signing key (the one secret the server keeps on disk) is readable by its owner only.
    expect((await stat(path.join(dataDir, "server.key"))).mode & 0o077).toBe(0);
    // And the data directory itself (uploads, reports, webhook secrets) is closed to other users.
    expect((await stat(dataDir)).mode & 0o077).toBe(0);
    // The scan saw the events log: the review and the LLM's refusal are in it, the secrets are not.
    expect(log).toContain("Review Completed");
    expect(log).toMatch(/HTTP 401/);
  }, 180_000);
});

/**
 * Polls until `what` answers. A connection reset counts as "not yet": a keep-alive socket can be reset
 * when the server's event loop was busy past its keep-alive timeout (a model loading), which is HTTP's
 * ordinary behaviour, not what these tests are about.
 */
async function until<T>(what: () => T | undefined | Promise<T | undefined>, label: string, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(what)
      .catch((error: unknown) => {
        if (error instanceof TypeError && /fetch failed/.test(error.message)) return undefined;
        throw error;
      });
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
