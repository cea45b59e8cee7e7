import { describe, expect, it } from "vitest";
import { NonRetryableError } from "../errors.js";
import type { Publish, StageOutput } from "../ports.js";
import { MemoryStateStore } from "./memory-state-store.js";
import { completeOnce, runOnce, startOnce, type RunOnceArgs } from "./run-once.js";

/*
 * A settled stage's events are published once: a delivery that finds the stage settled and published
 * adds nothing, and one that finds it settled but unpublished (the publisher stopped between the
 * state write and the publish) publishes the stored events, under the keys the first try used.
 */

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const shotsKey = `${mediaId}/detect-shots/Shots Detected`;

function harness() {
  const state = new MemoryStateStore();
  /** Every event that reached the bus. */
  const published: Array<{ type: string; detail: Record<string, unknown>; key?: string }> = [];
  /** The dedupe key of every publish tried, including those the bus refused. */
  const tried: Array<string | undefined> = [];
  let refuse = 0;
  const publish: Publish = async (type, detail, options) => {
    tried.push(options?.dedupeKey);
    if (refuse > 0) {
      refuse--;
      throw new Error("bus unreachable");
    }
    published.push({ type, detail: detail as Record<string, unknown>, ...(options?.dedupeKey ? { key: options.dedupeKey } : {}) });
  };
  let calls = 0;
  const args = (over: Partial<RunOnceArgs> = {}): RunOnceArgs => ({
    mediaId, correlationId: "c1", stage: "detect-shots", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
    work: async () => {
      calls++;
      return { emit: [{ type: "Shots Detected", detail: { shots: { bucket: "b", key: "k" }, shotCount: 2, frameCount: 3, engine: { name: "x", version: "1" } } }] };
    },
    ...over,
  });
  const failing = (over: Partial<RunOnceArgs> = {}) => args({ work: async () => { calls++; throw new NonRetryableError("bad frames"); }, ...over });
  const record = async (stage = "detect-shots") => (await state.list(mediaId)).find((r) => r.stage === stage)!;
  /** The bus refuses the next `n` publishes, as if the publisher stopped before reaching it. */
  const stopPublisher = (n = 1) => void (refuse = n);
  // No wait for a publisher that might still be at work: here the one that settled the stage has stopped.
  return { state, publishWaitMs: 0, published, tried, publish, args, failing, record, stopPublisher, calls: () => calls };
}

/** The stored events as the bus should receive them. */
function asPublished(stage: string, output: StageOutput | undefined) {
  return (output?.events ?? []).map((e) => ({ type: e.type, detail: e.detail, key: `${mediaId}/${stage}/${e.type}` }));
}

describe("runOnce publishing a settled stage", () => {
  it("publishes the stored event once, under the same dedupe key, when a delivery finds the stage done but unpublished", async () => {
    const h = harness();
    h.stopPublisher();
    await expect(runOnce(h, h.args())).rejects.toThrow("bus unreachable");
    expect(await h.record()).toMatchObject({ status: "done", published: false });
    expect(h.published).toEqual([]);

    await runOnce(h, h.args());
    expect(h.calls()).toBe(1);
    expect(h.published).toEqual(asPublished("detect-shots", (await h.record()).output));
    expect(h.published[0]).toMatchObject({ key: shotsKey, detail: { mediaId, correlationId: "c1", shotCount: 2 } });
    expect(h.tried).toEqual([shotsKey, shotsKey]);
    expect(await h.record()).toMatchObject({ status: "done", published: true });

    await runOnce(h, h.args());
    expect(h.published).toHaveLength(1);
    expect(h.calls()).toBe(1);
  });

  it("keeps mending while the publisher keeps stopping, and stops once a publish got through", async () => {
    const h = harness();
    h.stopPublisher(2);
    await expect(runOnce(h, h.args())).rejects.toThrow("bus unreachable");
    await expect(runOnce(h, h.args())).rejects.toThrow("bus unreachable");
    expect(await h.record()).toMatchObject({ published: false });
    await runOnce(h, h.args());
    await runOnce(h, h.args());
    expect(h.tried).toEqual([shotsKey, shotsKey, shotsKey]);
    expect(h.published.map((p) => p.type)).toEqual(["Shots Detected"]);
    expect(h.calls()).toBe(1);
  });

  it("publishes a failed stage's stored Stage Failed once when a delivery finds it failed but unpublished", async () => {
    const h = harness();
    h.stopPublisher();
    await expect(runOnce(h, h.failing())).rejects.toThrow("bus unreachable");
    expect(await h.record()).toMatchObject({ status: "failed", published: false, error: { name: "NonRetryableError", message: "bad frames" } });

    await runOnce(h, h.failing());
    await runOnce(h, h.failing());
    expect(h.calls()).toBe(1);
    expect(h.published).toEqual(asPublished("detect-shots", (await h.record()).output));
    expect(h.published).toEqual([
      expect.objectContaining({ type: "Stage Failed", key: `${mediaId}/detect-shots/Stage Failed`, detail: expect.objectContaining({ error: { name: "NonRetryableError", message: "bad frames" } }) }),
    ]);
    expect(await h.record()).toMatchObject({ status: "failed", published: true });
  });

  it("does not fail the delivery when recording the publish fails, and leaves the stage to be mended", async () => {
    const h = harness();
    h.state.markPublished = async () => { throw new Error("database is locked"); };
    await runOnce(h, h.args());
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
    expect(await h.record()).toMatchObject({ status: "done", published: false });
    // Not recorded, so the next delivery publishes it again (the bus drops it by its key) instead of losing it.
    await runOnce(h, h.args());
    expect(h.published.map((p) => p.key)).toEqual([shotsKey, shotsKey]);
    expect(h.calls()).toBe(1);
  });

  it("does not fail a failed stage's delivery, nor its mend, when recording the publish fails", async () => {
    const h = harness();
    h.state.markPublished = async () => { throw new Error("database is locked"); };
    await runOnce(h, h.failing());
    await runOnce(h, h.failing());
    expect(h.published.map((p) => p.type)).toEqual(["Stage Failed", "Stage Failed"]);
    expect(h.calls()).toBe(1);
  });
});

