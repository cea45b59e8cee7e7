import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  NonRetryableError, RetryableError, type AnyPipelineEvent, type EngineCallOptions, type ProbeResult, type TranscriptDocument,
} from "@media-pipeline/core";
import {
  LocalObjectStore, loadConfig, openLocalRuntime, type DeliveryNotice, type LocalEngines, type LocalRuntime,
} from "../packages/local/src/index.js";
import { createFfmpegAudioExtractor } from "../packages/media/src/index.js";
import { tempDir, typesOf } from "./helpers/flow.js";
import { makeAudioOnly } from "./helpers/media.js";

/*
 * Faults on the real local runtime (durable bus, SQLite state, object store), with fake engines where
 * the models are beside the point. In every case one media item ("bad") meets the fault and a second,
 * healthy one ("good") runs in the same runtime at the same time and must complete untouched.
 */

const engine = { name: "fake", version: "0" };
const probe = (kind: "video" | "audio"): ProbeResult => ({
  kind, durationMs: 3000, sizeBytes: 10, container: kind === "video" ? "mp4" : "wav", hasVideo: kind === "video", hasAudio: true, engine,
  streams: [{ index: 0, type: kind, codec: "x" }],
});
const transcript: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [], speakers: [], segments: [], speech: [], engine, engines: [engine],
  speakerLabels: { speakers: 0, segments: [] },
};

/** The media item a fault is aimed at: its object key carries the file name it was ingested under. */
const isBad = (ref: { key: string }) => ref.key.includes("bad");

function fakes(over: Partial<LocalEngines> = {}): Partial<LocalEngines> {
  return {
    prober: { probe: async () => probe("video") },
    extractor: { extract: async (_s, target) => ({ audio: target, format: "wav", sampleRate: 16000, channels: 1, durationMs: 3000, engine }) },
    shots: { detect: async () => ({ durationMs: 3000, width: 2, height: 2, shots: [], frames: [], engine }) },
    labels: { detect: async () => ({ frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 90 }] }], engine }) },
    moderation: { detect: async () => ({ frames: [], engine }) },
    text: { detect: async () => ({ frames: [], engine }) },
    transcriber: { transcribe: async () => transcript },
    ...over,
  };
}

const open: LocalRuntime[] = [];
const mounts: string[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close().catch(() => {});
  for (const m of mounts.splice(0)) unmount(m);
});
afterAll(() => {
  for (const m of mounts.splice(0)) unmount(m);
});

async function start(dir: string, engines: Partial<LocalEngines>, o: { maxAttempts?: number; env?: NodeJS.ProcessEnv; dataDir?: string } = {}) {
  const config = loadConfig({ dataDir: o.dataDir ?? path.join(dir, "data"), workers: 4 }, o.env ?? {}, dir);
  const rt = await openLocalRuntime(config, { engines, baseBackoffMs: 5, maxAttempts: o.maxAttempts ?? 3 });
  open.push(rt);
  const notices: DeliveryNotice[] = [];
  rt.bus.on("delivery", (n: DeliveryNotice) => notices.push(n));
  return { rt, notices };
}

function inputs(dir: string): { bad: string; good: string } {
  const bad = path.join(dir, "bad.mp4");
  const good = path.join(dir, "good.mp4");
  writeFileSync(bad, "not media; the fake prober does not look");
  writeFileSync(good, "not media either");
  return { bad, good };
}

/** Ingests both and waits for both outcomes: they run side by side in one runtime. */
async function both(rt: LocalRuntime, files: { bad: string; good: string }) {
  const bad = await rt.ingest(files.bad);
  const good = await rt.ingest(files.good);
  const [b, g] = await Promise.all([rt.outcome(bad), rt.outcome(good)]);
  return { bad, good, badOutcome: b, goodOutcome: g };
}

