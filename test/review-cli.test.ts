import { writeFile } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../packages/local/src/runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../packages/local/src/runtime/runtime.js";
import { parseReviewerTokens } from "../packages/local/src/review/reviewers.js";
import { startServer, type RunningServer } from "../packages/local/src/server/server.js";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/flow.js";

/*
 * `media-pipeline review` end to end, on a task raised by configuration, not by a misfire of the model:
 * the review band for the Explicit category starts at 0 (every score the model reports, however small,
 * goes to review) and Suggestive is left out, so the sample's two Explicit labels are the task's two
 * segments whatever the model thinks of a benign video.
 */

/** The thresholds above, as a user would write them in the config file. */
const REVIEW_EVERY_EXPLICIT_SCORE = { reviewMin: 0, flagMin: 90, categories: { Suggestive: { reviewMin: 100, flagMin: 100 } } };

const SAMPLE = path.join(ROOT, "samples/sample.mp4");

interface EventRow { seq: number; detail_type: string; body: string }

function eventsOf(dataDir: string, mediaId: string): Array<{ type: string; detail: Record<string, unknown> }> {
  const db = new Database(path.join(dataDir, "pipeline.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT seq, detail_type, body FROM events WHERE media_id = ? ORDER BY seq").all(mediaId) as EventRow[];
    return rows.map((r) => ({ type: r.detail_type, detail: (JSON.parse(r.body) as { detail: Record<string, unknown> }).detail }));
  } finally {
    db.close();
  }
}

