import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExtractiveSummarizer, type AnyPipelineEvent, type DetailType, type ProbeResult, type TranscriptDocument } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime, type LocalEngines, type LocalRuntime } from "../packages/local/src/index.js";
import { cli } from "./helpers/cli.js";
import { makeTalkingVideo, tempDir } from "./helpers/flow.js";
import { openReadOnly, startServe } from "./helpers/load-harness.mjs";
import { auditLog, snapshot } from "./helpers/log-checks.js";

/*
 * Idempotency, proven on the local runtime: a stage delivered the same event twice (also at once),
 * events delivered out of order, and a whole media item replayed (`media-pipeline replay`), each
 * produce one result and one downstream event. The cloud handlers' counterparts are in
 * packages/functions/src/duplicate-delivery.test.ts.
 */

/** Every file under the data dir's object store, with its bytes' hash and mtime: a stage that re-ran would rewrite one. */
function objectFiles(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dataDir, p)] = `${createHash("sha256").update(readFileSync(p)).digest("hex")} ${statSync(p).mtimeMs}`;
    }
  };
  walk(path.join(dataDir, "objects"));
  return out;
}

describe("replay of a whole media item (media-pipeline replay)", () => {
  let dir: string;
  let dataDir: string;
  let mediaId: string;

  beforeAll(async () => {
    dir = await tempDir("replay");
    dataDir = path.join(dir, "data");
    const video = await makeTalkingVideo(dir);
    const r = await cli(["analyze", video.path, "--data-dir", dataDir, "--out", path.join(dir, "out"), "--quiet"], { env: { MEDIA_PIPELINE_WORDS: "off" }, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const db = openReadOnly(dataDir);
    mediaId = (db.prepare("SELECT media_id FROM media").get() as { media_id: string }).media_id;
    db.close();
  }, 240_000);

  it("re-delivers every event to every route it matches and produces nothing new: log, stage state and report unchanged", async () => {
    const db0 = openReadOnly(dataDir);
    const before = snapshot(db0, mediaId);
    const deliveries = (db0.prepare("SELECT count(*) n FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.media_id = ?").get(mediaId) as { n: number }).n;
    db0.close();
    const files = objectFiles(dataDir);
    expect(before.events.map((e) => (e as { detail_type: string }).detail_type)).toContain("Analysis Completed");

    const r = await cli(["replay", mediaId, "--data-dir", dataDir, "--json"], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      replayed: Array<{ type: string; route: string; status: string }>; produced: unknown[]; stagesChanged: unknown[];
      events: { before: number; after: number }; report: { unchanged: boolean }; settled: boolean; skippedDead: unknown[];
    };
    // Every (event, route) pair the flow delivered was delivered again, and each ran to the end.
    expect(report.replayed).toHaveLength(deliveries);
    expect(report.replayed.every((d) => d.status === "done")).toBe(true);
    expect(new Set(report.replayed.map((d) => d.route))).toEqual(new Set([
      "probe-received-media", "extract-audio", "detect-shots", "detect-labels", "moderate-content", "detect-text", "transcribe-audio", "make-captions",
      "summarize-scenes", "summarize-media", "complete-analysis",
    ]));
    expect(report).toMatchObject({ settled: true, produced: [], stagesChanged: [], skippedDead: [], report: { unchanged: true } });
    expect(report.events.after).toBe(report.events.before);

    // The data dir agrees: the same events (ids, bodies, seqs), the same stage rows (attempts and
    // times included: no stage ran again), the same bytes in every stored object.
    const db = openReadOnly(dataDir);
    try {
      expect(snapshot(db, mediaId)).toEqual(before);
      const audit = auditLog(db);
      expect(audit.seqGaps).toEqual([]);
      expect(audit.deliveriesNotDone).toEqual([]);
      expect(audit.deadLetters).toEqual([]);
      expect(audit.media[mediaId]!.duplicated).toEqual([]);
    } finally {
      db.close();
    }
    expect(objectFiles(dataDir)).toEqual(files);

    // And the text form says so for people.
    const again = await cli(["replay", mediaId, "--data-dir", dataDir], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/all done/);
    expect(again.stdout).toMatch(/Produced nothing new/);
    expect(again.stdout).toMatch(/Stage state unchanged/);
    expect(again.stdout).toMatch(/Report unchanged/);
  }, 240_000);

  it("refuses a malformed or unknown media id, and a data dir a server holds", async () => {
    const malformed = await cli(["replay", "../etc", "--data-dir", dataDir]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/26 lower-case/);
    const unknown = await cli(["replay", "01aaaaaaaaaaaaaaaaaaaaaaaa", "--data-dir", dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No events of media/);

    const server = await startServe({ dataDir, token: "replay-test-token-0123456789" });
    try {
      const locked = await cli(["replay", mediaId, "--data-dir", dataDir]);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/needs the data dir to itself/);
    } finally {
      await server.kill("SIGTERM");
    }
  }, 120_000);
});

// ---- the runtime's handlers on recorded events, with engines that count their calls ------------------

const engine = { name: "fake", version: "0" };
const probe: ProbeResult = {
  kind: "video", durationMs: 4000, sizeBytes: 10, container: "mp4", hasVideo: true, hasAudio: true, engine,
  streams: [{ index: 0, type: "video", codec: "h264" }, { index: 1, type: "audio", codec: "aac" }],
};
const transcript: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [], engine, engines: [engine],
  speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 1000 }],
  segments: [{ speaker: "spk_0", startMs: 0, endMs: 1000, text: "Hello there." }],
  speech: [{ startMs: 0, endMs: 1000 }], speakerLabels: { speakers: 1, segments: [] },
};

