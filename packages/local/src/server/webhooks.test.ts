import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compilePattern, type ProbeResult, type TranscriptDocument } from "@media-pipeline/core";
import type { LocalEngines } from "../engines/index.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { mount, TOKEN, type Mounted } from "../../test-support/test-mount.js";
import { webhooksModule, signWebhook, verifyWebhookSignature, type WebhookOptions } from "./webhooks.js";


// ---- fakes: delivery is under test, not the engines ----

const engine = { name: "fake", version: "0" };
const probed: ProbeResult = {
  kind: "video", durationMs: 4000, sizeBytes: 10, container: "mp4", hasVideo: true, hasAudio: true, engine,
  streams: [{ index: 0, type: "video", codec: "x" }],
};
const transcript: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [], speakers: [], segments: [], speech: [], engine, engines: [engine],
  speakerLabels: { speakers: 0, segments: [] },
};
const fakes: Partial<LocalEngines> = {
  prober: { probe: async () => probed },
  extractor: { extract: async (_s, target) => ({ audio: target, format: "wav" as const, sampleRate: 16000, channels: 1, durationMs: 4000, engine }) },
  shots: { detect: async () => ({ durationMs: 4000, width: 2, height: 2, shots: [], frames: [], engine }) },
  labels: { detect: async () => ({ frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 90 }] }], engine }) },
  moderation: { detect: async () => ({ frames: [], engine }) },
  text: { detect: async () => ({ frames: [], engine }) },
  transcriber: { transcribe: async () => transcript },
};

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

const FAST: WebhookOptions = { baseBackoffMs: 20, maxAttempts: 4, timeoutMs: 1000 };

async function openRuntime(dir: string) {
  const rt = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), workers: 2 }, {}, dir), { engines: fakes, baseBackoffMs: 5 });
  return rt;
}

async function setup(options: WebhookOptions = FAST) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hooks-"));
  const rt = await openRuntime(dir);
  cleanup.push(() => rt.close());
  const server = await mount(rt, [webhooksModule(options)]);
  cleanup.push(() => server.close());
  const input = path.join(dir, "in.mp4");
  writeFileSync(input, "fake media");
  return { dir, rt, server, input };
}

// ---- a webhook receiver on loopback ----

interface Received { body: string; headers: IncomingHttpHeaders; status: number; at: number }

