import { describe, expect, it } from "vitest";
import { DiskFullError, NonRetryableError, RetryableError, StageTimeoutError } from "../errors.js";
import { MemoryStateStore } from "./memory-state-store.js";
import { runOnce, startOnce, type RunOnceArgs } from "./run-once.js";
import type { Publish } from "../ports.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";

function harness() {
  const state = new MemoryStateStore();
  const published: Array<{ type: string; detail: Record<string, unknown>; key?: string }> = [];
  const publish: Publish = async (type, detail, options) => {
    published.push({ type, detail: detail as Record<string, unknown>, ...(options?.dedupeKey ? { key: options.dedupeKey } : {}) });
  };
  let calls = 0;
  const args = (over: Partial<RunOnceArgs> = {}): RunOnceArgs => ({
    mediaId, correlationId: "c1", stage: "detect-shots", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
    work: async () => {
      calls++;
      return { emit: [{ type: "Shots Detected", detail: { shots: { bucket: "b", key: "k" }, shotCount: 2, frameCount: 3, engine: { name: "x", version: "1" } } }], facts: { n: 1 } };
    },
    ...over,
  });
  return { state, published, publish, args, calls: () => calls };
}

describe("runOnce", () => {
  it("does the work once, publishes its event with a dedupe key, and publishes nothing on a duplicate delivery", async () => {
    const h = harness();
    await runOnce(h, h.args());
    await runOnce(h, h.args());
    expect(h.calls()).toBe(1);
    expect(h.published).toHaveLength(1);
    expect(h.published[0]).toMatchObject({ type: "Shots Detected", key: `${mediaId}/detect-shots/Shots Detected`, detail: { version: 1, mediaId, correlationId: "c1" } });
    expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "done", published: true });
  });

  it("lets exactly one of two concurrent deliveries do the work", async () => {
    const h = harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = h.args({ work: async () => { await gate; return h.args().work(); } });
    const a = runOnce(h, slow);
    const b = runOnce(h, slow);
    release();
    await Promise.all([a, b]);
    expect(h.calls()).toBe(1);
    expect(h.published).toHaveLength(1);
  });

  it("holds the stage no longer than the delivery can live (holdMs): the retry of a killed run takes it over", async () => {
    const clock = { t: Date.parse("2026-01-01T00:00:00Z") };
    const h = harness();
    const state = new MemoryStateStore(() => clock.t);
    // The first invocation starts and is killed by the platform: its work never ends.
    void runOnce({ ...h, state }, h.args({ ctx: { attempt: 1, finalAttempt: false, timeoutMs: 54_000, deadlineIsFinal: true, holdMs: 60_000 }, work: () => new Promise(() => {}) }));
    await new Promise((r) => setTimeout(r, 10));
    // Within its 60 s a duplicate leaves it alone; once they are over, the retry does the work.
    clock.t += 30_000;
    await runOnce({ ...h, state }, h.args());
    expect(h.calls()).toBe(0);
    clock.t += 31_000;
    await runOnce({ ...h, state }, h.args());
    expect(h.calls()).toBe(1);
    expect((await state.list(mediaId))[0]).toMatchObject({ status: "done", attempts: 2 });
    // Without holdMs the default lease (30 min) would have kept it busy.
    const h2 = harness();
    const state2 = new MemoryStateStore(() => clock.t);
    void runOnce({ ...h2, state: state2 }, h2.args({ work: () => new Promise(() => {}) }));
    await new Promise((r) => setTimeout(r, 10));
    clock.t += 61_000;
    await runOnce({ ...h2, state: state2 }, h2.args());
    expect(h2.calls()).toBe(0);
  });

  it("gives a retryable failure back and throws it, so the next attempt runs the work again", async () => {
    const h = harness();
    await expect(runOnce(h, h.args({ work: async () => { throw new RetryableError("busy"); } }))).rejects.toThrow("busy");
    expect(h.published).toHaveLength(0);
    await runOnce(h, h.args());
    expect(h.calls()).toBe(1);
    expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "done", attempts: 2 });
  });

  it("settles a non-retryable failure as Stage Failed without throwing", async () => {
    const h = harness();
    await runOnce(h, h.args({ work: async () => { throw new NonRetryableError("bad frames"); } }));
    expect(h.published).toEqual([
      expect.objectContaining({ type: "Stage Failed", detail: expect.objectContaining({ stage: "detect-shots", error: { name: "NonRetryableError", message: "bad frames" }, trigger: "Media Probed" }) }),
    ]);
    await runOnce(h, h.args());
    expect(h.calls()).toBe(0);
  });

  it("on the final attempt, turns an unknown error into Stage Failed and still throws it for the dead-letter table", async () => {
    const h = harness();
    await expect(runOnce(h, h.args({ ctx: { attempt: 4, finalAttempt: true }, work: async () => { throw new Error("boom"); } }))).rejects.toThrow("boom");
    expect(h.published.map((p) => p.type)).toEqual(["Stage Failed"]);
  });

  it("ends stuck work at its deadline with StageTimeoutError, aborts the work's signal, and gives the stage back", async () => {
    const h = harness();
    let seen: AbortSignal | undefined;
    const started = Date.now();
    const stuck = h.args({ ctx: { attempt: 1, finalAttempt: false, timeoutMs: 60 }, work: (signal) => { seen = signal; return new Promise(() => {}); } });
    const error = await runOnce(h, stuck).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageTimeoutError);
    expect((error as Error).message).toBe("detect-shots took longer than 0.06 s (its timeout); the engine may be stuck");
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(h.published).toHaveLength(0);
    // Given back: the next delivery runs the work.
    await runOnce(h, h.args());
    expect(h.calls()).toBe(1);
  });

  it("on the final attempt, settles a timeout as Stage Failed with the reason and still throws it", async () => {
    const h = { ...harness(), timeoutMs: 40 };
    const stuck = h.args({ ctx: { attempt: 3, finalAttempt: true }, work: () => new Promise(() => {}) });
    await expect(runOnce(h, stuck)).rejects.toBeInstanceOf(StageTimeoutError);
    expect(h.published).toEqual([
      expect.objectContaining({
        type: "Stage Failed",
        detail: expect.objectContaining({ error: { name: "StageTimeoutError", message: "detect-shots took longer than 0.04 s (its timeout); the engine may be stuck" } }),
      }),
    ]);
    expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "failed" });
  });

  it("settles the stage as failed at a final deadline, with the limit in the reason, and does not throw for a retry", async () => {
    const h = harness();
    let seen: AbortSignal | undefined;
    const ctx = { attempt: 1, finalAttempt: false, timeoutMs: 50, deadlineIsFinal: true, deadlineLabel: "its Lambda time (0.1 s were left)" };
    await runOnce(h, h.args({ ctx, work: (signal) => { seen = signal; return new Promise(() => {}); } }));
    const message = "detect-shots ran out of its Lambda time (0.1 s were left): stopped after 0.05 s; not retried, as a retry would meet the same limit";
    expect(h.published).toEqual([
      expect.objectContaining({ type: "Stage Failed", detail: expect.objectContaining({ stage: "detect-shots", error: { name: "StageTimeoutError", message }, attempts: 1 }) }),
    ]);
    expect(seen?.aborted).toBe(true);
    expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "failed", error: { name: "StageTimeoutError", message } });
    // Settled and published: a redelivery neither runs the work again nor publishes the failure twice.
    await runOnce(h, h.args({ ctx }));
    expect(h.calls()).toBe(0);
    expect(h.published.map((p) => p.type)).toEqual(["Stage Failed"]);
  });

  it("under a final deadline, still throws other retryable errors (and a timeout the work itself raised) for a retry", async () => {
    const ctx = { attempt: 1, finalAttempt: false, timeoutMs: 5_000, deadlineIsFinal: true, deadlineLabel: "its Lambda time" };
    for (const thrown of [new RetryableError("throttled"), new StageTimeoutError("transcribe", 100), new Error("socket hang up")]) {
      const h = harness();
      await expect(runOnce(h, h.args({ ctx, work: async () => { throw thrown; } }))).rejects.toBe(thrown);
      expect(h.published).toEqual([]);
      // Given back for the retry.
      await runOnce(h, h.args());
      expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "done", attempts: 2 });
    }
  });

  it("keeps a deadline without deadlineIsFinal retryable, as the local runtime's are", async () => {
    const h = harness();
    const ctx = { attempt: 1, finalAttempt: false, timeoutMs: 30, deadlineLabel: "ignored unless final" };
    const error = await runOnce(h, h.args({ ctx, work: () => new Promise(() => {}) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageTimeoutError);
    expect((error as StageTimeoutError).final).toBe(false);
    expect((error as Error).message).toBe("detect-shots took longer than 0.03 s (its timeout); the engine may be stuck");
    expect(h.published).toEqual([]);
  });

  it("puts a job's start under a final deadline too, so a start that never answers settles the stage as failed", async () => {
    const h = harness();
    const ctx = { attempt: 1, finalAttempt: false, timeoutMs: 40, deadlineIsFinal: true, deadlineLabel: "its Lambda time" };
    await startOnce({ ...h, leaseMs: 6 * 3600_000 }, { mediaId, correlationId: "c1", stage: "transcribe", trigger: "Audio Extracted", ctx, start: () => new Promise(() => {}) });
    expect(h.published).toEqual([expect.objectContaining({ type: "Stage Failed", detail: expect.objectContaining({ stage: "transcribe" }) })]);
    expect((await h.state.list(mediaId))[0]).toMatchObject({ stage: "transcribe", status: "failed" });
  }, 10_000);

  it("lets a delivery's deadline win over the stage's, and runs without one when neither is set", async () => {
    const h = { ...harness(), timeoutMs: 10 };
    const slow = (ms: number) => async () => { await new Promise((r) => setTimeout(r, ms)); return h.args().work(new AbortController().signal); };
    await runOnce(h, h.args({ ctx: { attempt: 1, finalAttempt: false, timeoutMs: 500 }, work: slow(40) }));
    expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "done" });
    const free = harness();
    await runOnce(free, free.args({ work: slow(40) }));
    expect((await free.state.list(mediaId))[0]).toMatchObject({ status: "done" });
  });

  it("aborts the work's signal when the runtime gives up on the delivery", async () => {
    const h = harness();
    const runtime = new AbortController();
    let seen: AbortSignal | undefined;
    const run = runOnce(h, h.args({
      ctx: { attempt: 1, finalAttempt: false, signal: runtime.signal },
      work: (signal) => { seen = signal; return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new RetryableError("stopped")))); },
    }));
    while (!seen) await new Promise((r) => setTimeout(r, 1));
    expect(seen.aborted).toBe(false);
    runtime.abort(new Error("shutting down"));
    await expect(run).rejects.toThrow("stopped");
    expect(seen?.aborted).toBe(true);
  });

  it("names a full disk: ENOSPC from the work settles as DiskFullError with \"disk full\" on the final attempt", async () => {
    const h = harness();
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", path: "/data/objects/x.json" });
    const error = await runOnce(h, h.args({ ctx: { attempt: 4, finalAttempt: true }, work: async () => { throw enospc; } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).cause).toBe(enospc);
    expect(h.published[0]?.detail).toMatchObject({ error: { name: "DiskFullError", message: "disk full: no space left on device for /data/objects/x.json (ENOSPC)" } });
  });

  it("gives the stage back when recording its success fails, so the retry does the work instead of finding it busy", async () => {
    const h = harness();
    const finish = h.state.finish.bind(h.state);
    h.state.finish = async () => { throw Object.assign(new Error("database or disk is full"), { code: "ENOSPC" }); };
    await expect(runOnce(h, h.args())).rejects.toBeInstanceOf(DiskFullError);
    h.state.finish = finish;
    await runOnce(h, h.args());
    expect(h.calls()).toBe(2);
    expect(h.published.map((p) => p.type)).toEqual(["Shots Detected"]);
  });
});