type Gate = { wait(mediaId: string): Promise<void> };
const open: Gate = { wait: async () => {} };

/** Fake engines (the wiring is under test, not the models) that count every call, per engine. */
function countingEngines(calls: Record<string, number>, gates: { shots?: Gate; labels?: Gate; transcriber?: Gate } = {}): Partial<LocalEngines> {
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const summarizer = createExtractiveSummarizer();
  return {
    prober: { probe: async () => (count("prober"), probe) },
    extractor: { extract: async (_s, target) => (count("extractor"), { audio: target, format: "wav", sampleRate: 16000, channels: 1, durationMs: 4000, engine }) },
    shots: {
      detect: async (input) => {
        count("shots");
        await (gates.shots ?? open).wait(input.mediaId);
        return { durationMs: 4000, width: 2, height: 2, shots: [], frames: [], engine };
      },
    },
    labels: {
      detect: async (input) => {
        count("labels");
        await (gates.labels ?? open).wait(input.mediaId);
        return { frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 90 }] }], engine };
      },
    },
    moderation: { detect: async () => (count("moderation"), { frames: [], engine }) },
    text: { detect: async () => (count("text"), { frames: [], engine }) },
    transcriber: {
      transcribe: async (input) => {
        count("transcriber");
        await (gates.transcriber ?? open).wait(input.mediaId);
        return transcript;
      },
    },
    summarizer: { summarize: async (scenes) => (count("summarizer"), summarizer.summarize(scenes)) },
  };
}

const runtimes: LocalRuntime[] = [];
afterAll(async () => {
  for (const rt of runtimes.splice(0)) await rt.close().catch(() => {});
});

async function runtimeWith(engines: Partial<LocalEngines>, workers = 4) {
  const dir = await tempDir("idem");
  const rt = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), workers }, {}, dir), { engines });
  runtimes.push(rt);
  const input = path.join(dir, "in.mp4");
  writeFileSync(input, "not media: the fake prober does not read it");
  return { rt, input };
}

/** Resolves when no delivery of the media is pending any more. */
function drained(rt: LocalRuntime, mediaId: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`deliveries of ${mediaId} still pending after ${timeoutMs} ms`));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (rt.bus.pendingCount(mediaId) > 0) return;
      clearInterval(poll);
      clearTimeout(limit);
      resolve();
    }, 10);
  });
}

function deliveryRows(rt: LocalRuntime, mediaId: string) {
  return rt.db.prepare("SELECT d.event_seq seq, d.route FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.media_id = ? ORDER BY d.event_seq, d.route").all(mediaId) as Array<{ seq: number; route: string }>;
}

