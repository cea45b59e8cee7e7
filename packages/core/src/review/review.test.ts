import { describe, expect, it } from "vitest";
import { catalog, type DetailType } from "../events/catalog.js";
import { makeEvent, parseEvent } from "../events/envelope.js";
import type { BlobStore, Publish, ReviewQueue } from "../ports.js";
import type { ModerationDocument, ProbeResult } from "../results/documents.js";
import { routes } from "../routing/routes.js";
import { matchesPattern } from "../routing/pattern/index.js";
import { createCompleteAnalysis, createFinalizeAnalysis, createRequestReview } from "../stages/join-stages.js";
import { MemoryStateStore } from "../stages/memory-state-store.js";
import type { StageHandler } from "../stages/common.js";
import { buildReviewTask, checkVerdict, finalDecision, ReviewTask, ReviewVerdictError, type ReviewDecision } from "./contract.js";
import { recordReviewDecision, recordReviewFailure } from "./record.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source = { bucket: "media", key: `media/${mediaId}/talk.mp4` };
const modRef = { bucket: "media", key: `derived/${mediaId}/moderation.json` };
const kf = (n: number) => ({ bucket: "media", key: `derived/frames/${mediaId}/f${n}.jpg` });

const moderation: ModerationDocument = {
  decision: "review",
  thresholds: { reviewMin: 10, flagMin: 90 },
  framesAnalyzed: 8,
  engine: { name: "nsfwjs", version: "4.4.0" },
  segments: [
    { name: "Explicit Nudity", parent: "Explicit", confidence: 36.2, startMs: 0, endMs: 12_000, frames: 6, decision: "review", keyframe: kf(1) },
    { name: "Revealing Clothes", parent: "Suggestive", confidence: 95, startMs: 12_000, endMs: 14_000, frames: 1, decision: "flagged" },
    { name: "Suggestive", parent: "", confidence: 12.6, startMs: 14_000, endMs: 16_000, frames: 1, decision: "review", keyframe: kf(3) },
  ],
};

