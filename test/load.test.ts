import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/flow.js";
import { describeLoad, openReadOnly, runLoad } from "./helpers/load-harness.mjs";
import { auditLog } from "./helpers/log-checks.js";

/*
 * 50 uploads at once through `media-pipeline serve` (a separate process, as a user runs it): small
 * distinct media, a third each video with audio, video only and audio only, word-level speech off.
 * The delivery probe (helpers/delivery-probe.mjs, preloaded) counts deliveries running at once; the
 * kernel's VmHWM gives the server's peak resident memory. `npm run bench -- --load` runs the same
 * harness with more media.
 */

const COUNT = 50;
const WORKERS = 2;
/** Generous: the models (COCO detector + NSFW classifier on WASM) and 50 flows in flight measured ≈ 0.36 GiB. */
const MAX_SERVER_RSS_MIB = 1024;
/** The server and its ffmpeg children together. */
const MAX_TREE_RSS_MIB = 1536;

describe("load through the local server", () => {
  it(`completes ${COUNT} uploads sent at once, with at most ${WORKERS} deliveries running and memory bounded`, async () => {
    const dir = await tempDir("load");
    const r = await runLoad({ dir, count: COUNT, workers: WORKERS, timeoutMs: 300_000, log: (l) => console.info(l) });
    console.info(describeLoad(r));

    // Every upload ended in a report.
    expect(r.completed, r.serverStderr.slice(-2000)).toBe(COUNT);
    expect(r.rejected).toBe(0);
    expect(r.statuses).toEqual({ completed: COUNT });

    // Concurrency bounded by the configured workers, by three witnesses: the probe's count of
    // started-not-ended deliveries, the bus's own in-flight set, and stage runs overlapping in time.
    const internals = "delivery-probe.mjs reads DurableBus's private `opts.workers` and `inflight`: update it if the bus renamed them";
    expect(r.concurrency.workers, internals).toBe(WORKERS);
    expect(r.concurrency.starts).toBeGreaterThan(COUNT * 5); // the probe saw the run (≈ 10 deliveries per media)
    expect(r.concurrency.maxRunning).toBeLessThanOrEqual(WORKERS);
    expect(r.concurrency.maxInflight).toBeLessThanOrEqual(WORKERS);
    expect(r.concurrency.maxStageOverlap).toBeLessThanOrEqual(WORKERS);
    // …and the bound was actually reached: a probe that never saw two at once would prove nothing.
    expect(r.concurrency.maxRunning).toBe(WORKERS);
    expect(r.concurrency.maxInflight, internals).toBe(WORKERS);
    expect(r.concurrency.retries + r.concurrency.dead).toBe(0);

    // Resident memory bounded.
    expect(r.memory.samples).toBeGreaterThan(10);
    expect(r.memory.hwmMiB).toBeGreaterThan(r.memory.startRssMiB);
    expect(r.memory.hwmMiB).toBeLessThan(MAX_SERVER_RSS_MIB);
    expect(r.memory.treePeakMiB).toBeLessThan(MAX_TREE_RSS_MIB);

    // The durable log under load: gapless, nothing owed, nothing dead, each output once per media.
    const db = openReadOnly(r.dataDir);
    try {
      const audit = auditLog(db);
      expect(audit.seqGaps).toEqual([]);
      expect(audit.deliveriesNotDone).toEqual([]);
      expect(audit.deadLetters).toEqual([]);
      expect(audit.stagesNotSettled).toEqual([]);
      expect(Object.keys(audit.media)).toHaveLength(COUNT);
      for (const [id, m] of Object.entries(audit.media)) {
        expect(m.duplicated, id).toEqual([]);
        expect(m.terminal, id).toBe("Analysis Completed");
      }
    } finally {
      db.close();
    }
    // Throughput is reported, not asserted against a target (these machines are noisy); a floor
    // catches a pipeline that has stopped overlapping work at all.
    expect(r.mediaPerMinute).toBeGreaterThan(10);
  }, 400_000);
});
