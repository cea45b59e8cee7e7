import { copyFileSync, existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Report } from "@media-pipeline/core";
import { analyzeInCloud, type AnalyzeResult } from "./cloud/harness/analyze.js";
import { startCloudApp, type CloudApp } from "./cloud/harness/app.js";
import { reviewer, reviewerApi } from "./cloud/harness/review.js";
import { createReviewer, signIn } from "./cloud/harness/reviewers.js";
import { signedFetch } from "./cloud/harness/sigv4.js";
import { tempDir } from "./helpers/flow.js";

/*
 * The built-in review of the deployed cloud app, offline: the app synthesized with its default review
 * backend (no A2I), its user pool, review table, page and /reviews API deployed into the emulators;
 * reviewers are users of the pool with real JWTs, the API Gateway authorizers are enforced by the
 * harness, the page runs in Chromium against the deployed API. Three uploads of the sample: alice
 * decides one in the page, alice and bob race for the second through the API, nobody decides the
 * third until the sweep ends it as the model decided.
 *
 * The review band starts at 0 (MEDIA_REVIEW_MIN=0, a deploy setting): every moderation score is
 * then uncertain, so each upload raises a task whatever the model thinks of the sample. That is the
 * stated reason these tasks exist; nothing here relies on the model misjudging the video.
 */

vi.setConfig({ testTimeout: 420_000 });
const CHROMIUM = "/usr/bin/chromium";
const SAMPLE = path.resolve(import.meta.dirname, "../samples/sample.mp4");
const HOUR = 3_600_000;

let dir: string;
let app: CloudApp;
let browser: Browser;
let notices: () => Promise<Array<{ Subject?: string; Message: string }>>;
let pageUrl: string;

/** One upload through the deployed upload API, its task's media id as soon as it is requested, and the final result. */
interface Upload {
  requested: Promise<string>;
  result: Promise<AnalyzeResult>;
}
const uploads: Record<"page" | "race" | "timeout", Upload> = {} as never;

function upload(dir: string, name: string): Upload {
  const file = path.join(dir, `${name}.mp4`);
  copyFileSync(SAMPLE, file);
  let resolve!: (mediaId: string) => void;
  const requested = new Promise<string>((r) => (resolve = r));
  const result = analyzeInCloud(app, file, { timeoutMs: 900_000, onReviewRequested: async (mediaId) => resolve(mediaId) });
  // A failed analysis must fail the test waiting for its task, not hang it.
  result.then((r) => r.status !== "completed" && resolve(Promise.reject(new Error(`${name}: ${r.status} ${r.reason}`)) as never), () => undefined);
  return { requested, result };
}

const output = (key: string) => Object.values(app.deployment.outputs).map((o) => o[key]).find(Boolean)!;
const eventsOf = (mediaId: string, type: string) => app.events.filter((e) => e.detail?.mediaId === mediaId && e["detail-type"] === type);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  dir = await tempDir("cloud-review");
  app = await startCloudApp({ stage: "review", settings: { MEDIA_REVIEW_MIN: "0", MEDIA_REVIEWER_EMAILS: "moderators@example.com" }, workDir: path.join(dir, "app") });
  notices = await app.topicMessages(output("ReviewerTopicArn"));
  pageUrl = output("ReviewPageUrl");
  for (const name of ["alice", "bob"]) await reviewer(app, name);
  uploads.page = upload(dir, "page");
  uploads.race = upload(dir, "race");
  uploads.timeout = upload(dir, "timeout");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--autoplay-policy=no-user-gesture-required"] });
}, 900_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("who may call which API", () => {
  it("keeps upload credentials off /reviews and reviewer tokens off /uploads; the group decides who reviews", async () => {
    const alice = await reviewer(app, "alice");
    const tokens = await signIn(app, alice.name, alice.password);
    // A reviewer's token on the IAM-authorized upload API: API Gateway refuses it before any function.
    const upload = await fetch(`${app.apiUrl}/uploads`, {
      method: "POST", headers: { authorization: `Bearer ${tokens.idToken}`, "content-type": "application/json" },
      body: JSON.stringify({ filename: "x.mp4", contentType: "video/mp4", size: 10 }),
    });
    expect(upload.status).toBe(403);
    // Upload credentials (SigV4) on the review API, and no credentials at all: 401.
    expect((await signedFetch(app, "/reviews")).status).toBe(401);
    expect((await fetch(`${app.apiUrl}/reviews`)).status).toBe(401);
    // A pool user outside the reviewers group: the authorizer passes the token, the function refuses it.
    const mallory = await createReviewer(app, "mallory", { groups: [] });
    const outsider = await reviewerApi(app, (await signIn(app, mallory.name, mallory.password)).idToken)("GET", "/reviews");
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.message).toMatch(/not in the reviewers group/);
    const me = await reviewerApi(app, tokens.idToken)("GET", "/reviews/me");
    expect(me).toEqual({ status: 200, body: { reviewer: "alice" } });
    // The page itself loads without a token and lets the browser reach the pool and the bucket only.
    const page = await fetch(`${app.apiUrl}/review`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain(`connect-src 'self' ${app.moto.endpoint}`);
    expect(csp).toMatch(/media-src 'self' http:\/\/127\.0\.0\.1:\d+/);
  });
});

