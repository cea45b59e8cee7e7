import { describe, expect, it } from "vitest";
import { NonRetryableError, RetryableError } from "../errors.js";
import { MemoryStateStore } from "./memory-state-store.js";
import { runOnce, type RunOnceArgs } from "./run-once.js";
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
  it("does the work once and re-publishes the stored event, with the same dedupe key, on a duplicate delivery", async () => {
    const h = harness();
    await runOnce(h, h.args());
    await runOnce(h, h.args());
    expect(h.calls()).toBe(1);
    expect(h.published).toHaveLength(2);
    expect(h.published[0]).toEqual(h.published[1]);
    expect(h.published[0]).toMatchObject({ type: "Shots Detected", key: `${mediaId}/detect-shots/Shots Detected`, detail: { version: 1, mediaId, correlationId: "c1" } });
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
});
