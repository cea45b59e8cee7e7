import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compilePattern, type ProbeResult, type TranscriptDocument } from "@media-pipeline/core";
import type { LocalEngines } from "../engines/index.js";
import { loadConfig } from "../runtime/config.js";
import { newMediaId } from "../runtime/ids.js";
import { openLocalRuntime, } from "../runtime/runtime.js";
import { eventsModule, type EventsStreamOptions } from "./events-stream.js";
import { mount, TOKEN, } from "../../test-support/test-mount.js";


// ---- fakes: the stream is under test, not the engines ----

const engine = { name: "fake", version: "0" };
const probed: ProbeResult = {
  kind: "video", durationMs: 4000, sizeBytes: 10, container: "mp4", hasVideo: true, hasAudio: true, engine,
  streams: [{ index: 0, type: "video", codec: "x" }],
};
const transcript: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [], speakers: [], segments: [], speech: [], engine, engines: [engine],
  speakerLabels: { speakers: 0, segments: [] },
};
const slow = <T>(value: T, ms = 30) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const fakes: Partial<LocalEngines> = {
  prober: { probe: () => slow(probed) },
  extractor: { extract: (_s, target) => slow({ audio: target, format: "wav" as const, sampleRate: 16000, channels: 1, durationMs: 4000, engine }) },
  shots: { detect: () => slow({ durationMs: 4000, width: 2, height: 2, shots: [], frames: [], engine }) },
  labels: { detect: () => slow({ frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 90 }] }], engine }) },
  moderation: { detect: () => slow({ frames: [], engine }) },
  text: { detect: async () => ({ frames: [], engine }) },
  transcriber: { transcribe: () => slow(transcript) },
};

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

async function setup(options: EventsStreamOptions = {}, runtimeOptions: { routes?: [] } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sse-"));
  const rt = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), workers: 2 }, {}, dir), { engines: fakes, baseBackoffMs: 5, ...runtimeOptions });
  cleanup.push(() => rt.close());
  const server = await mount(rt, [eventsModule(options)]);
  cleanup.push(() => server.close());
  const input = path.join(dir, "in.mp4");
  writeFileSync(input, "fake media");
  return { rt, server, input };
}

// ---- an SSE client parsed by hand from fetch's body reader ----

interface Message { id?: string; data?: string; retry?: string; comment?: string }

