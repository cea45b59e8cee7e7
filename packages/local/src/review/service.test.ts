import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildReviewTask, ReviewVerdictError, type ModerationDocument, type Publish } from "@media-pipeline/core";
import { loadConfig } from "../runtime/config.js";
import { LocalObjectStore } from "../runtime/object-store.js";
import { createSqliteReviewQueue } from "../runtime/review-queue.js";
import { openLocalRuntime } from "../runtime/runtime.js";
import { openStore, type Store } from "../store/index.js";
import { parseReviewerTokens, ReviewerConfigError } from "./reviewers.js";
import { ReviewConflictError, ReviewNotFoundError, ReviewService } from "./service.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const taskId = `${mediaId}-review`;
const source = { bucket: "media", key: `media/${mediaId}/clip.mp4` };
const moderation: ModerationDocument = {
  decision: "review", thresholds: { reviewMin: 10, flagMin: 90 }, framesAnalyzed: 4, engine: { name: "nsfwjs", version: "4.4.0" },
  segments: [
    { name: "Explicit Nudity", parent: "Explicit", confidence: 36.2, startMs: 0, endMs: 12_000, frames: 6, decision: "review" },
    { name: "Illustrated Explicit Nudity", parent: "Explicit", confidence: 12.6, startMs: 12_000, endMs: 16_000, frames: 2, decision: "review" },
  ],
};
const task = (id = taskId, media = mediaId, createdAt = new Date("2026-11-23T10:00:00Z")) =>
  buildReviewTask({ taskId: id, mediaId: media, source, moderationRef: { bucket: "media", key: `derived/${media}/moderation.json` }, moderation, createdAt });

let dir: string;
let store: Store;
let clock: number;
let published: Array<{ type: string; detail: Record<string, unknown>; key?: string }>;
let service: ReviewService;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mp-review-"));
  store = openStore(path.join(dir, "pipeline.db"));
  clock = Date.parse("2026-11-23T12:00:00Z");
  published = [];
  const publish: Publish = async (type, detail, o) => void published.push({ type, detail: detail as Record<string, unknown>, ...(o?.dedupeKey ? { key: o.dedupeKey } : {}) });
  service = new ReviewService({ store, blobs: new LocalObjectStore(dir), publish, now: () => new Date(clock), claimMs: 60_000 });
  await createSqliteReviewQueue(store).open(task());
});
afterEach(() => store.close());

describe("ReviewService", () => {
  it("queues open tasks oldest first with counts, and opening a task twice keeps one", async () => {
    const other = "01jd8x7k2m4n6p8q0r2s4t6v8x";
    await createSqliteReviewQueue(store).open(task(`${other}-review`, other, new Date("2026-11-23T09:00:00Z")));
    await createSqliteReviewQueue(store).open(task());
    const { tasks, counts } = service.list();
    expect(tasks.map((t) => t.taskId)).toEqual([`${other}-review`, taskId]);
    expect(counts).toEqual({ open: 2, claimed: 0, decided: 0, expired: 0 });
    expect(tasks[1]).toMatchObject({ status: "open", claimedBy: null, decision: null, segments: [{ index: 0, confidence: 36.2 }, { index: 1, confidence: 12.6 }] });
  });

  it("gives a claim to one reviewer until it expires or is released, and audits each step", () => {
    expect(service.claim(taskId, "alice")).toMatchObject({ status: "claimed", claimedBy: "alice", claimExpiresAt: "2026-11-23T12:01:00.000Z" });
    expect(() => service.claim(taskId, "bob")).toThrow(ReviewConflictError);
    expect(() => service.release(taskId, "bob")).toThrow(/claimed by alice/);
    expect(service.list({ status: "claimed" }).tasks.map((t) => t.claimedBy)).toEqual(["alice"]);
    clock += 30_000;
    expect(service.claim(taskId, "alice").claimExpiresAt).toBe("2026-11-23T12:01:30.000Z"); // renewed
    clock += 91_000; // expired: bob may take it
    expect(service.get(taskId)).toMatchObject({ status: "open", claimedBy: null });
    expect(service.claim(taskId, "bob").claimedBy).toBe("bob");
    expect(service.release(taskId, "bob")).toMatchObject({ status: "open", claimedBy: null });
    expect(service.audit(taskId).map((a) => `${a.reviewer} ${a.action}`)).toEqual(["alice claim", "bob claim", "bob release"]);
    expect(service.audit(taskId)[0]!.at).toBe("2026-11-23T12:00:00.000Z");
  });

  it("decides once: stores the verdict, announces it, and refuses everyone after", async () => {
    service.claim(taskId, "alice");
    await expect(service.decide(taskId, "bob", { verdict: "approved" })).rejects.toMatchObject({ code: "claimed" });
    await expect(service.decide(taskId, "alice", { verdict: "approved", segments: [{ index: 5, outcome: "confirmed" }] })).rejects.toThrow(ReviewVerdictError);
    expect(published).toEqual([]);
    const decision = await service.decide(taskId, "alice", {
      verdict: "rejected", comment: "clearly explicit", segments: [{ index: 1, outcome: "wrong-category", category: "Suggestive" }, { index: 0, outcome: "confirmed" }],
    });
    expect(decision).toEqual({
      taskId, reviewer: "alice", decidedAt: "2026-11-23T12:00:00.000Z", verdict: "rejected", comment: "clearly explicit",
      segments: [{ index: 0, outcome: "confirmed" }, { index: 1, outcome: "wrong-category", category: "Suggestive" }],
    });
    expect(published).toEqual([{ type: "Review Completed", detail: {
      version: 1, mediaId, correlationId: mediaId, ...decision,
      // The event carries at most the first 100 answers; the count and the stored outcome say where the rest are.
      segmentCount: decision.segments.length, outcome: { bucket: "media", key: `derived/${mediaId}/review.json` },
    }, key: `${mediaId}/review/Review Completed` }]);
    expect(await new LocalObjectStore(dir).getJson({ bucket: "media", key: `derived/${mediaId}/review.json` })).toEqual({ version: 1, status: "decided", mediaId, decision });
    await expect(service.decide(taskId, "alice", { verdict: "approved" })).rejects.toMatchObject({ code: "decided", message: expect.stringContaining("rejected by alice") });
    expect(() => service.claim(taskId, "bob")).toThrow(/already decided/);
    expect(service.get(taskId)).toMatchObject({ status: "decided", decision });
    expect(service.list().tasks).toEqual([]);
    expect(service.list({ status: "decided" }).tasks.map((t) => t.taskId)).toEqual([taskId]);
    expect(service.audit(taskId).map((a) => [a.reviewer, a.action, a.detail])).toEqual([
      ["alice", "claim", { until: "2026-11-23T12:01:00.000Z" }],
      ["alice", "decide", { verdict: "rejected", segments: decision.segments, comment: "clearly explicit" }],
    ]);
  });

  it("refuses a malformed verdict before storing anything", async () => {
    await expect(service.decide(taskId, "alice", { verdict: "approved", comment: "x".repeat(4001) })).rejects.toThrow(ReviewVerdictError);
    await expect(service.decide(taskId, "alice", { verdict: "maybe" as "approved" })).rejects.toThrow(/verdict/);
    await expect(service.decide(taskId, " ", { verdict: "approved" })).rejects.toThrow(/reviewer name/);
    expect(service.get(taskId).status).toBe("open");
    expect(published).toEqual([]);
  });

  it("lets a reviewer decide an unclaimed task directly", async () => {
    await service.decide(taskId, "bob", { verdict: "approved" });
    expect(service.get(taskId)).toMatchObject({ status: "decided", decision: { reviewer: "bob", segments: [] } });
  });

  it("answers not found for an unknown task", () => {
    expect(() => service.get("nope")).toThrow(ReviewNotFoundError);
    expect(() => service.claim("nope", "alice")).toThrow(ReviewNotFoundError);
  });
});

