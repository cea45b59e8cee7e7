import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RetryableError, type ProbeResult, type TranscriptDocument } from "@media-pipeline/core";
import type { LocalEngines } from "../engines/index.js";
import { loadConfig } from "./config.js";
import { openLocalRuntime, RuntimeLockedError, type LocalRuntime } from "./runtime.js";
import { LocalObjectStore, UnsafeKeyError } from "./object-store.js";
import { writeFileSync } from "node:fs";

const engine = { name: "fake", version: "0" };
const probe = (kind: "video" | "audio", hasAudio: boolean): ProbeResult => ({
  kind, durationMs: 4000, sizeBytes: 10, container: "mp4", hasVideo: kind === "video", hasAudio, engine,
  streams: [{ index: 0, type: kind, codec: "x" }],
});
const transcript: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [], speakers: [], segments: [], speech: [], engine, engines: [engine],
  speakerLabels: { speakers: 0, segments: [] },
};

/** Fake engines: the runtime and stage wiring are under test here, not the models. */
function fakes(over: Partial<LocalEngines> = {}): Partial<LocalEngines> {
  return {
    prober: { probe: async () => probe("video", true) },
    extractor: { extract: async (_s, target) => ({ audio: target, format: "wav", sampleRate: 16000, channels: 1, durationMs: 4000, engine }) },
    shots: { detect: async () => ({ durationMs: 4000, width: 2, height: 2, shots: [], frames: [], engine }) },
    labels: { detect: async () => ({ frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 90 }] }], engine }) },
    moderation: { detect: async () => ({ frames: [], engine }) },
    text: { detect: async () => ({ frames: [], engine }) },
    transcriber: { transcribe: async () => transcript },
    ...over,
  };
}

const open: LocalRuntime[] = [];
async function start(dir: string, engines: Partial<LocalEngines>, opts: { maxAttempts?: number; workers?: number } = {}) {
  const { workers, ...rest } = opts;
  const rt = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), workers }, {}, dir), { engines, baseBackoffMs: 5, ...rest });
  open.push(rt);
  return rt;
}
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close().catch(() => {});
});

function input(dir: string) {
  const f = path.join(dir, "in.mp4");
  writeFileSync(f, "not really media; the fake prober does not care");
  return f;
}

