import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyPipelineEvent, ModerationDocument, ReviewDecision } from "@media-pipeline/core";
import { parseReviewerTokens } from "../review/reviewers.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { startServer, type RunningServer } from "./server.js";

/*
 * The review API over real HTTP, on a task raised honestly: the committed sample through the real
 * pipeline with thresholds that put its real moderation scores in the review band.
 */

const SAMPLE = path.resolve(import.meta.dirname, "../../../../samples/sample.mp4");
const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";

let runtime: LocalRuntime;
let server: RunningServer;
let mediaId: string;
let taskId: string;

function call(p: string, token: string | null, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return fetch(`${server.url}${p}`, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

function events(type: string): AnyPipelineEvent[] {
  return runtime.bus.eventsOf(mediaId).filter((e) => e["detail-type"] === type);
}

async function until<T>(what: () => T | undefined, label: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mp-reviews-"));
  // A review band from 0 sends every score the model reports to review: the sample gets its task from
  // this setting, not from a misfire of the model.
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false, reviewMin: "0", flagMin: "90" }, {}, dir));
  server = await startServer({ runtime, reviewers: parseReviewerTokens(`alice:${ALICE},bob:${BOB}`) });
  mediaId = await runtime.ingest(SAMPLE);
  const outcome = await runtime.outcome(mediaId);
  expect(outcome).toMatchObject({ kind: "completed", event: { detail: { final: false, review: { status: "pending" } } } });
  taskId = `${mediaId}-review`;
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe("review API", () => {
  it("answers 401 without a reviewer token, including with the API (upload) token", async () => {
    for (const token of [null, server.token, "alice-token-012345678X", ALICE.slice(0, -1)]) {
      for (const [method, p] of [["GET", "/reviews"], ["GET", `/reviews/${taskId}`], ["POST", `/reviews/${taskId}/claim`], ["POST", `/reviews/${taskId}/verdict`]] as const) {
        const res = await call(p, token, { method, ...(method === "POST" ? { json: { verdict: "approved" } } : {}) });
        expect(res.status, `${method} ${p} with ${token === null ? "no token" : "a wrong token"}`).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      }
    }
    // And the API routes do not take a reviewer token.
    expect((await call(`/media/${mediaId}`, ALICE)).status).toBe(401);
    expect(await (await call("/reviews/me", BOB)).json()).toEqual({ reviewer: "bob" });
  });

  it("lists the open task with the moderation document's segments", async () => {
    const res = await call("/reviews?status=open", ALICE);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { tasks: Array<Record<string, any>>; counts: Record<string, number> };
    expect(body.counts).toEqual({ open: 1, claimed: 0, decided: 0, expired: 0 });
    expect(body.tasks).toHaveLength(1);
    const t = body.tasks[0]!;
    expect(t).toMatchObject({ taskId, mediaId, status: "open", filename: "sample.mp4", modelDecision: "review", thresholds: { reviewMin: 0, flagMin: 90 } });
    const moderation = await runtime.objects.getJson<ModerationDocument>({ bucket: runtime.config.bucket, key: `derived/${mediaId}/moderation.json` });
    expect(t.segments.map((s: any) => [s.index, s.name, s.confidence, s.startMs, s.endMs, s.decision])).toEqual(
      moderation.segments.map((s, i) => [i, s.name, s.confidence, s.startMs, s.endMs, s.decision]),
    );
    expect(moderation.segments.filter((s) => s.decision === "review").length).toBeGreaterThan(0);
    expect((await call("/reviews?status=bogus", ALICE)).status).toBe(400);
  });

  it("serves the media and keyframes through signed links, with byte ranges for seeking", async () => {
    const task = (await (await call(`/reviews/${taskId}`, ALICE)).json()) as { mediaUrl: string; segments: Array<{ keyframeUrl?: string }> };
    const original = await readFile(SAMPLE);
    const whole = await fetch(`${server.url}${task.mediaUrl}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await whole.arrayBuffer()).equals(original)).toBe(true);
    const part = await fetch(`${server.url}${task.mediaUrl}`, { headers: { range: "bytes=1000-1999" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-1999/${original.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(original.subarray(1000, 2000))).toBe(true);
    const withKeyframe = task.segments.find((s) => s.keyframeUrl);
    expect(withKeyframe, "a segment with a keyframe").toBeDefined();
    const img = await fetch(`${server.url}${withKeyframe!.keyframeUrl}`);
    expect(img.status).toBe(200);
    expect(Buffer.from(await img.arrayBuffer()).subarray(0, 2).toString("hex")).toBe("ffd8"); // JPEG
    // The signature covers the path and expiry: another path, a changed expiry or no signature is refused.
    const u = new URL(task.mediaUrl, server.url);
    const forged = [
      `${u.pathname}?expires=${Number(u.searchParams.get("expires")) + 1}&sig=${u.searchParams.get("sig")}`,
      // Another media's path (its last character changed: to "y" when it already ends in "x").
      `/reviews/${mediaId.slice(0, -1)}${mediaId.endsWith("x") ? "y" : "x"}-review/media${u.search}`,
      u.pathname,
      `${u.pathname}?expires=1&sig=${u.searchParams.get("sig")}`,
    ];
    for (const f of forged) expect([403, 404], f).toContain((await fetch(`${server.url}${f}`)).status);
    expect((await fetch(`${server.url}${forged[0]}`)).status).toBe(403);
  });

  it("lets exactly one of two racing reviewers claim the task; the other gets 409", async () => {
    const [a, b] = await Promise.all([call(`/reviews/${taskId}/claim`, ALICE, { method: "POST" }), call(`/reviews/${taskId}/claim`, BOB, { method: "POST" })]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
    const holder = ((await winner.json()) as { claimedBy: string }).claimedBy;
    const conflict = (await loser.json()) as { error: { code: string; message: string } };
    expect(conflict.error.code).toBe("claimed");
    expect(conflict.error.message).toContain(`claimed by ${holder}`);
    // Whoever lost cannot decide either; the holder releases so the rest of the test can use alice.
    const loserToken = holder === "alice" ? BOB : ALICE;
    const holderToken = holder === "alice" ? ALICE : BOB;
    expect((await call(`/reviews/${taskId}/verdict`, loserToken, { method: "POST", json: { verdict: "approved" } })).status).toBe(409);
    expect((await call(`/reviews/${taskId}/release`, holderToken, { method: "POST" })).status).toBe(200);
    expect((await call(`/reviews/${taskId}/claim`, ALICE, { method: "POST" })).status).toBe(200);
    const listed = (await (await call("/reviews", BOB)).json()) as { tasks: Array<{ status: string; claimedBy: string }>; counts: Record<string, number> };
    expect(listed.tasks[0]).toMatchObject({ status: "claimed", claimedBy: "alice" });
    expect(listed.counts).toEqual({ open: 0, claimed: 1, decided: 0, expired: 0 });
  });

  it("refuses a verdict that does not fit, then takes alice's, and the final Analysis Completed follows it", async () => {
    const bad = await call(`/reviews/${taskId}/verdict`, ALICE, { method: "POST", json: { verdict: "approved", segments: [{ index: 99, outcome: "confirmed" }] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "invalid_verdict", message: expect.stringContaining("segment 99") });
    const unknown = await call(`/reviews/${taskId}/verdict`, ALICE, { method: "POST", json: { verdict: "maybe", extra: 1 } });
    expect(unknown.status).toBe(400);

    const res = await call(`/reviews/${taskId}/verdict`, ALICE, {
      method: "POST", json: { verdict: "approved", segments: [{ index: 0, outcome: "false-positive" }], comment: "synthetic test picture" },
    });
    expect(res.status).toBe(200);
    const { decision } = (await res.json()) as { decision: ReviewDecision };
    expect(decision).toMatchObject({ taskId, verdict: "approved", reviewer: "alice", segments: [{ index: 0, outcome: "false-positive" }], comment: "synthetic test picture" });

    const completed = await until(() => events("Review Completed")[0], "Review Completed");
    expect(completed.detail).toMatchObject({ taskId, verdict: "approved", reviewer: "alice", decidedAt: decision.decidedAt });
    const final = await until(() => events("Analysis Completed").find((e) => e["detail-type"] === "Analysis Completed" && e.detail.final), "the final Analysis Completed");
    expect(final.detail).toMatchObject({ decision: "clean", decidedBy: "reviewer", modelDecision: "review", review: { status: "approved", reviewer: "alice" } });
    expect(events("Analysis Completed")).toHaveLength(2);
    // The media status and report answer the final state.
    const status = (await (await call(`/media/${mediaId}`, server.token)).json()) as Record<string, any>;
    expect(JSON.stringify(status)).toContain('"approved"');
    const report = (await (await call(`/media/${mediaId}/report`, server.token)).json()) as Record<string, any>;
    expect(report.review).toMatchObject({ status: "approved", reviewer: "alice", comment: "synthetic test picture" });
    expect(report.decision).toEqual({ value: "clean", by: "reviewer" });
    expect(report.moderation.labels[0].review).toEqual({ outcome: "false-positive" });

    const again = await call(`/reviews/${taskId}/verdict`, BOB, { method: "POST", json: { verdict: "rejected" } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "decided", message: expect.stringContaining("approved by alice") });
    const detail = (await (await call(`/reviews/${taskId}`, BOB)).json()) as { status: string; audit: Array<{ reviewer: string; action: string }> };
    expect(detail.status).toBe("decided");
    expect(detail.audit.map((a) => `${a.reviewer} ${a.action}`).slice(-2)).toEqual(["alice claim", "alice decide"]);
    expect(detail.audit.filter((a) => a.action === "decide")).toHaveLength(1);
    expect(((await (await call("/reviews?status=decided", BOB)).json()) as { tasks: unknown[] }).tasks).toHaveLength(1);
  });

  it("serves the page itself to anyone, locked down by its headers", async () => {
    const res = await fetch(`${server.url}/review`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await res.text()).not.toContain(ALICE);
  });
});