describe("stage handlers on duplicate and out-of-order deliveries (local runtime)", () => {
  it("runs each engine once and publishes each output once when every event is delivered three times, two of them at once", async () => {
    const calls: Record<string, number> = {};
    const { rt, input } = await runtimeWith(countingEngines(calls));
    const mediaId = await rt.ingest(input);
    expect((await rt.outcome(mediaId)).kind).toBe("completed");
    const once = { ...calls };
    expect(once).toEqual({ prober: 1, extractor: 1, shots: 1, labels: 1, moderation: 1, text: 1, transcriber: 1, summarizer: 1 });
    const before = snapshot(rt.db, mediaId);
    const recorded = rt.bus.eventsOf(mediaId);

    // At-least-once delivery, as EventBridge does it: the same detail again under new envelopes.
    // Two copies of every event, published together, so the duplicates of one event run side by side.
    for (const e of recorded) for (let k = 0; k < 2; k++) await rt.bus.publish(e["detail-type"] as DetailType, e.detail as never);
    await drained(rt, mediaId);

    expect(calls).toEqual(once);
    const after = rt.bus.eventsOf(mediaId);
    // The only new events are the copies themselves: no stage published a second output.
    const copies = after.slice(recorded.length).map((e) => e["detail-type"]);
    expect(copies).toEqual(recorded.flatMap((e) => [e["detail-type"], e["detail-type"]]));
    expect(snapshot(rt.db, mediaId).stages).toEqual(before.stages);
    const audit = auditLog(rt.db);
    expect(audit.deliveriesNotDone).toEqual([]);
    expect(audit.deadLetters).toEqual([]);
    expect(audit.seqGaps).toEqual([]);
  });

  it("changes nothing when the recorded deliveries run again in reverse and in shuffled order, one at a time", async () => {
    const calls: Record<string, number> = {};
    const { rt, input } = await runtimeWith(countingEngines(calls));
    const mediaId = await rt.ingest(input);
    expect((await rt.outcome(mediaId)).kind).toBe("completed");
    const once = { ...calls };
    const before = snapshot(rt.db, mediaId);
    const rows = deliveryRows(rt, mediaId);
    expect(rows.length).toBeGreaterThan(10);

    const shuffled = [...rows].sort(() => Math.random() - 0.5);
    for (const order of [[...rows].reverse(), shuffled]) {
      for (const { seq, route } of order) {
        rt.db.prepare("UPDATE deliveries SET status = 'pending', attempts = 0, next_at = ? WHERE event_seq = ? AND route = ?").run(Date.now(), seq, route);
        rt.bus.wake();
        await drained(rt, mediaId);
      }
    }
    expect(calls).toEqual(once);
    expect(snapshot(rt.db, mediaId)).toEqual(before);
    expect(auditLog(rt.db).deadLetters).toEqual([]);
  });

  it("fires the scene join and the report once whatever order shots, labels and transcript arrive in, duplicates included", async () => {
    const inputs = ["shots", "labels", "transcriber"] as const;
    const outputOf = { shots: "Shots Detected", labels: "Labels Detected", transcriber: "Transcript Ready" } as const;
    const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]].map((o) => o.map((i) => inputs[i]!));
    // Each gate holds its engine until the test releases it, so the three outputs land in a chosen order.
    const released = new Map<string, () => void>();
    const gate = (name: string): Gate => ({ wait: (mediaId) => new Promise<void>((r) => released.set(`${mediaId}/${name}`, r)) });
    const calls: Record<string, number> = {};
    const { rt, input } = await runtimeWith(countingEngines(calls, { shots: gate("shots"), labels: gate("labels"), transcriber: gate("transcriber") }));
    const until = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    for (const order of orders) {
      const mediaId = await rt.ingest(input);
      await until("all three engines waiting", () => inputs.every((n) => released.has(`${mediaId}/${n}`)));
      for (const name of order) {
        released.get(`${mediaId}/${name}`)!();
        const type = outputOf[name];
        let event: AnyPipelineEvent | undefined;
        await until(type, () => (event = rt.bus.eventsOf(mediaId).find((e) => e["detail-type"] === type)) !== undefined);
        // A late duplicate of the output that just landed: one more trigger for the join.
        await rt.bus.publish(type, event!.detail as never);
      }
      const outcome = await rt.outcome(mediaId);
      expect(outcome.kind, order.join(" → ")).toBe("completed");
      await drained(rt, mediaId);

      const types = rt.bus.eventsOf(mediaId).map((e) => e["detail-type"]);
      // The outputs landed in the order asked for (each followed by its duplicate).
      const landed = types.filter((t) => Object.values(outputOf).includes(t as never));
      expect(landed, order.join(" → ")).toEqual(order.flatMap((n) => [outputOf[n], outputOf[n]]));
      expect(types.filter((t) => t === "Scenes Summarized"), order.join(" → ")).toHaveLength(1);
      expect(types.filter((t) => t === "Analysis Completed"), order.join(" → ")).toHaveLength(1);
      const stages = await rt.state.list(mediaId);
      expect(stages.find((s) => s.stage === "summarize-scenes"), order.join(" → ")).toMatchObject({ status: "done", attempts: 1 });
      expect(stages.find((s) => s.stage === "complete-analysis"), order.join(" → ")).toMatchObject({ status: "done", attempts: 1 });
    }
    // One engine call per media for every engine: the join ran its summary once per media.
    expect(calls).toEqual(Object.fromEntries(["prober", "extractor", "shots", "labels", "moderation", "text", "transcriber", "summarizer"].map((k) => [k, orders.length])));
    expect(auditLog(rt.db).deadLetters).toEqual([]);
  });
});