describe("a verdict committed just before a crash", () => {
  it("is announced when the runtime opens again, exactly once", async () => {
    const config = loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir);
    let runtime = await openLocalRuntime(config);
    await createSqliteReviewQueue(runtime.store).open(task());
    // What decide() leaves behind when the process dies between its commit and the publish.
    const decision = { taskId, reviewer: "alice", decidedAt: "2026-11-23T12:00:00.000Z", verdict: "approved", segments: [] };
    runtime.store.reviews.decide(taskId, JSON.stringify(decision), "alice", 1);
    await runtime.close();
    const count = (rt: typeof runtime) => rt.bus.eventsOf(mediaId).filter((e) => e["detail-type"] === "Review Completed").length;
    runtime = await openLocalRuntime(config);
    expect(count(runtime)).toBe(1);
    await runtime.close();
    runtime = await openLocalRuntime(config);
    expect(count(runtime)).toBe(1);
    expect(await runtime.reviews.announceDecided()).toBe(0);
    await runtime.close();
  });
});

describe("reviewer tokens", () => {
  it("names the reviewer a token belongs to, and nobody for any other", () => {
    const dirx = parseReviewerTokens(" alice:aaaaaaaaaaaaaaaaaaaa , bob.k@x:bbbbbbbbbbbbbbbbbbbb");
    expect(dirx.names()).toEqual(["alice", "bob.k@x"]);
    expect(dirx.identify("Bearer aaaaaaaaaaaaaaaaaaaa")).toBe("alice");
    expect(dirx.identify("bearer   bbbbbbbbbbbbbbbbbbbb ")).toBe("bob.k@x");
    for (const h of [undefined, "", "Bearer", "Bearer aaaaaaaaaaaaaaaaaaab", "Basic aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaa"]) {
      expect(dirx.identify(h)).toBeUndefined();
    }
    expect(parseReviewerTokens(undefined).size).toBe(0);
  });

  it("refuses unusable entries without echoing a token", () => {
    const bad = (v: string, apiToken?: string) => {
      try {
        parseReviewerTokens(v, apiToken ? { apiToken } : {});
      } catch (e) {
        expect(e).toBeInstanceOf(ReviewerConfigError);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(bad("alice")).toMatch(/entry 1 \(alice\): no token/);
    expect(bad("alice:short")).toMatch(/at least 16/);
    expect(bad("al ice:cccccccccccccccccccc")).toMatch(/entry 1: the name/);
    expect(bad("a:cccccccccccccccccccc,a:dddddddddddddddddddd")).toMatch(/listed twice/);
    expect(bad("a:cccccccccccccccccccc,b:cccccccccccccccccccc")).toMatch(/already another reviewer's/);
    const m = bad("a:the-api-token-itself", "the-api-token-itself");
    expect(m).toMatch(/must differ from the API token/);
    expect(m).not.toContain("the-api-token-itself");
  });
});