/** The healthy media item went through every stage with nothing failed, each event once. */
function expectHealthy(rt: LocalRuntime, mediaId: string, outcome: Awaited<ReturnType<LocalRuntime["outcome"]>>) {
  expect(outcome.kind).toBe("completed");
  if (outcome.kind !== "completed") return;
  expect(outcome.event.detail.status).toBe("completed");
  const types = typesOf(rt.bus.eventsOf(mediaId));
  expect(types).not.toContain("Stage Failed");
  expect(new Set(types).size).toBe(types.length);
}

/** Every delivery ends within 20 s: none stays owed (some may still be waiting out a backoff when a report lands). */
async function expectDrained(rt: LocalRuntime) {
  const drainBy = Date.now() + 20_000;
  while (rt.bus.pendingCount() > 0 && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 50));
  expect(rt.bus.pendingCount()).toBe(0);
}

function stageFailed(rt: LocalRuntime, mediaId: string): AnyPipelineEvent[] {
  return rt.bus.eventsOf(mediaId).filter((e) => e["detail-type"] === "Stage Failed");
}

function deadLetters(rt: LocalRuntime) {
  return rt.db.prepare("SELECT d.route, d.attempts, d.error, e.media_id FROM dead_letters d JOIN events e ON e.seq = d.event_seq ORDER BY d.id").all() as Array<{
    route: string; attempts: number; error: string; media_id: string | null;
  }>;
}

/** Live processes whose command line contains `needle` (read from /proc), or only the stopped ones. */
function processesWith(needle: string, o: { stopped?: boolean } = {}): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = /\) (\S)/.exec(readFileSync(`/proc/${entry}/stat`, "utf8"))?.[1];
      if (cmd.includes(needle) && state !== "Z" && (!o.stopped || state === "T")) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

function mountTmpfs(at: string, size: string): void {
  mkdirSync(at, { recursive: true });
  // Root and mount(8) are required: a real kernel ENOSPC is the point. Fails loudly without them.
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", at]);
  mounts.push(at);
}

function unmount(at: string): void {
  try {
    execFileSync("umount", [at]);
  } catch {
    execFileSync("umount", ["-l", at], { stdio: "ignore" });
  }
}