/** Analyzes the sample into `dataDir` with thresholds that send its segments to review. */
async function analyzeIntoReview(dir: string, dataDir: string): Promise<void> {
  const config = path.join(dir, "review-band.config.json");
  await writeFile(config, JSON.stringify(REVIEW_EVERY_EXPLICIT_SCORE));
  const r = await cli(["analyze", SAMPLE, "--config", config, "--no-words", "--data-dir", dataDir, "--out", path.join(dir, "out"), "--quiet"], { timeoutMs: 180_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain("review pending");
}

async function openTaskId(target: string[], env: NodeJS.ProcessEnv = {}): Promise<{ taskId: string; mediaId: string }> {
  const r = await cli(["review", "list", "--json", ...target], { env });
  expect(r.code, r.stderr).toBe(0);
  const list = JSON.parse(r.stdout) as { tasks: Array<{ taskId: string; mediaId: string; status: string; segmentCount: number }>; counts: Record<string, number> };
  expect(list.tasks).toHaveLength(1);
  expect(list.tasks[0]).toMatchObject({ status: "open", segmentCount: 2 });
  expect(list.counts).toEqual({ open: 1, claimed: 0, decided: 0, expired: 0 });
  return list.tasks[0]!;
}

describe("media-pipeline review on a data dir", () => {
  let dir: string;
  let dataDir: string;
  beforeAll(async () => {
    dir = await tempDir("review-cli");
    dataDir = path.join(dir, "data");
    await analyzeIntoReview(dir, dataDir);
  });

  it("lists, shows and decides a task; the verdict and the final analysis reach the event log", async () => {
    const at = ["--data-dir", dataDir];
    const { taskId, mediaId } = await openTaskId(at);

    const table = await cli(["review", "list", ...at]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${taskId}\\s+${mediaId}\\s+sample\\.mp4\\s+.*2 \\(2 to review\\)\\s+Explicit \\d+\\.\\d%\\s+open`));
    expect(table.stdout).toContain("1 open, 0 claimed, 0 decided");

    const show = await cli(["review", "show", taskId, ...at]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("review from 0, flag from 90; Suggestive: review from 100, flag from 100");
    expect(show.stdout).toMatch(/^\s+0\s+00:00\.0–\d\d:\d\d\.\d\s+Explicit \/ .+\s+\d+\.\d%\s+review\s+\S+\.jpg$/m);
    expect(show.stdout).toMatch(/^\s+1\s+\d\d:\d\d\.\d–\d\d:\d\d\.\d\s+/m);

    // A segment the task does not have: a usage error naming it, and nothing decided.
    const badIndex = await cli(["review", "decide", taskId, ...at, "--verdict", "rejected", "--segment", "7=confirmed", "--as", "carol"]);
    expect(badIndex.code).toBe(2);
    expect(badIndex.stderr).toContain("segment 7 is not in this task");
    const badSpec = await cli(["review", "decide", taskId, ...at, "--verdict", "rejected", "--segment", "one=confirmed"]);
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr).toContain('--segment "one=confirmed"');

    const decided = await cli([
      "review", "decide", taskId, ...at, "--verdict", "rejected", "--segment", "0=confirmed", "--segment", "1=wrong-category:Suggestive",
      "--comment", "nudity in the opening shot", "--as", "carol",
    ], { timeoutMs: 120_000 });
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toContain(`Decided ${taskId}: rejected by carol`);
    expect(decided.stdout).toContain("segment 1: wrong-category → Suggestive");
    expect(decided.stdout).toContain("Final analysis: flagged (decided by reviewer)");

    const events = eventsOf(dataDir, mediaId);
    const completed = events.filter((e) => e.type === "Review Completed");
    expect(completed).toHaveLength(1);
    expect(completed[0]!.detail).toMatchObject({
      taskId, verdict: "rejected", reviewer: "carol", comment: "nudity in the opening shot",
      segments: [{ index: 0, outcome: "confirmed" }, { index: 1, outcome: "wrong-category", category: "Suggestive" }],
    });
    const analyses = events.filter((e) => e.type === "Analysis Completed");
    expect(analyses.map((e) => e.detail.final)).toEqual([false, true]);
    expect(analyses[1]!.detail).toMatchObject({ final: true, decision: "flagged", decidedBy: "reviewer", review: { status: "rejected", reviewer: "carol" } });
    expect(events.findIndex((e) => e.type === "Review Completed")).toBeLessThan(events.lastIndexOf(analyses[1]!));

    const after = await cli(["review", "show", taskId, ...at]);
    expect(after.stdout).toContain("decided: rejected by carol");
    expect(after.stdout).toMatch(/carol\s+decided rejected \(2 segment answers\): nudity in the opening shot/);
    const shown = JSON.parse((await cli(["review", "show", taskId, ...at, "--json"])).stdout) as { audit: Array<{ reviewer: string; action: string }> };
    expect(shown.audit).toEqual([expect.objectContaining({ reviewer: "carol", action: "decide" })]);

    const again = await cli(["review", "decide", taskId, ...at, "--verdict", "approved", "--as", "dave"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already decided");
    expect(again.stderr).toContain("rejected by carol");
    expect(eventsOf(dataDir, mediaId).filter((e) => e.type === "Review Completed")).toHaveLength(1);

    const unknown = await cli(["review", "decide", "no-such-task", ...at, "--verdict", "approved", "--as", "carol"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No review task no-such-task");
  });

  it("exits 2 for a missing or unknown --verdict", async () => {
    expect((await cli(["review", "decide", "x", "--data-dir", dataDir])).code).toBe(2);
    expect((await cli(["review", "decide", "x", "--data-dir", dataDir, "--verdict", "maybe"])).code).toBe(2);
  });
});

describe("media-pipeline review --server", () => {
  const TOKEN = "dave-reviewer-token-0123456789";
  let dir: string;
  let dataDir: string;
  let runtime: LocalRuntime;
  let server: RunningServer;

  beforeAll(async () => {
    dir = await tempDir("review-server");
    dataDir = path.join(dir, "data");
    await analyzeIntoReview(dir, dataDir);
    runtime = await openLocalRuntime(loadConfig({ dataDir, words: false }, {}, dir));
    server = await startServer({ runtime, port: 0, reviewers: parseReviewerTokens(`dave:${TOKEN}`) });
  });
  afterAll(async () => {
    await server?.close();
  });

  const env = (token = TOKEN) => ({ MEDIA_PIPELINE_REVIEWER_TOKEN: token, MEDIA_PIPELINE_SERVER: "" });

  it("lists and decides through the API as the reviewer the token names", async () => {
    const at = ["--server", server.url];
    const { taskId, mediaId } = await openTaskId(at, env());

    const show = await cli(["review", "show", taskId, ...at], { env: env() });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`${server.url}/reviews/${taskId}/keyframes/0?expires=`);

    const decided = await cli(["review", "decide", taskId, ...at, "--verdict", "approved", "--segment", "0=false-positive", "--segment", "1=false-positive"], { env: env() });
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toContain(`Decided ${taskId}: approved by dave`);
    for (const out of [show, decided]) expect(out.stdout + out.stderr).not.toContain(TOKEN);

    // The server's runtime finishes the final analysis on its own.
    await expect.poll(() => eventsOf(dataDir, mediaId).filter((e) => e.type === "Analysis Completed").at(-1)?.detail, { timeout: 30_000 })
      .toMatchObject({ final: true, decision: "clean", decidedBy: "reviewer", review: { status: "approved", reviewer: "dave" } });
    expect(eventsOf(dataDir, mediaId).find((e) => e.type === "Review Completed")?.detail).toMatchObject({ reviewer: "dave", verdict: "approved" });

    const again = await cli(["review", "decide", taskId, ...at, "--verdict", "rejected"], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already decided");
  });

  it("exits 1 with a 401 message for a wrong token, without printing it", async () => {
    const wrong = "not-a-reviewer-token-but-long";
    const r = await cli(["review", "list", "--server", server.url], { env: env(wrong) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("401");
    expect(r.stderr).toContain("MEDIA_PIPELINE_REVIEWER_TOKEN");
    expect(r.stdout + r.stderr).not.toContain(wrong);
    // The API token is not a reviewer token either.
    const api = await cli(["review", "list", "--server", server.url], { env: env(server.token) });
    expect(api.code).toBe(1);
    expect(api.stdout + api.stderr).not.toContain(server.token);
  });

  it("says a server holds the data dir when deciding on it directly, and still lists beside it", async () => {
    expect((await cli(["review", "list", "--status", "all", "--data-dir", dataDir])).code).toBe(0);
    const r = await cli(["review", "decide", "anything", "--data-dir", dataDir, "--verdict", "approved", "--as", "carol"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`pid ${process.pid}`);
    expect(r.stderr).toContain("--server");
    expect(r.stderr).toContain("MEDIA_PIPELINE_REVIEWER_TOKEN");
  });
});
