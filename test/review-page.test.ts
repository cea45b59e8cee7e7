import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModerationDocument, Report, type AnyPipelineEvent, type PipelineEvent } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime, startServer, type LocalRuntime, type RunningServer } from "../packages/local/src/index.js";
import { parseReviewerTokens } from "../packages/local/src/review/reviewers.js";
import { tempDir } from "./helpers/flow.js";

/*
 * The review page end to end: the real pipeline raises a task from the sample's real moderation
 * scores, two reviewers open the page in Chromium, alice decides it with the mouse and the keyboard,
 * and the verdict is followed into the events, the final report and the audit log.
 */

const CHROMIUM = "/usr/bin/chromium";
const SAMPLE = path.resolve(import.meta.dirname, "../samples/sample.mp4");
const ARTIFACTS = path.resolve(import.meta.dirname, ".tmp/artifacts");
const API_TOKEN = "api-token-review-page-0123456789";
const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef00";
const COMMENT = "A woman in a space suit and a motorcycle: nothing explicit, <b>not</b> even close.";

interface TaskView {
  taskId: string;
  mediaId: string;
  filename: string;
  status: string;
  segments: Array<{ index: number; startMs: number; endMs: number; name: string; parent: string; category: string; confidence: number; decision: string; keyframeUrl?: string }>;
  audit: Array<{ at: string; reviewer: string; action: string; detail: Record<string, unknown> | null }>;
}

let dir: string;
let runtime: LocalRuntime;
let server: RunningServer;
let browser: Browser;
let mediaId: string;
let task: TaskView;
let alice: Page;
let bob: Page;
const screenshots: string[] = [];
/** Per page: console errors and failed page scripts, and every URL requested. */
const watch = new Map<Page, { errors: string[]; requests: string[] }>();

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  const file = path.join(ARTIFACTS, `review-${name}.png`);
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage });
  screenshots.push(file);
}

async function openPage(width = 1280, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const seen = { errors: [] as string[], requests: [] as string[] };
  watch.set(page, seen);
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("request", (r) => seen.requests.push(r.url()));
  await page.goto(`${server.url}/review`);
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.locator("#token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#who-name").waitFor();
}

function reviewApi(p: string, token = ALICE): Promise<Response> {
  return fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
}