describe("alice reviews in the page served by the deployed app", () => {
  let page: Page;
  const errors: string[] = [];

  it("tells the reviewers by e-mail (SNS) that a task waits, with a link to it", async () => {
    const mediaId = await uploads.page.requested;
    const [requested] = eventsOf(mediaId, "Review Requested");
    await expect.poll(async () => (await notices()).map((n) => n.Message).join("\n"), { timeout: 60_000 }).toContain(requested.detail.taskId);
    const notice = (await notices()).find((n) => n.Message.includes(requested.detail.taskId))!;
    expect(notice.Subject).toBe("Review waiting: page.mp4");
    expect(notice.Message).toContain(`${pageUrl}#/tasks/${requested.detail.taskId}`);
  });

  it("signs alice in against the pool, opens the task, seeks the player to a segment and approves", async () => {
    const mediaId = await uploads.page.requested;
    const taskId = eventsOf(mediaId, "Review Requested")[0].detail.taskId as string;
    const alice = await reviewer(app, "alice");
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${app.apiUrl}/review`);
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("Password", { exact: true }).fill(alice.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#who-name").textContent()).toBe("alice");

    const row = page.locator(`tr[data-task="${taskId}"]`);
    await row.waitFor();
    expect(await row.locator("td.file").textContent()).toBe("page.mp4");
    await row.locator("td.file a").click();
    await expect.poll(() => page.locator("#claim-bar").textContent()).toContain("Claimed by you");

    // The player loads the upload from the emulated S3 through its presigned link, and seeks by ranges.
    await expect.poll(() => page.locator("#player").evaluate((v) => (v as unknown as { readyState: number }).readyState), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    const task = (await reviewerApi(app, (await signIn(app, alice.name, alice.password)).idToken)("GET", `/reviews/${taskId}`)).body;
    expect(await page.locator(".seg").count()).toBe(task.segments.length);
    // A segment past the first, so the seek is a real move of the playhead.
    const target = [...task.segments].sort((a: { startMs: number }, b: { startMs: number }) => b.startMs - a.startMs)[0];
    expect(target.startMs).toBeGreaterThan(0);
    await page.locator(`.seg[data-index="${target.index}"] .seg-jump`).click();
    await expect.poll(() => page.locator("#player").evaluate((v) => (v as unknown as { currentTime: number }).currentTime), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(target.startMs / 1000 - 0.5);
    expect(await page.locator(`.seg[data-index="${target.index}"]`).getAttribute("aria-current")).toBe("true");

    await page.locator("h1").focus();
    await page.keyboard.press("a");
    await page.locator("#comment").fill("Reviewed in the cloud page.");
    await page.locator("#comment").press("Control+Enter");
    await page.locator("#decision").waitFor();
    expect(await page.locator("#decision .decision-big").textContent()).toContain("by alice");
    const actions = await page.locator("#audit li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-action")));
    expect(actions).toEqual(["claim", "decide"]);
    expect(errors).toEqual([]);
  });

  it("sends the verdict on as Review Completed and a final Analysis Completed decided by alice, and the report says so", async () => {
    const result = await uploads.page.result;
    expect(result.status).toBe("completed");
    const [completed, ...again] = eventsOf(result.mediaId!, "Review Completed");
    expect(again).toEqual([]);
    expect(completed.detail).toMatchObject({ verdict: "approved", reviewer: "alice", comment: "Reviewed in the cloud page." });
    const final = eventsOf(result.mediaId!, "Analysis Completed").at(-1);
    expect(final.detail).toMatchObject({ final: true, decision: "clean", decidedBy: "reviewer", review: { status: "approved", reviewer: "alice" } });
    const report = Report.parse(result.report);
    expect(report.review).toMatchObject({ status: "approved", reviewer: "alice", comment: "Reviewed in the cloud page." });
  });
});

describe("two reviewers racing through the API", () => {
  it("gives the claim to one; the other gets 409 until it is released; a second verdict is refused with 409", async () => {
    const mediaId = await uploads.race.requested;
    const taskId = eventsOf(mediaId, "Review Requested")[0].detail.taskId as string;
    const [alice, bob] = await Promise.all(["alice", "bob"].map(async (name) => {
      const person = await reviewer(app, name);
      return reviewerApi(app, (await signIn(app, person.name, person.password)).idToken);
    }));
    const claims = await Promise.all([alice!("POST", `/reviews/${taskId}/claim`), bob!("POST", `/reviews/${taskId}/claim`)]);
    expect(claims.map((c) => c.status).sort()).toEqual([200, 409]);
    const [winner, loser] = claims[0]!.status === 200 ? [alice!, bob!] : [bob!, alice!];
    const loserName = winner === alice ? "bob" : "alice";
    expect(claims.find((c) => c.status === 409)!.body.error.code).toBe("claimed");
    expect((await loser("POST", `/reviews/${taskId}/verdict`, { verdict: "approved" })).status).toBe(409);

    expect((await winner("POST", `/reviews/${taskId}/release`)).body.status).toBe("open");
    expect((await loser("POST", `/reviews/${taskId}/claim`)).status).toBe(200);
    const decided = await loser("POST", `/reviews/${taskId}/verdict`, { verdict: "rejected" });
    expect(decided.status).toBe(200);
    const late = await winner("POST", `/reviews/${taskId}/verdict`, { verdict: "approved" });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain(`rejected by ${loserName}`);
    const audit = (await winner("GET", `/reviews/${taskId}`)).body.audit.map((a: { action: string }) => a.action);
    expect(audit).toEqual(["claim", "release", "claim", "decide"]);

    const result = await uploads.race.result;
    const final = eventsOf(result.mediaId!, "Analysis Completed").at(-1);
    expect(final.detail).toMatchObject({ final: true, decision: "flagged", decidedBy: "reviewer", review: { status: "rejected", reviewer: loserName } });
  });
});

describe("a task nobody decides", () => {
  it("ends as the model decided when the sweep finds it past the timeout, with Stage Failed saying so", async () => {
    const mediaId = await uploads.timeout.requested;
    const taskId = eventsOf(mediaId, "Review Requested")[0].detail.taskId as string;
    const modelDecision = eventsOf(mediaId, "Moderation Completed")[0].detail.decision;
    // Undecided, the first report lands and says the review is pending.
    await expect.poll(() => eventsOf(mediaId, "Analysis Completed").length, { timeout: 300_000, interval: 500 }).toBeGreaterThan(0);
    expect(eventsOf(mediaId, "Analysis Completed").map((e) => [e.detail.final, e.detail.review.status])).toEqual([[false, "pending"]]);
    // The schedule's time is the sweep's clock: three days (the default timeout) and an hour on.
    const swept = await app.fireSchedule("review-sweep", new Date(Date.now() + 73 * HOUR));
    expect(swept).toMatchObject({ ok: true, result: { expired: 1 } });

    const result = await uploads.timeout.result;
    const [failed] = eventsOf(mediaId, "Stage Failed");
    expect(failed.detail).toMatchObject({
      stage: "request-review",
      error: { name: "ReviewTimedOutError", message: "No reviewer decided the task within 72 hours; the model's decision stands" },
    });
    const final = eventsOf(mediaId, "Analysis Completed").at(-1);
    expect(final.detail).toMatchObject({ final: true, decision: modelDecision, decidedBy: "model", review: { status: "failed" } });
    expect(Report.parse(result.report).review).toMatchObject({ status: "failed" });

    const alice = await reviewer(app, "alice");
    const call = reviewerApi(app, (await signIn(app, alice.name, alice.password)).idToken);
    expect((await call("GET", `/reviews/${taskId}`)).body.status).toBe("expired");
    const late = await call("POST", `/reviews/${taskId}/verdict`, { verdict: "approved" });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("expired");
    // Nothing else was open to expire: the other two were decided.
    expect((await call("GET", "/reviews?status=expired")).body.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([taskId]);
  });
});