async function receiver(answer: (req: { body: string; headers: IncomingHttpHeaders; n: number }) => number | "hang") {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = answer({ body, headers: req.headers, n: received.length });
      received.push({ body, headers: req.headers, status: status === "hang" ? 0 : status, at: Date.now() });
      if (status !== "hang") res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

async function api(server: Mounted, method: string, p: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}${p}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

async function until(test: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PATTERN = { "detail-type": ["Media Probed", "Labels Detected", "Analysis Completed"] };
const matchingSeqs = (rt: LocalRuntime, pattern: unknown = PATTERN) => {
  const m = compilePattern(pattern);
  return rt.store.events.page(0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    .filter((r) => m.match(JSON.parse(r.body))).map((r) => r.seq);
};
const delivered = (rs: Received[]) => rs.filter((r) => r.status === 200).map((r) => Number(r.headers["x-media-pipeline-seq"]));

describe("webhooks", () => {
  it("delivers matching events signed, in seq order, retrying a receiver that fails twice", async () => {
    const { rt, server, input } = await setup();
    const hook = await receiver(({ n }) => (n < 2 ? 500 : 200));
    const created = await api(server, "POST", "/subscriptions", { url: hook.url, pattern: PATTERN });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^sub_/), url: hook.url, pattern: PATTERN, secret: expect.stringMatching(/^whsec_/) });
    const secret = created.body.secret as string;

    const mediaId = await rt.ingest(input);
    expect((await rt.outcome(mediaId)).kind).toBe("completed");
    const want = matchingSeqs(rt);
    expect(want).toHaveLength(3);
    await until(() => delivered(hook.received).length === want.length);

    expect(delivered(hook.received)).toEqual(want);
    // The first event was answered 500, 500, then taken: three attempts, the same body each time.
    expect(hook.received.slice(0, 3).map((r) => [r.status, r.headers["x-media-pipeline-attempt"], r.headers["x-media-pipeline-seq"]]))
      .toEqual([[500, "1", String(want[0])], [500, "2", String(want[0])], [200, "3", String(want[0])]]);
    // Backoff doubles from 20 ms with ±25 % jitter: at least 15 ms, then at least 30 ms (lower bounds only: a busy loop adds).
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(14);
    expect(hook.received[2]!.at - hook.received[1]!.at).toBeGreaterThanOrEqual(29);
    for (const r of hook.received) {
      const ts = r.headers["x-media-pipeline-timestamp"] as string;
      expect(r.headers["x-media-pipeline-signature"]).toBe(`sha256=${signWebhook(secret, ts, r.body)}`);
      expect(verifyWebhookSignature({ secret, body: r.body, timestamp: ts, signature: r.headers["x-media-pipeline-signature"] })).toBe(true);
      expect(verifyWebhookSignature({ secret: "whsec_other", body: r.body, timestamp: ts, signature: r.headers["x-media-pipeline-signature"] })).toBe(false);
      expect(verifyWebhookSignature({ secret, body: r.body, timestamp: String(Number(ts) - 1), signature: r.headers["x-media-pipeline-signature"] })).toBe(false);
      expect(verifyWebhookSignature({ secret, body: r.body, timestamp: ts, signature: r.headers["x-media-pipeline-signature"], now: (Number(ts) + 3600) * 1000 })).toBe(false);
      const event = JSON.parse(r.body);
      expect(event).toMatchObject({ source: "media-pipeline", detail: { mediaId } });
      expect(r.headers["x-media-pipeline-event-id"]).toBe(event.id);
      expect(r.headers["content-type"]).toBe("application/json");
    }
    const list = await api(server, "GET", "/subscriptions");
    expect(list.body.subscriptions).toEqual([expect.objectContaining({ id: created.body.id, deliveries: { pending: 0, done: 3, dead: 0 } })]);
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it("dead-letters what a receiver never takes, and times out one that never answers", async () => {
    const { rt, server, input } = await setup({ ...FAST, maxAttempts: 3, timeoutMs: 200 });
    const failing = await receiver(() => 503);
    const hanging = await receiver(() => "hang");
    const fails = await api(server, "POST", "/subscriptions", { url: failing.url, pattern: JSON.stringify(PATTERN), secret: "a-secret-of-my-own-choosing" });
    expect(fails.status).toBe(201);
    expect(fails.body.secret).toBeUndefined();
    const hangs = await api(server, "POST", "/subscriptions", { url: hanging.url, pattern: { "detail-type": ["Media Probed"] } });

    const mediaId = await rt.ingest(input);
    expect((await rt.outcome(mediaId)).kind).toBe("completed");
    const want = matchingSeqs(rt);
    await until(() => failing.received.length === want.length * 3, 12_000);
    const dead = await (async () => {
      for (;;) {
        const r = await api(server, "GET", `/subscriptions/${fails.body.id}/dead-letters`);
        if (r.body.deadLetters.length === want.length) return r.body.deadLetters;
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    expect(dead.map((d: { seq: number }) => d.seq)).toEqual(want);
    expect(dead[0]).toMatchObject({ attempts: 3, lastStatus: 503, error: "HTTP 503", detailType: "Media Probed", event: { detail: { mediaId } } });
    // One at a time per subscription, in order: every attempt at an event before any at the next.
    expect(failing.received.map((r) => Number(r.headers["x-media-pipeline-seq"]))).toEqual(want.flatMap((s) => [s, s, s]));

    await until(() => hanging.received.length === 3);
    const hangDead = await (async () => {
      for (;;) {
        const r = await api(server, "GET", `/subscriptions/${hangs.body.id}/dead-letters`);
        if (r.body.deadLetters.length === 1) return r.body.deadLetters;
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    expect(hangDead[0]).toMatchObject({ attempts: 3, lastStatus: null, error: "timed out after 200 ms" });

    // Redrive puts them back; deleting the subscription ends its deliveries.
    const redriven = await api(server, "POST", `/subscriptions/${fails.body.id}/dead-letters/redrive`);
    expect(redriven.body).toEqual({ redriven: want.length });
    await until(() => failing.received.length > want.length * 3);
    expect((await api(server, "DELETE", `/subscriptions/${fails.body.id}`)).status).toBe(204);
    expect((await api(server, "DELETE", `/subscriptions/${fails.body.id}`)).status).toBe(404);
    expect((await api(server, "GET", `/subscriptions/${fails.body.id}/dead-letters`)).status).toBe(404);
    expect(rt.store.webhooks.counts(fails.body.id)).toEqual({ pending: 0, done: 0, dead: 0 });
  });

  it("refuses a bad URL or pattern with the reason, and needs the token", async () => {
    const { server } = await setup();
    const badPattern = await api(server, "POST", "/subscriptions", { url: "http://127.0.0.1:9/x", pattern: { detail: { size: [{ numeric: [">", "x"] }] } } });
    expect(badPattern.status).toBe(400);
    expect(badPattern.body.error).toMatchObject({ code: "invalid_pattern", message: expect.stringContaining("detail.size") });
    const badUrl = await api(server, "POST", "/subscriptions", { url: "file:///etc/passwd", pattern: PATTERN });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.message).toContain("url");
    expect((await api(server, "POST", "/subscriptions", { url: "http://127.0.0.1:9/x", pattern: PATTERN, extra: 1 })).status).toBe(400);
    const noJson = await fetch(`${server.baseUrl}/subscriptions`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: "{" });
    expect(noJson.status).toBe(400);
    expect((await fetch(`${server.baseUrl}/subscriptions`)).status).toBe(401);
    expect((await api(server, "GET", "/subscriptions")).body).toEqual({ subscriptions: [] });
  });

  it("resumes pending deliveries after a restart, including events published while nothing was delivering", async () => {
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    const { dir, rt, server, input } = await setup({ ...FAST, baseBackoffMs: 50, maxAttempts: 50 });
    const sub = await api(server, "POST", "/subscriptions", { url: hook.url, pattern: PATTERN });
    const mediaId = await rt.ingest(input);
    expect((await rt.outcome(mediaId)).kind).toBe("completed");
    await until(() => hook.received.length >= 2);
    const attemptsSoFar = hook.received.length;

    // Delivery stops (the server goes away) while the runtime publishes one more matching event.
    await server.close();
    const second = await rt.ingest(input);
    expect((await rt.outcome(second)).kind).toBe("completed");
    cleanup.splice(0);
    await rt.close();
    expect(hook.received.length).toBe(attemptsSoFar);

    up = true;
    const rt2 = await openRuntime(dir);
    cleanup.push(() => rt2.close());
    const server2 = await mount(rt2, [webhooksModule(FAST)]);
    cleanup.push(() => server2.close());
    const want = matchingSeqs(rt2);
    expect(want).toHaveLength(6);
    await until(() => delivered(hook.received).length === want.length);
    expect(delivered(hook.received)).toEqual(want);
    const list = await api(server2, "GET", `/subscriptions/${sub.body.id}`);
    expect(list.body.deliveries).toEqual({ pending: 0, done: 6, dead: 0 });
  });
});