function eventsOf<T extends AnyPipelineEvent["detail-type"]>(type: T): Array<PipelineEvent<T>> {
  return runtime.bus.eventsOf(mediaId).filter((e) => e["detail-type"] === type) as Array<PipelineEvent<T>>;
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The parts of the page's <video> the test reads (test/ compiles without the DOM lib). */
interface VideoElement {
  currentTime: number;
  paused: boolean;
  readyState: number;
  addEventListener(type: string, listener: () => void): void;
}

/** The times the player finished seeking to, recorded in the page from now on. */
async function recordSeeks(page: Page): Promise<void> {
  await page.locator("#player").evaluate((el) => {
    const w = globalThis as unknown as { __seeks: number[] };
    const video = el as unknown as VideoElement;
    w.__seeks = [];
    video.addEventListener("seeked", () => w.__seeks.push(video.currentTime));
  });
}
const seeks = (page: Page) => page.evaluate(() => (globalThis as unknown as { __seeks: number[] }).__seeks);
const player = (page: Page) =>
  page.locator("#player").evaluate((el) => {
    const video = el as unknown as VideoElement;
    return { currentTime: video.currentTime, paused: video.paused, readyState: video.readyState };
  });

beforeAll(async () => {
  // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = await tempDir("review-page");
  // The task comes from configuration, not from a misfire of the model: the Explicit category's review
  // band starts at 0 (every score the model reports goes to review) and Suggestive is left out, so the
  // sample's two Explicit labels are the task's two segments.
  const band = path.join(dir, "review-band.config.json");
  writeFileSync(band, JSON.stringify({ reviewMin: 0, flagMin: 90, categories: { Suggestive: { reviewMin: 100, flagMin: 100 } } }));
  runtime = await openLocalRuntime(loadConfig({ config: band, dataDir: path.join(dir, "data"), words: false }, {}, dir));
  server = await startServer({
    runtime, token: API_TOKEN,
    reviewers: parseReviewerTokens(`alice:${ALICE},bob:${BOB}`, { apiToken: API_TOKEN }),
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
  });
  mediaId = await runtime.ingest(SAMPLE);
  const outcome = await runtime.outcome(mediaId);
  expect(outcome.kind).toBe("completed");
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (screenshots.length) console.log(`review page screenshots:\n  ${screenshots.join("\n  ")}`);
});

describe("review page (real pipeline, real server, Chromium)", () => {
  it("raises a review task from the sample's real moderation scores and the configured band", async () => {
    const [moderated] = eventsOf("Moderation Completed");
    expect(moderated!.detail.decision).toBe("review");
    const doc = ModerationDocument.parse(await runtime.objects.getJson(moderated!.detail.moderation));
    expect(doc.segments.length).toBeGreaterThan(0);
    for (const s of doc.segments) {
      expect(s.parent).toBe("Explicit");
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeLessThan(90);
    }
    const [requested] = eventsOf("Review Requested");
    const res = await reviewApi(`/reviews/${encodeURIComponent(requested!.detail.taskId)}`);
    expect(res.status).toBe(200);
    task = (await res.json()) as TaskView;
    expect(task.mediaId).toBe(mediaId);
    expect(task.status).toBe("open");
    // Every segment the reviewer sees is the moderation document's, in its order, with its keyframe.
    expect(task.segments.map(({ index, startMs, endMs, name, parent, confidence, decision }) => ({ index, startMs, endMs, name, parent, confidence, decision })))
      .toEqual(doc.segments.map((s, index) => ({ index, startMs: s.startMs, endMs: s.endMs, name: s.name, parent: s.parent, confidence: s.confidence, decision: s.decision })));
    expect(task.segments.every((s) => s.decision === "review" && s.keyframeUrl)).toBe(true);
    expect(task.segments.length).toBeGreaterThanOrEqual(2);
    const [first] = eventsOf("Analysis Completed");
    expect(first!.detail).toMatchObject({ final: false, decision: "review", decidedBy: "model", review: { status: "pending" } });
  });

  it("signs in with a reviewer token only and shows the queue with its counts", async () => {
    alice = await openPage();
    await alice.locator("#token").fill(API_TOKEN);
    await alice.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => alice.locator("#login-msg").textContent()).toContain("not a reviewer token");
    await shot(alice, "login-refused");

    await signIn(alice, ALICE);
    expect(await alice.locator("#who-name").textContent()).toBe("alice");
    const row = alice.locator(`tr[data-task="${task.taskId}"]`);
    await row.waitFor();
    expect(await row.locator("td.file").textContent()).toBe("sample.mp4");
    expect(await row.textContent()).toContain(mediaId);
    expect(await row.locator('[data-th="Segments"]').textContent()).toBe(String(task.segments.length));
    const top = [...task.segments].sort((a, b) => b.confidence - a.confidence)[0]!;
    expect(await row.locator('[data-th="Top"]').textContent()).toContain(top.name);
    expect(await row.locator('[data-th="Claim"]').textContent()).toBe("Unclaimed");
    expect(await alice.locator("#stat-open dd").textContent()).toBe("1");
    expect(await alice.locator("#stat-claimed dd").textContent()).toBe("0");
    expect(await alice.locator("#stat-decided dd").textContent()).toBe("0");
    await shot(alice, "queue");
  });

  it("claims the task for alice when she opens it, and a click on a segment seeks the player there and plays", async () => {
    await alice.locator(`tr[data-task="${task.taskId}"] td.file a`).click();
    await expect.poll(() => alice.locator("#claim-bar").textContent()).toContain("Claimed by you");
    await expect.poll(async () => (await player(alice)).readyState).toBeGreaterThanOrEqual(1);
    expect(await alice.locator(".seg").count()).toBe(task.segments.length);
    expect(await alice.locator(".tl-band").count()).toBe(task.segments.length);
    const widths = await alice.locator(".seg .thumb img").evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths.every((w) => w > 0)).toBe(true);

    const target = task.segments[1]!;
    await recordSeeks(alice);
    await alice.locator(`.seg[data-index="${target.index}"] .thumb`).click();
    await expect.poll(() => seeks(alice)).not.toEqual([]);
    expect(Math.abs((await seeks(alice))[0]! - target.startMs / 1000)).toBeLessThanOrEqual(0.5);
    await expect.poll(async () => (await player(alice)).paused).toBe(false);
    expect(await alice.locator(`.seg[data-index="${target.index}"]`).getAttribute("aria-current")).toBe("true");
    // Space pauses (the focus is on the keyframe button, not in a text field).
    await alice.keyboard.press("Space");
    await expect.poll(async () => (await player(alice)).paused).toBe(true);
    expect(Math.abs((await player(alice)).currentTime - target.startMs / 1000)).toBeLessThan(2);
    const audit = ((await (await reviewApi(`/reviews/${encodeURIComponent(task.taskId)}`)).json()) as TaskView).audit;
    expect(audit.map((a) => [a.reviewer, a.action])).toEqual([["alice", "claim"]]);
  });

  it("shows bob the task alice holds read-only, with her claim as the reason", async () => {
    bob = await openPage();
    await signIn(bob, BOB);
    const row = bob.locator(`tr[data-task="${task.taskId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-th="Claim"]').textContent()).toContain("alice");
    expect(await bob.locator("#stat-claimed dd").textContent()).toBe("1");
    await row.locator("td.file a").click();
    await expect.poll(() => bob.locator("#claim-bar").textContent()).toContain("Read-only");
    expect(await bob.locator("#claim-bar").textContent()).toContain("claimed by alice");
    expect(await bob.locator("#verdict-submit").isDisabled()).toBe(true);
    expect(await bob.locator('input[name="verdict"]').first().isDisabled()).toBe(true);
    // Shortcuts that would change the answer do nothing for him.
    await bob.keyboard.press("1");
    await bob.keyboard.press("a");
    expect(await bob.locator("input:checked").count()).toBe(0);
    await shot(bob, "task-bob-read-only");
  });

  it("lets alice answer with the mouse and the keyboard, approve and submit, then shows the decision and the audit log", async () => {
    const [first, second] = task.segments as [TaskView["segments"][0], TaskView["segments"][0]];
    await alice.bringToFront();
    // Mouse: wrong category on the current (second) segment shows the category controls.
    await alice.locator(`.seg[data-index="${second.index}"] .opt.wrong-category`).click();
    await expect.poll(() => alice.locator(`.seg[data-index="${second.index}"] .cat-row`).isVisible()).toBe(true);
    // Keyboard: 2 makes it a false positive instead; k goes back to the first segment and seeks there; 1 confirms it.
    await alice.locator("h1").focus();
    await alice.keyboard.press("2");
    expect(await alice.locator(`input[name="outcome-${second.index}"][value="false-positive"]`).isChecked()).toBe(true);
    expect(await alice.locator(`.seg[data-index="${second.index}"] .cat-row`).isVisible()).toBe(false);
    await recordSeeks(alice);
    await alice.keyboard.press("k");
    await expect.poll(() => seeks(alice)).not.toEqual([]);
    expect(Math.abs((await seeks(alice))[0]! - first.startMs / 1000)).toBeLessThanOrEqual(0.5);
    expect(await alice.locator(`.seg[data-index="${first.index}"]`).getAttribute("aria-current")).toBe("true");
    await alice.keyboard.press("1");
    expect(await alice.locator(`input[name="outcome-${first.index}"][value="confirmed"]`).isChecked()).toBe(true);
    expect(await alice.locator("#answered").textContent()).toBe(`${task.segments.length} of ${task.segments.length}`);

    // Ctrl+Enter without an overall verdict is refused on the page, and nothing is sent.
    await alice.keyboard.press("Control+Enter");
    await expect.poll(() => alice.locator("#form-msg").textContent()).toContain("Choose Approve");
    expect(eventsOf("Review Completed")).toEqual([]);

    await alice.locator("h1").focus();
    await alice.keyboard.press("a");
    expect(await alice.locator('input[name="verdict"][value="approved"]').isChecked()).toBe(true);
    expect(await alice.locator("#form-msg").textContent()).toBe(""); // answered, so the complaint is gone
    await alice.locator("#comment").fill(COMMENT);
    // Space in the comment is typing, not play/pause.
    await alice.locator("#comment").press("End");
    await alice.locator("#comment").press("Space");
    expect(await alice.locator("#comment").inputValue()).toBe(`${COMMENT} `);
    expect((await player(alice)).paused).toBe(true);
    await shot(alice, "task-alice-answered");

    await alice.locator("#comment").press("Control+Enter");
    await alice.locator("#decision").waitFor();
    expect(await alice.locator("#decision .decision-big .badge").textContent()).toBe("Approved");
    expect(await alice.locator("#decision .decision-big").textContent()).toContain("by alice");
    expect(await alice.locator("#claim-bar").textContent()).toContain("Decided: Approved by alice");
    expect(await alice.locator("#decision blockquote").textContent()).toBe(COMMENT);
    const actions = await alice.locator("#audit li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-action")));
    expect(actions).toEqual(["claim", "decide"]);
    expect(await alice.locator('#audit li[data-action="decide"]').textContent()).toContain("alice decided: Approved");
    // The decided task shows the answers read-only.
    expect(await alice.locator(`input[name="outcome-${second.index}"][value="false-positive"]`).isChecked()).toBe(true);
    expect(await alice.locator(`input[name="outcome-${second.index}"][value="false-positive"]`).isDisabled()).toBe(true);
    await shot(alice, "task-alice-decided");

    await alice.getByRole("link", { name: "← Review queue" }).click();
    await alice.locator("#stat-decided dd").filter({ hasText: "1" }).waitFor();
    await alice.getByRole("link", { name: /^Decided/ }).click();
    const row = alice.locator(`tr[data-task="${task.taskId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-th="Verdict"]').textContent()).toBe("Approved");
    expect(await row.locator('[data-th="Reviewer"]').textContent()).toBe("alice");
    await shot(alice, "decided-list");
  });

  it("sends the verdict on as Review Completed, a final Analysis Completed, the report and the audit log", async () => {
    const [first, second] = task.segments as [TaskView["segments"][0], TaskView["segments"][0]];
    const outcomes = [{ index: first.index, outcome: "confirmed" }, { index: second.index, outcome: "false-positive" }];
    const [completed] = eventsOf("Review Completed");
    expect(completed!.detail).toMatchObject({ taskId: task.taskId, reviewer: "alice", verdict: "approved", segments: outcomes, comment: COMMENT });

    const final = await waitFor("the final Analysis Completed", () => eventsOf("Analysis Completed").find((e) => e.detail.final));
    expect(eventsOf("Analysis Completed")).toHaveLength(2);
    expect(final.detail).toMatchObject({
      final: true, decision: "clean", decidedBy: "reviewer", modelDecision: "review",
      review: { status: "approved", taskId: task.taskId, reviewer: "alice" },
    });

    const report = Report.parse(await runtime.objects.getJson(final.detail.report));
    expect(report.review).toMatchObject({ status: "approved", reviewer: "alice", comment: COMMENT });
    expect(report.decision).toEqual({ value: "clean", by: "reviewer" });
    expect(report.moderation.decision).toBe("review");
    expect(report.moderation.labels.map((l) => l.review)).toEqual([{ outcome: "confirmed" }, { outcome: "false-positive" }]);

    const html = await (await fetch(`${server.url}/media/${mediaId}/report.html`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
    expect(html).toContain("Approved by alice");
    expect(html).toContain("False positive");

    const res = await reviewApi(`/reviews/${encodeURIComponent(task.taskId)}`, BOB);
    const decided = (await res.json()) as TaskView;
    expect(decided.status).toBe("decided");
    expect(decided.audit.map((a) => [a.reviewer, a.action])).toEqual([["alice", "claim"], ["alice", "decide"]]);
    expect(decided.audit[1]!.detail).toEqual({ verdict: "approved", segments: outcomes, comment: COMMENT });
  });

  it("shows bob the decision read-only on a phone-width screen, and no page ever fetched from elsewhere or failed", async () => {
    await bob.setViewportSize({ width: 390, height: 844 });
    await bob.reload();
    await expect.poll(() => bob.locator("#claim-bar").textContent()).toContain("Decided: Approved by alice");
    expect(await bob.locator("#decision").textContent()).toContain(COMMENT);
    const overflow = await bob.evaluate(() => {
      const g = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(bob, "task-decided-phone");

    for (const [page, seen] of watch) {
      const origin = new URL(server.url).origin;
      expect(seen.requests.filter((u) => new URL(u).origin !== origin && !u.startsWith("data:"))).toEqual([]);
      // The refused sign-in (401) and bob's refused claims (409) are expected answers; nothing else may fail.
      const unexpected = seen.errors.filter((e) => !/status of (401|409)/.test(e));
      expect(unexpected, page === alice ? "alice's page" : "bob's page").toEqual([]);
    }
  });
});
