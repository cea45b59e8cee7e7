import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderResults, writeResults, type BenchRecord } from "../scripts/bench-results.mjs";

const base: BenchRecord = {
  date: "2026-11-23T10:00:00.000Z",
  mode: "quick",
  args: ["--skip-pipeline", "--quick"],
  machine: { cores: 2, cpuModel: "AMD EPYC 7B13", node: "v20.20.2", platform: "linux", arch: "x64" },
  loadAverage: { start: [1.2, 1, 0.8], end: [1.5, 1.1, 0.9] },
  patterns: { routes: 10, eventsPerSecond: 1_370_000, routeMatchesPerSecond: 13_700_000, matched: 99 },
  bus: {
    burst: { count: 5000, secs: 0.93, eventsPerSecond: 5356, p50Ms: 40.2, p99Ms: 80.4 },
    paced: { count: 3000, secs: 3, eventsPerSecond: 1000, p50Ms: 0.09, p99Ms: 0.98 },
  },
};

const full: BenchRecord = {
  ...base,
  mode: "full",
  args: ["--load"],
  pipeline: {
    seconds: 600, videoBytes: 41_200_000, generateSecs: 20.3, decodeSecs: 13.7, decodes: [14.1, 13.7], loadAverage: [1, 1, 1],
    runs: {
      "words off": {
        outcome: "completed", totalSecs: 39.5, realTimeMultiple: 0.0658, decodeMultiple: 2.883, coresBusy: 1.96,
        cpu: { self: 70, children: 7.4 }, stages: { probe: 0.3, "detect-labels": 30.1 }, starts: { probe: 0, "detect-labels": 1.2 },
        engines: {
          "detect-labels": { engine: "human 3.3.6", warmupMs: 2000, msPerFrame: 106, frames: 300 },
          transcribe: { engine: "silero 1", realTimeFactor: 0.026, words: 0, speakers: 2 },
        },
      },
      "words on": {
        outcome: "completed", totalSecs: 171, realTimeMultiple: 0.285, decodeMultiple: 12.48, coresBusy: 1.2,
        cpu: { self: 150, children: 55 }, stages: { probe: 0.4 }, starts: { probe: 0 }, engines: {},
      },
    },
  },
  memory: { seconds: 3600, videoBytes: 90e6, generateSecs: 60, totalSecs: 561, realTimeMultiple: 0.156, peakRssBytes: 1.11e9, peakTreeRssBytes: 1.2e9, targetBytes: 1.5e9 },
  load: {
    count: 100, workers: 2, uploadSecs: 1.0, wallSecs: 142.9, mediaPerMinute: 42, completed: 100, rejected: 0, mediaSeconds: 250,
    statuses: {}, memory: { samples: 1, startRssMiB: 78, peakRssMiB: 330, hwmMiB: 336, treePeakMiB: 475 },
    concurrency: { notices: 1, starts: 1074, retries: 0, dead: 0, maxRunning: 2, maxInflight: 2, workers: 2, maxStageOverlap: 2 },
    stages: { probe: { n: 100, min: 100, p50: 373, p95: 847, max: 900 } },
    endToEndMs: { n: 100, min: 70_000, p50: 140_000, p95: 142_000, max: 142_900 },
  },
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("bench results files", () => {
  it("writes results.json with the very object, and RESULTS.md made from it", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-results-"));
    dirs.push(dir);
    const written = writeResults(path.join(dir, "bench"), full);
    expect(JSON.parse(readFileSync(written.json, "utf8"))).toEqual(full);
    expect(readFileSync(written.md, "utf8")).toBe(renderResults(full));
  });

  it("states when, how and on what machine the figures were measured", () => {
    const md = renderResults(base);
    expect(md).toContain("- date: 2026-11-23T10:00:00.000Z");
    expect(md).toContain("- mode: quick");
    expect(md).toContain("`--skip-pipeline --quick`");
    expect(md).toContain("- ran: pattern matching, durable bus\n");
    expect(md).toContain("2 cores (AMD EPYC 7B13), Node v20.20.2");
    expect(md).toContain("1.20, 1.00, 0.80 at start; 1.50, 1.10, 0.90 at end");
  });

  it("gives the pattern matcher's and the bus's figures, and no pipeline section when it was skipped", () => {
    const md = renderResults(base);
    expect(md).toContain("| pattern matching, every catalog event × 10 routes | 13,700,000 route-matches/s (1,370,000 events/s) |");
    expect(md).toContain("| durable bus, burst of 5,000 events | 5,356 events/s published and delivered (0.93 s; p50 40.2 ms, p99 80.4 ms, queueing included) |");
    expect(md).toContain("| durable bus at a paced 1,000 events/s (3,000 events) | publish→handler p50 0.09 ms, p99 0.98 ms |");
    expect(md).not.toContain("## Pipeline stages");
  });

  it("gives every pipeline, engine, memory and load figure of a full run", () => {
    const md = renderResults(full);
    expect(md).toContain("- mode: full");
    expect(md).toContain("- ran: pattern matching, durable bus, pipeline, 1-hour memory run, load through the server");
    expect(md).toContain("| plain decode (`ffmpeg -i file -f null -`) | 13.7 s (the faster of 14.1 s, 13.7 s) |");
    expect(md).toContain("| pipeline, words off (completed) | 39.5 s = 0.066× real time = 2.88× one plain decode (target ≤ 3×: met); CPU 70.0 s in the process + 7.4 s in ffmpeg/pocketsphinx = 1.96 cores busy |");
    expect(md).toContain("| pipeline, words on (completed) | 171.0 s = 0.285× real time = 12.48× one plain decode (target ≤ 0.2× real time on 2 cores: NOT met); ");
    expect(md).toContain("| detect-labels | 30.1 s (from 1.2 s) | – |");
    expect(md).toContain("| words off | detect-labels | human 3.3.6 | 106.0 ms/frame over 300 frames, warm-up 2,000 ms |");
    expect(md).toContain("| words off | transcribe | silero 1 | real-time factor 0.026, 0 words, 2 speakers |");
    expect(md).toContain("peak resident set 1.11 GB (target < 1.5 GB: met), 1.20 GB with its ffmpeg children; 561.0 s = 0.156× real time");
    expect(md).toContain("100 Analysis Completed, 0 Media Rejected in 142.9 s = 42.0 media/min");
    expect(md).toContain("1074 deliveries, at most 2 at once; 0 retries, 0 dead; server peak RSS 336 MiB (VmHWM), 475 MiB with ffmpeg children");
    expect(md).toContain("| probe | 100 | 373 | 847 | 900 |");
  });

  it("says NOT met when a target is missed", () => {
    const slow = structuredClone(full);
    (slow.pipeline as { runs: Record<string, { decodeMultiple: number }> }).runs["words off"].decodeMultiple = 3.4;
    (slow.memory as { peakRssBytes: number }).peakRssBytes = 1.6e9;
    const md = renderResults(slow);
    expect(md).toContain("(target ≤ 3×: NOT met)");
    expect(md).toContain("(target < 1.5 GB: NOT met)");
  });

  it("says met when words on take at most 0.2× real time, and states no such target for a quick run's short video", () => {
    const fast = structuredClone(full);
    (fast.pipeline as { runs: Record<string, { realTimeMultiple: number }> }).runs["words on"].realTimeMultiple = 0.19;
    expect(renderResults(fast)).toContain("0.190× real time = 12.48× one plain decode (target ≤ 0.2× real time on 2 cores: met); ");
    (fast.pipeline as { seconds: number }).seconds = 60;
    expect(renderResults(fast)).not.toContain("target ≤ 0.2×");
  });
});