/** Fills a file system until the kernel says ENOSPC; returns the filler to delete to free the space. */
function fill(dir: string): string {
  const filler = path.join(dir, "filler");
  const chunk = Buffer.alloc(64 * 1024, 1);
  let full = false;
  for (const size of [chunk.length, 4096, 512, 1]) {
    try {
      for (;;) writeFileSync(filler, chunk.subarray(0, size), { flag: "a" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      full = true;
    }
  }
  expect(full).toBe(true);
  return filler;
}

describe("faults: each ends in Stage Failed or the dead-letter table while other media keep flowing", () => {
  it("an engine that throws a non-retryable error: Stage Failed at once, no retry, no dead letter", async () => {
    const dir = await tempDir("fault-nonretry");
    let calls = 0;
    const { rt } = await start(dir, fakes({
      labels: {
        detect: async (input) => {
          if (!isBad(input.source)) return { frames: [], engine };
          calls++;
          throw new NonRetryableError("the label model refused these frames");
        },
      },
    }));
    const r = await both(rt, inputs(dir));
    expectHealthy(rt, r.good, r.goodOutcome);
    expect(r.badOutcome.kind).toBe("completed");
    if (r.badOutcome.kind === "completed") expect(r.badOutcome.event.detail).toMatchObject({ status: "completed-with-failures", stages: { "detect-labels": "failed" } });
    expect(calls).toBe(1);
    expect(stageFailed(rt, r.bad).map((e) => e.detail)).toEqual([
      expect.objectContaining({ stage: "detect-labels", attempts: 1, error: { name: "NonRetryableError", message: "the label model refused these frames" } }),
    ]);
    expect(deadLetters(rt)).toEqual([]);
  });

  it("an engine that keeps throwing a retryable error: retried with backoff, then Stage Failed and a dead letter", async () => {
    const dir = await tempDir("fault-retry");
    let calls = 0;
    const { rt, notices } = await start(dir, fakes({
      moderation: {
        detect: async (input) => {
          if (!isBad(input.source)) return { frames: [], engine };
          calls++;
          throw new RetryableError("moderation engine unavailable");
        },
      },
    }), { maxAttempts: 3 });
    const r = await both(rt, inputs(dir));
    expectHealthy(rt, r.good, r.goodOutcome);
    expect(calls).toBe(3);
    expect(notices.filter((n) => n.mediaId === r.bad && n.stage === "moderate").map((n) => n.status)).toEqual(["start", "retry", "start", "retry", "start", "dead"]);
    expect(stageFailed(rt, r.bad).map((e) => e.detail)).toEqual([
      expect.objectContaining({ stage: "moderate", attempts: 3, error: { name: "RetryableError", message: "moderation engine unavailable" } }),
    ]);
    expect(deadLetters(rt)).toEqual([{ route: "moderate-content", attempts: 3, error: "RetryableError: moderation engine unavailable", media_id: r.bad }]);
  });

  it("an engine that hangs: ended by the stage's timeout on every attempt, then Stage Failed with the reason and a dead letter", async () => {
    const dir = await tempDir("fault-hang");
    const attempts: number[] = [];
    const { rt } = await start(dir, fakes({
      labels: {
        detect: (input) => {
          if (!isBad(input.source)) return Promise.resolve({ frames: [], engine });
          attempts.push(Date.now());
          return new Promise(() => {}); // ignores every signal: only the deadline ends it
        },
      },
    }), { maxAttempts: 2, env: { MEDIA_PIPELINE_STAGE_TIMEOUTS: '{"detect-labels":0.3}' } });
    const started = Date.now();
    const r = await both(rt, inputs(dir));
    expectHealthy(rt, r.good, r.goodOutcome);
    expect(attempts).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(Date.now() - started).toBeLessThan(10_000);
    const reason = "detect-labels took longer than 0.3 s (its timeout); the engine may be stuck";
    expect(stageFailed(rt, r.bad).map((e) => e.detail)).toEqual([
      expect.objectContaining({ stage: "detect-labels", attempts: 2, error: { name: "StageTimeoutError", message: reason } }),
    ]);
    expect(deadLetters(rt)).toEqual([{ route: "detect-labels", attempts: 2, error: `StageTimeoutError: ${reason}`, media_id: r.bad }]);
  });

  it("a hung ffmpeg in the real audio extractor is killed at the timeout: its pid is gone, the stage fails with the reason", async () => {
    const dir = await tempDir("fault-ffmpeg");
    // An ffmpeg that stops itself (SIGSTOP) when asked to transcode the bad file: a process that is
    // alive, holds its files and will never finish. Everything else goes to the real ffmpeg. One
    // binary for both media: fluent-ffmpeg keeps the ffmpeg path in a process-wide setting.
    const stuck = path.join(dir, "stuck-ffmpeg");
    writeFileSync(stuck, `#!/bin/sh\ncase " $* " in *" -i "*bad.wav*) kill -STOP $$ ;; esac\nexec ffmpeg "$@"\n`);
    chmodSync(stuck, 0o755);
    const dataDir = path.join(dir, "data");
    const pathOf = new LocalObjectStore(dataDir).pathOf;
    const ffprobePath = execFileSync("sh", ["-c", "command -v ffprobe"], { encoding: "utf8" }).trim();
    const extractor = createFfmpegAudioExtractor({ pathOf, binaries: { ffmpegPath: stuck, ffprobePath, version: "test", origin: "system" } });
    const signals: Array<AbortSignal | undefined> = [];
    const { rt } = await start(dir, fakes({
      prober: { probe: async () => probe("audio") },
      extractor: {
        extract: (source, target, onProgress, call?: EngineCallOptions) => {
          if (isBad(source)) signals.push(call?.signal);
          return extractor.extract(source, target, onProgress, call);
        },
      },
    }), { maxAttempts: 2, dataDir, env: { MEDIA_PIPELINE_STAGE_TIMEOUTS: '{"extract-audio":2}' } });
    const tone = await makeAudioOnly(dir, "wav", 2);
    // fluent-ffmpeg asks ffmpeg for its formats and encoders once per process; on a loaded machine
    // that alone can take a second, which is not what this test measures.
    const warm = { bucket: "media", key: "warm-up/tone.wav" };
    mkdirSync(path.dirname(pathOf(warm)), { recursive: true });
    copyFileSync(tone.path, pathOf(warm));
    await extractor.extract(warm, { bucket: "media", key: "warm-up/audio.wav" });

    const seen = new Set<number>();
    const watch = setInterval(() => processesWith(stuck, { stopped: true }).forEach((pid) => seen.add(pid)), 25);
    const bad = await rt.ingest(tone.path, { filename: "bad.wav" });
    const good = await rt.ingest(tone.path, { filename: "good.wav" });
    const [badOutcome, goodOutcome] = await Promise.all([rt.outcome(bad), rt.outcome(good)]);
    clearInterval(watch);
    expectHealthy(rt, good, goodOutcome);
    expect(rt.bus.eventsOf(good).map((e) => e["detail-type"])).toContain("Audio Extracted");
    // One stuck process per attempt, each really started and stopped, each killed.
    expect(seen.size).toBe(2);
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s?.aborted)).toBe(true);
    const deadline = Date.now() + 3000;
    while (processesWith(stuck).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(processesWith(stuck)).toEqual([]);
    for (const pid of seen) expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false);

    expect(badOutcome.kind).toBe("completed");
    const reason = "extract-audio took longer than 2 s (its timeout); the engine may be stuck";
    expect(stageFailed(rt, bad).map((e) => e.detail)).toEqual([expect.objectContaining({ stage: "extract-audio", attempts: 2, error: { name: "StageTimeoutError", message: reason } })]);
    expect(deadLetters(rt)).toEqual([{ route: "extract-audio", attempts: 2, error: `StageTimeoutError: ${reason}`, media_id: bad }]);
    // No half-written audio left behind by the killed processes.
    const derived = path.dirname(pathOf({ bucket: "media", key: `derived/${bad}/audio.wav` }));
    expect(existsSync(derived) ? readdirSync(derived).filter((f) => f.includes("audio.wav")) : []).toEqual([]);
  });

  it("an engine that returns garbage: Stage Failed at once with the validation reason", async () => {
    const dir = await tempDir("fault-garbage");
    let calls = 0;
    const badIds = new Set<string>();
    const { rt } = await start(dir, fakes({
      transcriber: {
        // The audio's key names the media item, not the uploaded file: go by the id.
        transcribe: async (input) => {
          if (!badIds.has(input.mediaId)) return transcript;
          calls++;
          return { segments: "lots", speakers: -1 } as never;
        },
      },
    }));
    rt.bus.on("event", (e: AnyPipelineEvent) => {
      if (e["detail-type"] === "Media Received" && isBad(e.detail.source)) badIds.add(e.detail.mediaId);
    });
    const r = await both(rt, inputs(dir));
    expectHealthy(rt, r.good, r.goodOutcome);
    expect(calls).toBe(1);
    const failed = stageFailed(rt, r.bad);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ stage: "transcribe", attempts: 1 });
    expect(JSON.stringify(failed[0]!.detail)).toContain("invalid result");
    expect(deadLetters(rt)).toEqual([]);
  });

  it("a full disk under one media item's outputs (a real tmpfs): Stage Failed and a dead letter saying disk full; a redrive after freeing space completes it", async () => {
    const dir = await tempDir("fault-enospc");
    const dataDir = path.join(dir, "data");
    const { rt, notices } = await start(dir, fakes(), { maxAttempts: 3, dataDir });
    let filler: string | undefined;
    let fullDir: string | undefined;
    // The bus emits the event before any delivery of it starts: mount a full tmpfs where this media
    // item's derived outputs go, so its probe's first write meets a real ENOSPC.
    rt.bus.on("event", (e: AnyPipelineEvent) => {
      if (e["detail-type"] !== "Media Received" || !isBad(e.detail.source)) return;
      fullDir = path.join(rt.objects.root, "media", "derived", e.detail.mediaId);
      mountTmpfs(fullDir, "1m");
      filler = fill(fullDir);
    });
    const r = await both(rt, inputs(dir));
    expectHealthy(rt, r.good, r.goodOutcome);
    expect(fullDir).toBeDefined();

    // The probe could not store its result: the flow of this media item stops there, loudly.
    expect(r.badOutcome).toMatchObject({ kind: "stalled", reason: expect.stringContaining("disk full") });
    const failed = stageFailed(rt, r.bad).map((e) => e.detail as { stage: string; error: { name: string; message: string }; attempts: number });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ stage: "probe", attempts: 3, error: { name: "DiskFullError" } });
    expect(failed[0]!.error.message).toMatch(/^disk full: no space left on device.* \(ENOSPC\)$/);
    const dead = deadLetters(rt);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ route: "probe-received-media", attempts: 3, media_id: r.bad });
    expect(dead[0]!.error).toMatch(/^DiskFullError: disk full: /);
    expect(notices.filter((n) => n.mediaId === r.bad && n.status === "retry")).toHaveLength(2);

    // Space is freed; the dead letter is redriven and the media item completes.
    rmSync(filler!);
    const redriven = rt.redrive();
    expect(redriven).toEqual([expect.objectContaining({ route: "probe-received-media", stage: "probe", mediaId: r.bad, stageReset: true })]);
    const after = await rt.outcome(r.bad);
    expect(after.kind).toBe("completed");
    if (after.kind === "completed") expect(after.event.detail.status).toBe("completed");
    expect(rt.db.prepare("SELECT redriven_at IS NOT NULL AS r FROM dead_letters").all()).toEqual([{ r: 1 }]);
    expect(rt.db.prepare("SELECT status, attempts FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.media_id = ? AND d.route = 'probe-received-media'").get(r.bad)).toEqual({ status: "done", attempts: 1 });
    expect(rt.redrive()).toEqual([]);
  });

  it("a full disk under the database (a real tmpfs): nothing crashes, no delivery is lost, both media complete once space is freed", async () => {
    const dir = await tempDir("fault-dbfull");
    const dataDir = path.join(dir, "data");
    mountTmpfs(dataDir, "8m");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let labelsStarted = false;
    let labelCalls = 0;
    const { rt, notices } = await start(dir, fakes({
      labels: {
        detect: async (input) => {
          if (isBad(input.source)) {
            labelCalls++;
            labelsStarted = true;
            await gate;
          }
          return { frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 90 }] }], engine };
        },
      },
    }), { dataDir });
    const files = inputs(dir);
    const bad = await rt.ingest(files.bad);
    const good = await rt.ingest(files.good);
    while (!labelsStarted) await new Promise((r) => setTimeout(r, 5));
    const filler = fill(dataDir);
    release();
    // Let the runtime meet the full disk for a while: writes fail with SQLITE_FULL / ENOSPC.
    const deadline = Date.now() + 5000;
    while (!notices.some((n) => /disk full/.test(n.error ?? "")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    const reasons = notices.filter((n) => /disk full/.test(n.error ?? "")).map((n) => n.error);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.some((m) => /SQLITE_FULL/.test(m!))).toBe(true);
    rmSync(filler);

    const [b, g] = await Promise.all([rt.outcome(bad), rt.outcome(good)]);
    expectHealthy(rt, good, g);
    expectHealthy(rt, bad, b);
    // The labels result that could not be recorded was redone once space returned, and recorded once.
    expect(labelCalls).toBeGreaterThanOrEqual(1);
    expect(typesOf(rt.bus.eventsOf(bad)).filter((t) => t === "Labels Detected")).toHaveLength(1);
    // Deliveries held back while the disk was full (e.g. a join triggered by a late event) may still be
    // waiting out their backoff when the report lands: they must drain, not stay owed.
    await expectDrained(rt);
    expect(deadLetters(rt)).toEqual([]);
  });

  it("SQLite busy (another connection holds the write lock past busy_timeout): the bus backs off and retries, nothing is lost", async () => {
    const dir = await tempDir("fault-busy");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let labelsStarted = false;
    const { rt, notices } = await start(dir, fakes({
      labels: {
        detect: async (input) => {
          if (isBad(input.source)) {
            labelsStarted = true;
            await gate;
          }
          return { frames: [], engine };
        },
      },
    }));
    // A short busy_timeout so that the lock below outlasts it many times over within a fast test.
    rt.db.pragma("busy_timeout = 50");
    const files = inputs(dir);
    const bad = await rt.ingest(files.bad);
    const good = await rt.ingest(files.good);
    while (!labelsStarted) await new Promise((r) => setTimeout(r, 5));
    const other = new Database(path.join(rt.config.dataDir, "pipeline.db"));
    other.exec("BEGIN IMMEDIATE");
    const lockedAt = Date.now();
    release();
    await new Promise((r) => setTimeout(r, 1200));
    other.exec("COMMIT");
    other.close();

    const busy = notices.filter((n) => /database busy/.test(n.error ?? ""));
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.error).toMatch(/SQLITE_BUSY/);
    const [b, g] = await Promise.all([rt.outcome(bad), rt.outcome(good)]);
    expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(1200);
    expectHealthy(rt, good, g);
    expectHealthy(rt, bad, b);
    // A delivery that met the lock may still be waiting out its backoff when the report lands (its
    // stage done by another trigger): it must drain, not stay owed.
    await expectDrained(rt);
    expect(deadLetters(rt)).toEqual([]);
  });

  it("a poison event (a body that is not JSON, or fails the catalog): dead-lettered at once with the reason", async () => {
    const dir = await tempDir("fault-poison");
    const { rt, notices } = await start(dir, fakes());
    const insert = (body: string, mediaId: string | null) => {
      const seq = Number(rt.db.prepare("INSERT INTO events (id, dedupe_key, detail_type, media_id, body, created_at) VALUES (?, NULL, 'Media Received', ?, ?, ?)")
        .run(`poison-${Math.random()}`, mediaId, body, Date.now()).lastInsertRowid);
      rt.db.prepare("INSERT INTO deliveries (event_seq, route, status, attempts, next_at, updated_at) VALUES (?, 'probe-received-media', 'pending', 0, ?, ?)").run(seq, Date.now(), Date.now());
      return seq;
    };
    const notJson = insert('{"detail-type": "Media Received", "detail": {', null);
    // A whole envelope whose detail breaks the catalog: no source object, a mediaId that is no ULID.
    const envelope = {
      version: "0", id: "3f1c0c6e-4a63-4d0b-9a54-6f0c4c0f9d11", "detail-type": "Media Received", source: "media-pipeline", account: "000000000000",
      time: "2026-01-01T00:00:00Z", region: "local", resources: [], detail: { version: 1, mediaId: "nope", correlationId: "nope", filename: "x.mp4", sizeBytes: 1 },
    };
    const offCatalog = insert(JSON.stringify(envelope), "nope");
    const r = await both(rt, inputs(dir));
    expectHealthy(rt, r.good, r.goodOutcome);
    expectHealthy(rt, r.bad, r.badOutcome);
    const dead = rt.db.prepare("SELECT event_seq, attempts, error FROM dead_letters ORDER BY event_seq").all() as Array<{ event_seq: number; attempts: number; error: string }>;
    expect(dead.map((d) => [d.event_seq, d.attempts])).toEqual([[notJson, 1], [offCatalog, 1]]);
    expect(dead[0]!.error).toMatch(new RegExp(`^PoisonEventError: poison event #${notJson}: its stored body is not JSON`));
    expect(dead[1]!.error).toMatch(new RegExp(`^PoisonEventError: poison event #${offCatalog}: it does not match the event catalog: .*(mediaId|source)`));
    expect(notices.filter((n) => n.seq === notJson || n.seq === offCatalog).map((n) => n.status)).toEqual(["dead", "dead"]);
  });
});