function sse(baseUrl: string, query: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  const response = fetch(`${baseUrl}/events${query}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers }, signal: abort.signal });
  const pump = (async () => {
    const res = await response;
    if (!res.ok || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        let at: number;
        while ((at = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, at);
          text = text.slice(at + 2);
          const m: Message = {};
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, "");
            if (field === "") m.comment = value;
            else if (field === "id" || field === "data" || field === "retry") m[field] = value;
          }
          messages.push(m);
        }
        for (const w of waiters.splice(0)) w();
      }
    } catch {
      // aborted by the test
    } finally {
      ended = true;
      for (const w of waiters.splice(0)) w();
    }
  })();
  const events = () => messages.filter((m) => m.data !== undefined).map((m) => ({ seq: Number(m.id), event: JSON.parse(m.data!) as { "detail-type": string; detail: { mediaId: string } } }));
  return {
    response, messages, events, abort: () => abort.abort(), done: pump, isEnded: () => ended,
    /** Resolves once `test` holds, failing after `ms`. */
    async until(test: () => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!test()) {
        if (ended) throw new Error(`stream ended first; got ${JSON.stringify(messages)}`);
        if (Date.now() > deadline) throw new Error(`timed out; got ${messages.length} messages`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
}

const PATTERN = { source: ["media-pipeline"], "detail-type": [{ "anything-but": ["Media Received", "Scenes Summarized"] }] };
const q = (pattern: unknown) => `?pattern=${encodeURIComponent(JSON.stringify(pattern))}`;

describe("GET /events", () => {
  it("streams the flow's events filtered by the pattern, and a client reconnecting with Last-Event-ID gets each exactly once", async () => {
    const { rt, server, input } = await setup();
    const first = sse(server.baseUrl, q(PATTERN));
    expect((await first.response).headers.get("content-type")).toMatch(/^text\/event-stream/);
    await first.until(() => first.messages.some((m) => m.retry !== undefined));
    const mediaId = await rt.ingest(input);

    // Cut off mid-flow: two events in, most of the flow still to run.
    await first.until(() => first.events().length >= 2);
    first.abort();
    await first.done;
    const before = first.events();
    const lastId = String(before.at(-1)!.seq);
    const matcher = compilePattern(PATTERN);
    const matchingAfter = (seq: number) =>
      rt.store.events.page(seq, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).filter((r) => matcher.match(JSON.parse(r.body))).length;
    // Let the flow run on while no one listens, so the reconnect has a backlog to replay.
    while (matchingAfter(Number(lastId)) < 2) await new Promise((r) => setTimeout(r, 5));
    const logEndAtReconnect = rt.store.events.lastSeq();

    const second = sse(server.baseUrl, q(PATTERN), { "last-event-id": lastId });
    await second.until(() => second.events().some((e) => e.event["detail-type"] === "Analysis Completed"));
    expect((await rt.outcome(mediaId)).kind).toBe("completed");
    const received = [...before, ...second.events()];
    expect(second.events()[0]!.seq).toBeLessThanOrEqual(logEndAtReconnect);
    expect(second.events().at(-1)!.seq).toBeGreaterThan(logEndAtReconnect);

    const all = rt.store.events.page(0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const expected = all.filter((r) => matcher.match(JSON.parse(r.body)));
    expect(received.map((r) => r.seq)).toEqual(expected.map((r) => r.seq));
    expect(received.map((r) => r.event)).toEqual(expected.map((r) => JSON.parse(r.body)));
    const types = received.map((r) => r.event["detail-type"]);
    expect(types).not.toContain("Media Received");
    expect(types).not.toContain("Scenes Summarized");
    expect(types).toContain("Media Probed");
    expect(all.length).toBeGreaterThan(expected.length);
    second.abort();
  });

  it("loses nothing and repeats nothing across many reconnects while events are being published", async () => {
    const { rt, server } = await setup({ pageSize: 3 }, { routes: [] });
    const publish = (i: number) => {
      const mediaId = newMediaId();
      return rt.bus.publish("Media Received", {
        version: 1, mediaId, correlationId: `c${i}`, source: { bucket: "media", key: `uploads/${mediaId}/f` }, filename: "f", sizeBytes: i,
      });
    };
    const pattern = { detail: { sizeBytes: [{ numeric: [">=", 0] }] } };
    // A backlog first, so that catching up takes many pages while the publisher keeps going.
    const backlog = 150;
    for (let i = 0; i < backlog; i++) await publish(i);
    let stop = false;
    const total = 450;
    const publisher = (async () => {
      for (let i = backlog; i < total && !stop; i++) {
        await publish(i);
        if (i % 2 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const whole = sse(server.baseUrl, q(pattern), { "last-event-id": "0" });
    const seqs: number[] = [];
    let last = "0";
    while (seqs.length < total) {
      const client = sse(server.baseUrl, q(pattern), { "last-event-id": last });
      const want = Math.min(total, seqs.length + 37);
      await client.until(() => seqs.length + client.events().length >= want);
      client.abort();
      await client.done;
      const got = client.events();
      seqs.push(...got.map((e) => e.seq));
      last = String(got.at(-1)!.seq);
    }
    await whole.until(() => whole.events().length >= total);
    whole.abort();
    stop = true;
    await publisher;
    const all = Array.from({ length: total }, (_, i) => i + 1);
    expect(seqs).toEqual(all);
    expect(whole.events().map((e) => e.seq)).toEqual(all);
  });

  it("refuses an invalid pattern with the matcher's reason", async () => {
    const { server } = await setup();
    const res = await fetch(`${server.baseUrl}/events${q({ "detail-type": "Media Probed" })}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_pattern");
    expect(body.error.message).toContain("detail-type");
    const notJson = await fetch(`${server.baseUrl}/events?pattern=%7Bnope`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const badId = await fetch(`${server.baseUrl}/events`, { headers: { authorization: `Bearer ${TOKEN}`, "last-event-id": "abc" } });
    expect(badId.status).toBe(400);
    expect((await fetch(`${server.baseUrl}/events`)).status).toBe(401);
  });

  it("sends heartbeats and a retry hint, and leaves no listener behind when the client goes away", async () => {
    const { rt, server } = await setup({ heartbeatMs: 40, retryMs: 1234 });
    const baseline = rt.bus.listenerCount("event");
    const client = sse(server.baseUrl, "");
    await client.until(() => client.messages.filter((m) => m.comment === "heartbeat").length >= 2);
    expect(client.messages[0]).toEqual({ retry: "1234" });
    expect(rt.bus.listenerCount("event")).toBe(baseline + 1);
    client.abort();
    await client.done;
    const deadline = Date.now() + 2000;
    while (rt.bus.listenerCount("event") !== baseline && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(rt.bus.listenerCount("event")).toBe(baseline);
  });

  it("ends open streams when the server starts closing", async () => {
    const { rt, server } = await setup();
    const baseline = rt.bus.listenerCount("event");
    const clients = [sse(server.baseUrl, ""), sse(server.baseUrl, q(PATTERN))];
    for (const c of clients) await c.until(() => c.messages.length > 0);
    expect(rt.bus.listenerCount("event")).toBe(baseline + 2);
    server.signalClosing();
    await Promise.all(clients.map((c) => c.done));
    expect(clients.every((c) => c.isEnded())).toBe(true);
    expect(rt.bus.listenerCount("event")).toBe(baseline);
  });
});
