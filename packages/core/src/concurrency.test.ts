import { describe, expect, it } from "vitest";
import { forEachLimited } from "./concurrency.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("forEachLimited", () => {
  it("runs every item once, in order of start, never more than the limit at a time", async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await forEachLimited([10, 11, 12, 13, 14, 15, 16], 3, async (item, i) => {
      expect(item).toBe(10 + i);
      started.push(i);
      peak = Math.max(peak, ++running);
      await tick();
      running--;
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(3);
  });

  it("rejects with the first failure and starts nothing after it", async () => {
    const started: number[] = [];
    await expect(
      forEachLimited([0, 1, 2, 3, 4, 5], 2, async (i) => {
        started.push(i);
        await tick();
        if (i === 1) throw new Error("item 1 failed");
      }),
    ).rejects.toThrow("item 1 failed");
    await tick();
    await tick();
    // 0 and 1 ran together; 2 started when 0 finished, before 1 failed; nothing after.
    expect(started).toEqual([0, 1, 2]);
  });

  it("does nothing for no items and treats a limit under 1 as 1", async () => {
    await forEachLimited([], 4, async () => expect.unreachable());
    const seen: number[] = [];
    await forEachLimited([1, 2], 0, async (i) => void seen.push(i));
    expect(seen).toEqual([1, 2]);
  });
});
