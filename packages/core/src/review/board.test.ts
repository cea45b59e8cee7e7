import { describe, expect, it } from "vitest";
import { holdConflict, presentTask, ReviewConflictError, taskStatus, type TaskHold, taskView } from "./board.js";
import type { ReviewTask } from "./contract.js";

const task: ReviewTask = {
  version: 1, taskId: "m1-review", mediaId: "m1", source: { bucket: "b", key: "media/m1/a.mp4" }, moderation: { bucket: "b", key: "derived/m1/moderation.json" },
  modelDecision: "review", thresholds: { reviewMin: 50, flagMin: 80 },
  segments: [
    { index: 0, startMs: 0, endMs: 1000, category: "Violence", name: "Weapons", parent: "Violence", confidence: 60, decision: "review", keyframe: { bucket: "b", key: "derived/m1/k0.jpg" } },
    { index: 1, startMs: 1000, endMs: 2000, category: "Drugs", name: "Drugs", parent: "", confidence: 85, decision: "flagged" },
  ],
  categories: ["Drugs", "Violence"], createdAt: "2026-12-01T00:00:00.000Z",
};
const open = (over: Partial<TaskHold> = {}): TaskHold => ({ taskId: "m1-review", state: "open", claimedBy: null, claimExpiresMs: null, decision: null, ...over });

describe("the review board's rules", () => {
  it("a claim holds until it expires, and only against others", () => {
    const held = open({ claimedBy: "alice", claimExpiresMs: 2000 });
    expect(taskStatus(held, 1000)).toBe("claimed");
    expect(taskStatus(held, 2000)).toBe("open");
    expect(holdConflict(held, "alice", 1000)).toBeUndefined();
    const conflict = holdConflict(held, "bob", 1000);
    expect(conflict).toBeInstanceOf(ReviewConflictError);
    expect(conflict).toMatchObject({ code: "claimed", holder: "alice" });
    expect(holdConflict(held, "bob", 2000)).toBeUndefined();
  });

  it("a decided or expired task refuses everyone, the decider too", () => {
    const decision = { taskId: "m1-review", verdict: "approved" as const, reviewer: "alice", decidedAt: "2026-12-01T01:00:00.000Z", segments: [] };
    expect(holdConflict(open({ state: "decided", decision }), "alice", 0)).toMatchObject({ code: "decided", holder: "alice", message: expect.stringMatching(/approved by alice/) });
    expect(holdConflict(open({ state: "expired" }), "alice", 0)).toMatchObject({ code: "expired", message: expect.stringMatching(/model's decision stands/) });
    expect(taskStatus(open({ state: "expired", claimedBy: "bob", claimExpiresMs: 10 }), 0)).toBe("expired");
  });

  it("the view shows the holder only while the claim lives, and the answer swaps stored refs for links", () => {
    const view = taskView(task, open({ claimedBy: "alice", claimExpiresMs: 5000 }), "a.mp4", 1000);
    expect(view).toMatchObject({ status: "claimed", claimedBy: "alice", claimExpiresAt: new Date(5000).toISOString(), filename: "a.mp4" });
    expect(taskView(task, open({ claimedBy: "alice", claimExpiresMs: 5000 }), null, 6000)).toMatchObject({ status: "open", claimedBy: null, claimExpiresAt: null });
    const answer = presentTask(view, { media: "https://m/a.mp4?sig", keyframe: (i) => `https://m/k${i}.jpg` });
    expect(answer.mediaUrl).toBe("https://m/a.mp4?sig");
    expect(answer.segmentCount).toBe(2);
    expect(answer.segments[0]).toMatchObject({ keyframeUrl: "https://m/k0.jpg" });
    expect(answer.segments[0]).not.toHaveProperty("keyframe");
    expect(answer.segments[1]).not.toHaveProperty("keyframeUrl");
  });
});