describe("startOnce and completeOnce publishing a settled stage", () => {
  const jobArgs = (start: () => Promise<void>) => ({
    mediaId, correlationId: "c1", stage: "detect-shots" as const, trigger: "Media Probed" as const, ctx: { attempt: 1, finalAttempt: false }, start,
  });

  it("completeOnce: a duplicate notice finding the stage done but unpublished publishes the stored event once", async () => {
    const h = harness();
    let starts = 0;
    await startOnce(h, jobArgs(async () => void starts++));
    h.stopPublisher();
    await expect(completeOnce(h, h.args())).rejects.toThrow("bus unreachable");
    expect(await h.record()).toMatchObject({ status: "done", published: false });

    await completeOnce(h, h.args());
    await completeOnce(h, h.args());
    expect(h.calls()).toBe(1);
    expect(h.published).toEqual(asPublished("detect-shots", (await h.record()).output));
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
    expect(await h.record()).toMatchObject({ published: true });
    expect(starts).toBe(1);
  });

  it("completeOnce: a duplicate notice finding the stage failed but unpublished publishes Stage Failed once", async () => {
    const h = harness();
    await startOnce(h, jobArgs(async () => undefined));
    h.stopPublisher();
    await expect(completeOnce(h, h.failing())).rejects.toThrow("bus unreachable");
    await completeOnce(h, h.failing());
    await completeOnce(h, h.failing());
    expect(h.calls()).toBe(1);
    expect(h.published.map((p) => p.key)).toEqual([`${mediaId}/detect-shots/Stage Failed`]);
    expect(await h.record()).toMatchObject({ status: "failed", published: true });
  });

  it("startOnce: a trigger delivered again after an unpublished completion publishes the stored event once and starts nothing", async () => {
    const h = harness();
    let starts = 0;
    const start = jobArgs(async () => void starts++);
    await startOnce(h, start);
    h.stopPublisher();
    await expect(completeOnce(h, h.args())).rejects.toThrow("bus unreachable");

    await startOnce(h, start);
    await startOnce(h, start);
    expect(starts).toBe(1);
    expect(h.published).toEqual(asPublished("detect-shots", (await h.record()).output));
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
    expect(await h.record()).toMatchObject({ status: "done", published: true });
  });

  it("startOnce: a trigger delivered again after a start that failed unpublished publishes Stage Failed once", async () => {
    const h = harness();
    let starts = 0;
    const start = jobArgs(async () => { starts++; throw new NonRetryableError("InvalidS3ObjectException"); });
    h.stopPublisher();
    await expect(startOnce(h, start)).rejects.toThrow("bus unreachable");
    expect(await h.record()).toMatchObject({ status: "failed", published: false });

    await startOnce(h, start);
    await startOnce(h, start);
    expect(starts).toBe(1);
    expect(h.published).toEqual([
      expect.objectContaining({ type: "Stage Failed", key: `${mediaId}/detect-shots/Stage Failed`, detail: expect.objectContaining({ error: { name: "NonRetryableError", message: "InvalidS3ObjectException" } }) }),
    ]);
    expect(await h.record()).toMatchObject({ published: true });
  });

  it("startOnce and completeOnce publish nothing for a stage settled and published", async () => {
    const h = harness();
    let starts = 0;
    const start = jobArgs(async () => void starts++);
    await startOnce(h, start);
    await completeOnce(h, h.args());
    await startOnce(h, start);
    await completeOnce(h, h.args());
    expect(starts).toBe(1);
    expect(h.calls()).toBe(1);
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
  });
});

describe("a delivery that finds its stage settled moments ago but not yet published", () => {
  it("waits for the delivery that settled it to publish, and publishes nothing itself", async () => {
    const h = harness();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // The first delivery's publish is slow: the second trigger arrives between its state write and its publish.
    const slow: Publish = async (type, detail, options) => {
      await gate;
      await h.publish(type, detail, options);
    };
    const first = runOnce({ ...h, publish: slow, publishWaitMs: 5_000 }, h.args());
    while ((await h.state.list(mediaId)).every((r) => r.status !== "done")) await new Promise((r) => setTimeout(r, 5));
    const second = runOnce({ ...h, publishWaitMs: 5_000 }, h.args());
    await new Promise((r) => setTimeout(r, 300));
    expect(h.published).toEqual([]);
    open();
    await Promise.all([first, second]);
    expect(h.calls()).toBe(1);
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
    expect(await h.record()).toMatchObject({ status: "done", published: true });
  });

  it("publishes the stored events itself once the wait passes without a publish", async () => {
    const h = harness();
    h.stopPublisher();
    await expect(runOnce(h, h.args())).rejects.toThrow("bus unreachable");
    const started = Date.now();
    await runOnce({ ...h, publishWaitMs: 400 }, h.args());
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
    expect(await h.record()).toMatchObject({ published: true });
  });

  it("does not wait for a stage settled longer ago than the wait", async () => {
    const clock = { t: Date.now() - 60_000 };
    const h = harness();
    const state = new MemoryStateStore(() => clock.t);
    h.stopPublisher();
    await expect(runOnce({ ...h, state }, h.args())).rejects.toThrow("bus unreachable");
    const started = Date.now();
    await runOnce({ ...h, state, publishWaitMs: 30_000 }, h.args());
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.published.map((p) => p.key)).toEqual([shotsKey]);
  });
});
