import { describe, expect, it } from "vitest";
import { nextStepAfter } from "./requeue.js";

const name = "01jd8x7k2m4n6p8q0r2s4t6v8w-review";
const failed = { status: "Failed" as const, humanLoopName: name, failureCode: "TaskExpired", failureReason: "No worker completed the task before it expired." };

describe("the re-queue policy", () => {
  it("re-queues a failed loop until the last allowed attempt, then gives up with A2I's reason", () => {
    expect(nextStepAfter(failed, { attempt: 1, maxAttempts: 3 })).toEqual({ kind: "requeue", attempt: 2 });
    expect(nextStepAfter({ ...failed, humanLoopName: `${name}-2` }, { attempt: 2, maxAttempts: 3 })).toEqual({ kind: "requeue", attempt: 3 });
    const last = nextStepAfter({ ...failed, humanLoopName: `${name}-3` }, { attempt: 3, maxAttempts: 3 });
    expect(last).toEqual({
      kind: "give-up", errorName: "HumanLoopFailedError",
      reason: `Human loop ${name}-3 failed on its last allowed attempt 3 of 3: TaskExpired: No worker completed the task before it expired.`,
    });
    // A lowered maximum ends a review that is already past it.
    expect(nextStepAfter(failed, { attempt: 2, maxAttempts: 1 })).toMatchObject({ kind: "give-up" });
    expect(nextStepAfter(failed, { attempt: 1, maxAttempts: 1 })).toMatchObject({ kind: "give-up" });
  });

  it("never re-queues a stopped loop", () => {
    expect(nextStepAfter({ status: "Stopped", humanLoopName: name }, { attempt: 1, maxAttempts: 3 })).toEqual({
      kind: "give-up", errorName: "HumanLoopStoppedError", reason: `Human loop ${name} was stopped (attempt 1 of 3); stopped loops are not re-queued`,
    });
  });

  it("re-queues a loop stopped on a replaced flow definition while attempts remain", () => {
    const stopped = { status: "Stopped" as const, humanLoopName: name };
    expect(nextStepAfter(stopped, { attempt: 1, maxAttempts: 3, replaced: true })).toEqual({ kind: "requeue", attempt: 2 });
    expect(nextStepAfter(stopped, { attempt: 3, maxAttempts: 3, replaced: true })).toMatchObject({ kind: "give-up", errorName: "HumanLoopStoppedError" });
  });

  it("does not re-queue a loop A2I failed on its input, which a new loop would repeat", () => {
    expect(nextStepAfter({ ...failed, failureCode: "ValidationError", failureReason: "bad input" }, { attempt: 1, maxAttempts: 3 })).toMatchObject({
      kind: "give-up", errorName: "HumanLoopFailedError", reason: expect.stringContaining("ValidationError: bad input"),
    });
  });

  it("has nothing to say about a completed loop", () => {
    expect(() => nextStepAfter({ status: "Completed", humanLoopName: name }, { attempt: 1, maxAttempts: 3 })).toThrow(RangeError);
  });
});