describe("local runtime", () => {
  it("retries a retryable engine error with backoff and then completes", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rt-"));
    let calls = 0;
    const rt = await start(dir, fakes({
      labels: { detect: async () => { if (++calls < 3) throw new RetryableError("throttled"); return { frames: [], engine }; } },
    }));
    const id = await rt.ingest(input(dir));
    const outcome = await rt.outcome(id);
    expect(outcome.kind).toBe("completed");
    expect(calls).toBe(3);
    expect((await rt.state.list(id)).find((r) => r.stage === "detect-labels")).toMatchObject({ status: "done", attempts: 3 });
  });

  it("dead-letters a delivery that keeps failing, emits Stage Failed, and still completes the rest", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rt-"));
    const rt = await start(dir, fakes({ moderation: { detect: async () => { throw new Error("engine crashed"); } } }), { maxAttempts: 3 });
    const id = await rt.ingest(input(dir));
    const outcome = await rt.outcome(id);
    expect(outcome.kind).toBe("completed");
    if (outcome.kind !== "completed") return;
    expect(outcome.event.detail).toMatchObject({ status: "completed-with-failures", stages: { moderate: "failed", "detect-labels": "done" } });
    const failed = rt.bus.eventsOf(id).filter((e) => e["detail-type"] === "Stage Failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ stage: "moderate", error: { message: "engine crashed" }, attempts: 3 });
    const dead = rt.bus.deadLetters({ all: true }).map(({ route, attempts, error }) => ({ route, attempts, error }));
    expect(dead).toEqual([{ route: "moderate-content", attempts: 3, error: "Error: engine crashed" }]);
  });

  it("turns an engine's garbage output into Stage Failed at once, without retrying", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rt-"));
    let calls = 0;
    const rt = await start(dir, fakes({ transcriber: { transcribe: async () => { calls++; return { nonsense: true } as never; } } }));
    const id = await rt.ingest(input(dir));
    const outcome = await rt.outcome(id);
    expect(outcome.kind).toBe("completed");
    expect(calls).toBe(1);
    const failed = rt.bus.eventsOf(id).find((e) => e["detail-type"] === "Stage Failed");
    expect(failed?.detail).toMatchObject({ stage: "transcribe" });
    expect(JSON.stringify(failed?.detail)).toContain("invalid result");
  });

  it("finishes after a restart what a stopped runtime left undelivered, doing no finished stage again", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rt-"));
    let probes = 0;
    let stuck = false;
    const never = new Promise<never>(() => {});
    // One worker, and the first stage after probe never returns: the process "dies" mid-stage.
    const first = await start(dir, fakes({
      prober: { probe: async () => { probes++; return probe("video", true); } },
      extractor: { extract: async () => { stuck = true; return never; } },
    }), { workers: 1 });
    const id = await first.ingest(input(dir));
    while (!stuck) await new Promise((r) => setTimeout(r, 5));
    (first.bus as unknown as { running: boolean }).running = false;
    first.db.close();
    open.splice(open.indexOf(first), 1);

    const second = await start(dir, fakes({ prober: { probe: async () => { probes++; return probe("video", true); } } }));
    const outcome = await second.outcome(id);
    expect(outcome.kind).toBe("completed");
    expect(probes).toBe(1);
    const types = second.bus.eventsOf(id).map((e) => e["detail-type"]);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toContain("Audio Extracted");
    expect(second.bus.pendingCount()).toBe(0);
    expect((await second.state.list(id)).find((r) => r.stage === "extract-audio")).toMatchObject({ status: "done", attempts: 2 });
  });

  it("takes video Rekognition cannot read through prepare-video, which hands the upload to the local engines, and says so in the report", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rt-"));
    const webm: ProbeResult = { ...probe("video", true), container: "matroska,webm", streams: [{ index: 0, type: "video", codec: "vp9" }, { index: 1, type: "audio", codec: "opus" }] };
    const seen: unknown[] = [];
    const rt = await start(dir, fakes({
      prober: { probe: async () => webm },
      labels: { detect: async (input) => (seen.push(input), { frames: [], engine }) },
    }));
    const id = await rt.ingest(input(dir));
    const outcome = await rt.outcome(id);
    expect(outcome.kind).toBe("completed");
    const events = rt.bus.eventsOf(id);
    const types = events.map((e) => e["detail-type"]);
    expect(types.indexOf("Video Prepared")).toBeGreaterThan(types.indexOf("Media Probed"));
    expect(types.filter((t) => t === "Video Prepared")).toHaveLength(1);
    const prepared = events.find((e) => e["detail-type"] === "Video Prepared")!;
    const source = (events[0]!.detail as { source: unknown }).source;
    expect(prepared.detail).toMatchObject({ input: "upload", video: source, reason: expect.stringMatching(/^VP9 video in a Matroska\/WebM container: the local engines decode it/) });
    expect(seen).toEqual([expect.objectContaining({ source, analysis: expect.objectContaining({ input: "upload", video: source }) })]);
    if (outcome.kind !== "completed") return;
    expect(outcome.event.detail.stages).toMatchObject({ "prepare-video": "done", "detect-shots": "done", "detect-labels": "done", moderate: "done" });
  });

  it("refuses a second live runtime on the same data directory", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rt-"));
    await start(dir, fakes());
    // The lock holds this process's pid; a different live pid is what another process would write.
    writeFileSync(path.join(dir, "data", "runtime.lock"), String(process.ppid));
    await expect(start(dir, fakes())).rejects.toBeInstanceOf(RuntimeLockedError);
  });
});

describe("local object store", () => {
  const store = new LocalObjectStore("/tmp/objstore-test");
  it.each(["../etc/passwd", "a/../../b", "/abs", "a//b", "a\\b", "a/./b", "nul\0byte", ""])("refuses the unsafe key %j", (key) => {
    expect(() => store.pathOf({ bucket: "media", key })).toThrow(UnsafeKeyError);
  });
  it("refuses a bucket name that could escape the root", () => {
    expect(() => store.pathOf({ bucket: "..", key: "a" })).toThrow(UnsafeKeyError);
  });
  it("maps a normal key, unicode and spaces included, inside its bucket", () => {
    expect(store.pathOf({ bucket: "media", key: "media/x/Ünïcode name.mp4" })).toBe("/tmp/objstore-test/objects/media/media/x/Ünïcode name.mp4");
  });
});