describe("the review task contract", () => {
  const task = buildReviewTask({ taskId: `${mediaId}-review`, mediaId, source, moderationRef: modRef, moderation, createdAt: new Date("2026-11-23T10:00:00Z") });

  it("carries every segment with its document index, category, confidence and keyframe", () => {
    expect(ReviewTask.parse(task)).toEqual(task);
    expect(task.segments.map((s) => [s.index, s.category, s.confidence, s.decision, s.keyframe?.key ?? null])).toEqual([
      [0, "Explicit", 36.2, "review", kf(1).key],
      [1, "Suggestive", 95, "flagged", null],
      [2, "Suggestive", 12.6, "review", kf(3).key],
    ]);
    expect(task.categories).toEqual(["Explicit", "Suggestive"]);
    expect(task).toMatchObject({ modelDecision: "review", thresholds: { reviewMin: 10, flagMin: 90 }, createdAt: "2026-11-23T10:00:00.000Z" });
  });

  it("accepts a verdict that fits, sorted by segment", () => {
    expect(checkVerdict(task, {
      verdict: "approved", comment: "  stock footage  ",
      segments: [{ index: 2, outcome: "false-positive" }, { index: 0, outcome: "wrong-category", category: "Violence" }],
    })).toEqual({
      verdict: "approved", comment: "stock footage",
      segments: [{ index: 0, outcome: "wrong-category", category: "Violence" }, { index: 2, outcome: "false-positive" }],
    });
  });

  it("refuses, naming each problem, a verdict that does not fit its task", () => {
    let error: unknown;
    try {
      checkVerdict(task, {
        verdict: "rejected",
        segments: [
          { index: 7, outcome: "confirmed" },
          { index: 0, outcome: "wrong-category" },
          { index: 2, outcome: "wrong-category", category: "suggestive" },
          { index: 1, outcome: "confirmed", category: "Explicit" },
          { index: 1, outcome: "confirmed" },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReviewVerdictError);
    expect((error as ReviewVerdictError).issues).toEqual([
      "segment 7 is not in this task (it has 3)",
      "segment 0: wrong-category needs the right category",
      'segment 2: "suggestive" is the category the model gave; use confirmed',
      "segment 1: a category goes only with wrong-category",
      "segment 1 is answered twice",
    ]);
  });

  it("lets the reviewer's verdict override the model, and only a verdict", () => {
    expect(finalDecision("review", { status: "approved" })).toEqual({ decision: "clean", decidedBy: "reviewer" });
    expect(finalDecision("clean", { status: "rejected" })).toEqual({ decision: "flagged", decidedBy: "reviewer" });
    for (const status of ["pending", "failed", "not-required"] as const) {
      expect(finalDecision("review", { status })).toEqual({ decision: "review", decidedBy: "model" });
    }
  });
});

/**
 * A small world: a video without audio whose other stages are already done, the three review-related
 * stages wired by the real route table, and a queue of published events delivered by hand so a test
 * can choose the order (or hold a stage half-way) the way concurrent deliveries could.
 */
function world() {
  const state = new MemoryStateStore();
  const stored = new Map<string, unknown>();
  const blobs: BlobStore = {
    putJson: async (ref, v) => void stored.set(ref.key, structuredClone(v)),
    getJson: async <T,>(ref: { key: string }) => {
      if (!stored.has(ref.key)) throw new Error(`no ${ref.key}`);
      return structuredClone(stored.get(ref.key)) as T;
    },
    size: async (ref) => (stored.has(ref.key) ? 1 : undefined),
  };
  const log: Array<{ type: DetailType; detail: Record<string, unknown> }> = [];
  const keys = new Set<string>();
  let n = 0;
  const publish: Publish = async (type, detail, options) => {
    if (options?.dedupeKey && keys.has(options.dedupeKey)) return; // the local bus drops keyed repeats
    if (options?.dedupeKey) keys.add(options.dedupeKey);
    log.push({ type, detail: detail as Record<string, unknown> });
  };
  const opened: ReviewTask[] = [];
  const queue: ReviewQueue = { open: async (t) => void opened.push(t) };
  const deps = { state, publish, blobs, now: () => new Date("2026-11-23T12:00:00Z"), keyframeUri: (r: { key: string }) => r.key };
  const handlers: Record<string, StageHandler> = {
    "request-review": createRequestReview({ ...deps, queue }),
    "complete-analysis": createCompleteAnalysis(deps),
    "finalize-analysis": createFinalizeAnalysis(deps),
  };
  const ctx = { attempt: 1, finalAttempt: false };
  const event = (i: number) => parseEvent(makeEvent(log[i]!.type, log[i]!.detail, { id: `e${n++}`, time: new Date(), account: "1", region: "r" }));
  /** Delivers log entry `i` to every route it matches (of the three stages here). */
  const deliver = async (i: number, only?: string) => {
    const e = event(i);
    for (const r of routes) {
      if (!handlers[r.stage] || (only && r.stage !== only) || !matchesPattern(r.pattern, e)) continue;
      await handlers[r.stage]!(e, ctx);
    }
  };
  const seed = async () => {
    const probe: ProbeResult = {
      kind: "video", durationMs: 16_000, sizeBytes: 1000, container: "mp4", hasVideo: true, hasAudio: false,
      streams: [{ index: 0, type: "video", codec: "h264", width: 640, height: 360, fps: 25, durationMs: 16_000 }],
      engine: { name: "ffprobe", version: "5.1.6" },
    };
    const probeRef = { bucket: "media", key: `derived/${mediaId}/probe.json` };
    await blobs.putJson(probeRef, probe);
    await blobs.putJson(modRef, moderation);
    const plan = ["probe", "detect-shots", "detect-labels", "moderate", "request-review", "summarize-scenes", "complete-analysis"];
    const done = async (stage: Parameters<typeof state.begin>[1], facts: Record<string, unknown>) => {
      await state.begin(mediaId, stage, 60_000);
      await state.finish(mediaId, stage, { events: [], facts });
    };
    await done("probe", { ref: probeRef, plan, filename: "talk.mp4", source, durationMs: 16_000 });
    for (const s of ["detect-shots", "detect-labels"] as const) await done(s, {});
    await done("moderate", { ref: modRef, decision: "review" });
    log.push({ type: "Moderation Completed", detail: { ...catalog["Moderation Completed"].example, mediaId, correlationId: mediaId, moderation: modRef } });
  };
  /** The last owed stage (scene summaries) settles; returns its event's index. */
  const summarize = async () => {
    await state.begin(mediaId, "summarize-scenes", 60_000);
    await state.finish(mediaId, "summarize-scenes", { events: [], facts: {} });
    log.push({ type: "Scenes Summarized", detail: { ...catalog["Scenes Summarized"].example, mediaId, correlationId: mediaId } });
    return log.length - 1;
  };
  const decision: ReviewDecision = {
    taskId: `${mediaId}-review`, verdict: "approved", reviewer: "alice", decidedAt: "2026-11-23T12:30:00.000Z",
    segments: [{ index: 0, outcome: "false-positive" }, { index: 2, outcome: "wrong-category", category: "Violence" }], comment: "a statue",
  };
  const decide = () => recordReviewDecision({ blobs, publish }, { mediaId, source }, decision);
  const completed = () => log.filter((e) => e.type === "Analysis Completed").map((e) => e.detail);
  const report = () => stored.get(`derived/${mediaId}/report.json`) as Record<string, any>;
  return { state, blobs, log, opened, deliver, seed, summarize, decide, completed, report, handlers, deps, ctx, event, stored };
}

describe("review through the stages", () => {
  it("opens the task once, reports it pending, then the verdict makes a second, final Analysis Completed", async () => {
    const w = world();
    await w.seed();
    await w.deliver(0); // Moderation Completed → request-review → Review Requested
    await w.deliver(0); // a duplicate delivery re-emits (dropped as a keyed repeat) without opening again
    expect(w.opened).toHaveLength(1);
    expect(w.log.filter((e) => e.type === "Review Requested")).toHaveLength(1);
    expect(w.log[1]).toMatchObject({
      type: "Review Requested",
      detail: { taskId: `${mediaId}-review`, segmentCount: 3, modelDecision: "review", task: { key: `derived/${mediaId}/review-task.json` } },
    });
    expect((w.log[1]!.detail.segments as unknown[]).length).toBe(3);
    expect(w.stored.get(`derived/${mediaId}/review-task.json`)).toEqual(w.opened[0]);

    await w.deliver(1); // summaries still owed: no report yet, and a review never holds one up once they land
    expect(w.completed()).toHaveLength(0);
    await w.deliver(await w.summarize());
    expect(w.completed()).toEqual([expect.objectContaining({
      final: false, decision: "review", decidedBy: "model", modelDecision: "review", review: { status: "pending", taskId: `${mediaId}-review` },
    })]);
    expect(w.report().review).toEqual({ status: "pending", taskId: `${mediaId}-review` });
    await w.deliver(w.log.length - 1); // the pending Analysis Completed reaches finalize: no outcome yet, nothing happens
    expect(w.completed()).toHaveLength(1);

    await w.decide();
    await w.decide(); // a repeated verdict announcement publishes nothing new
    const rc = w.log.findIndex((e) => e.type === "Review Completed");
    expect(w.log.filter((e) => e.type === "Review Completed")).toHaveLength(1);
    await w.deliver(rc);
    await w.deliver(rc); // duplicate delivery
    expect(w.completed()).toHaveLength(2);
    expect(w.completed()[1]).toMatchObject({
      final: true, decision: "clean", decidedBy: "reviewer", modelDecision: "review",
      review: { status: "approved", taskId: `${mediaId}-review`, reviewer: "alice", decidedAt: "2026-11-23T12:30:00.000Z" },
    });
    const report = w.report();
    expect(report.decision).toEqual({ value: "clean", by: "reviewer" });
    expect(report.moderation.decision).toBe("review");
    expect(report.review).toMatchObject({ status: "approved", reviewer: "alice", comment: "a statue" });
    expect(report.moderation.labels.map((l: { review?: unknown }) => l.review ?? null)).toEqual([
      { outcome: "false-positive" }, null, { outcome: "wrong-category", category: "Violence" },
    ]);
    // The final event is itself final: it does not trigger finalize again.
    await w.deliver(w.log.length - 1);
    expect(w.completed()).toHaveLength(2);
  });

  it("puts a verdict that lands before the first report into it, and sends only one Analysis Completed", async () => {
    const w = world();
    await w.seed();
    await w.deliver(0);
    await w.decide(); // the reviewer was quicker than the last stage
    const rc = w.log.findIndex((e) => e.type === "Review Completed");
    await w.deliver(rc); // complete-analysis cannot run yet (summaries owed); finalize: no first report
    expect(w.completed()).toHaveLength(0);
    await w.deliver(await w.summarize());
    expect(w.completed()).toEqual([expect.objectContaining({ final: true, decision: "clean", review: expect.objectContaining({ status: "approved" }) })]);
  });

  it("does not lose the final event when the verdict lands while the first report is being written", async () => {
    const w = world();
    await w.seed();
    await w.deliver(0);
    // Hold complete-analysis after it has looked for the outcome (none yet) and before it finishes.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let looked!: () => void;
    const hasLooked = new Promise<void>((r) => (looked = r));
    const size = w.blobs.size;
    w.blobs.size = async (ref) => {
      const s = await size(ref);
      if (ref.key.endsWith("/review.json")) {
        looked();
        await gate;
      }
      return s;
    };
    const first = w.deliver(await w.summarize(), "complete-analysis");
    await hasLooked;
    w.blobs.size = size;
    await w.decide();
    await w.deliver(w.log.findIndex((e) => e.type === "Review Completed")); // finalize: first report not done → nothing
    expect(w.completed()).toHaveLength(0);
    release();
    await first;
    expect(w.completed()).toEqual([expect.objectContaining({ final: false })]);
    await w.deliver(w.log.findIndex((e) => e.type === "Analysis Completed")); // the pending report's event → finalize
    expect(w.completed().map((c) => [c.final, c.decision])).toEqual([[false, "review"], [true, "clean"]]);
  });

  it("ends a review that failed with a final report keeping the model's decision", async () => {
    const w = world();
    await w.seed();
    await w.deliver(0);
    await w.deliver(await w.summarize());
    await recordReviewFailure({ blobs: w.blobs, publish: async (t, d, o) => { w.log.push({ type: t, detail: d as Record<string, unknown> }); void o; } }, { mediaId, source }, {
      taskId: `${mediaId}-review`, reason: "Human loop stopped by an operator", endedAt: new Date("2026-11-24T00:00:00Z"),
    });
    const failed = w.log.findIndex((e) => e.type === "Stage Failed");
    expect(w.log[failed]!.detail).toMatchObject({ stage: "request-review", error: { message: "Human loop stopped by an operator" } });
    await w.deliver(failed);
    expect(w.completed()[1]).toMatchObject({ final: true, decision: "review", decidedBy: "model", review: { status: "failed" } });
    expect(w.report().review).toMatchObject({ status: "failed", reason: "Human loop stopped by an operator" });
  });
});
