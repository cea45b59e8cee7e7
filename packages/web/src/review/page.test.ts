import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page, type Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReviewPage, reviewPageHeaders, type ReviewPageOptions } from "./page.js";

/*
 * The review page against a scripted API (Playwright answers its requests): the answers a real
 * server gives rarely or only after a race (409 on submit, 400, a withdrawn token, a task that
 * expired, a lapsing Cognito sign-in) and hostile task text. test/review-page.test.ts runs the page
 * against the real server and pipeline, test/review-page-cognito.test.ts against a Cognito emulator.
 */

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = resolve(import.meta.dirname, "../../../../test/.tmp/artifacts");
const ORIGIN = "http://review.test";
const TOKEN = "carol-token-0123456789";
const EVIL_FILE = `<img src=x onerror="window.__pwned=1">.mp4`;
const EVIL_NAME = "<script>window.__pwned=2</script>";
const EVIL_CATEGORY = `"><svg onload=window.__pwned=3>`;

interface Answer {
  status: number;
  body: unknown;
  /** The answer waits for this, to look at the page while the request is in flight. */
  hold?: Promise<void>;
}
interface Mock {
  task: Record<string, unknown>;
  claims: Answer[];
  verdicts: Answer[];
  revoked: boolean;
  /** The bearer tokens the API accepts. */
  tokens: Set<string>;
  counts: Record<string, number>;
  sent: Array<{ method: string; path: string; body: unknown; auth?: string }>;
  /** Cognito's answer to each call of a page with the Cognito sign-in, and the calls it got. */
  idp?: (body: Record<string, unknown>) => Answer;
  idpSent: Array<{ target: string; body: Record<string, unknown> }>;
}

function openTask(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    taskId: "m1-review", mediaId: "m1", filename: EVIL_FILE, status: "open", createdAt: "2026-01-02T10:00:00.000Z",
    claimedBy: null, claimExpiresAt: null, decision: null, modelDecision: "review", thresholds: { reviewMin: 10, flagMin: 90 },
    categories: ["Explicit", EVIL_CATEGORY], segmentCount: 2, mediaUrl: "/media.mp4?sig=x",
    segments: [
      { index: 0, startMs: 0, endMs: 2000, category: "Explicit", name: EVIL_NAME, parent: "Explicit", confidence: 36.2, decision: "review", keyframeUrl: "/keyframes/0.jpg" },
      { index: 1, startMs: 2000, endMs: 4000, category: EVIL_CATEGORY, name: "Revealing Clothes", parent: EVIL_CATEGORY, confidence: 12.6, decision: "review" },
    ],
    audit: [],
    ...over,
  };
}
const claimed = (task: Record<string, unknown>, by = "carol") =>
  ({ ...task, status: "claimed", claimedBy: by, claimExpiresAt: "2026-01-02T10:30:00.000Z", audit: [{ at: "2026-01-02T10:00:05.000Z", reviewer: by, action: "claim", detail: { until: "2026-01-02T10:30:00.000Z" } }] });
const error = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });

let dir: string;
let browser: Browser;
let video: string;
let jpeg: string;

beforeAll(async () => {
  // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  dir = mkdtempSync(join(tmpdir(), "review-page-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  video = join(dir, "clip.mp4");
  jpeg = join(dir, "key.jpg");
  const ff = ["-v", "error", "-y", "-f", "lavfi", "-i"];
  execFileSync("ffmpeg", [...ff, "testsrc2=s=160x90:r=10:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", video]);
  execFileSync("ffmpeg", [...ff, "smptebars=s=160x90", "-frames:v", "1", jpeg]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page whose every request is answered from `mock`; task answers follow the claims and verdicts queued there. */
async function open(mock: Mock, options?: ReviewPageOptions, width = 1280): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const json = (route: Route, a: Answer) => route.fulfill({ status: a.status, contentType: "application/json", body: JSON.stringify(a.body) });
  await context.route("**/*", async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (url.origin !== ORIGIN) return route.abort();
    const p = url.pathname;
    if (p === "/review") return route.fulfill({ status: 200, headers: reviewPageHeaders(options), body: renderReviewPage(options) });
    if (p === "/cognito/" && mock.idp) {
      const body = req.postDataJSON() as Record<string, unknown>;
      mock.idpSent.push({ target: req.headers()["x-amz-target"] ?? "", body });
      const a = mock.idp(body);
      return route.fulfill({ status: a.status, contentType: "application/x-amz-json-1.1", body: JSON.stringify(a.body) });
    }
    if (p === "/media.mp4") return route.fulfill({ path: video, contentType: "video/mp4" });
    if (p.startsWith("/keyframes/")) return route.fulfill({ path: jpeg, contentType: "image/jpeg" });
    const auth = req.headers().authorization;
    mock.sent.push({ method: req.method(), path: p + url.search, body: req.postDataJSON() ?? null, auth });
    if (mock.revoked || !mock.tokens.has(auth?.replace(/^Bearer /, "") ?? "")) return json(route, error(401, "unauthorized", "Send Authorization: Bearer <reviewer token>"));
    if (p === "/reviews/me") return json(route, { status: 200, body: { reviewer: "carol" } });
    if (p === "/reviews") return json(route, { status: 200, body: { tasks: [mock.task], counts: mock.counts } });
    if (p.endsWith("/claim")) {
      const a = mock.claims.shift() ?? { status: 200, body: claimed(mock.task) };
      if (a.status === 200) mock.task = a.body as Record<string, unknown>;
      return json(route, a);
    }
    if (p.endsWith("/verdict")) {
      const a = mock.verdicts.shift() ?? error(500, "internal", "no answer scripted");
      await a.hold;
      return json(route, a);
    }
    return json(route, { status: 200, body: mock.task });
  });
  await page.goto(`${ORIGIN}/review`);
  return { page, errors };
}

function newMock(task = openTask()): Mock {
  return { task, claims: [], verdicts: [], revoked: false, tokens: new Set([TOKEN]), counts: { open: 1, claimed: 0, decided: 0 }, sent: [], idpSent: [] };
}

async function signIn(page: Page): Promise<void> {
  await page.locator("#token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#who-name").waitFor();
}

async function openFirstTask(page: Page): Promise<void> {
  await page.locator("tr[data-task] td.file a").click();
  await page.locator("#claim-bar .msg").waitFor();
}

const checked = (page: Page, index: number, outcome: string) => page.locator(`input[name="outcome-${index}"][value="${outcome}"]`).isChecked();
const lastBody = (mock: Mock) => mock.sent.filter((s) => s.path.endsWith("/verdict")).at(-1)?.body;

describe("review page (scripted API, Chromium)", () => {
  it("puts task text on the page as text, never as markup", async () => {
    const mock = newMock();
    const { page, errors } = await open(mock);
    await signIn(page);
    expect(await page.locator("tr[data-task] td.file").textContent()).toBe(EVIL_FILE);
    await openFirstTask(page);
    expect(await page.locator("h1").textContent()).toBe(EVIL_FILE);
    expect(await page.title()).toContain(EVIL_FILE);
    expect(await page.locator('.seg[data-index="0"] .seg-name').textContent()).toBe(EVIL_NAME);
    expect(await page.locator('.seg[data-index="1"] .chip').textContent()).toBe(EVIL_CATEGORY);
    expect(await page.locator('.seg[data-index="0"] select option').allTextContents()).toContain(EVIL_CATEGORY);
    expect(await page.locator('.seg[data-index="1"] .noimg').textContent()).toBe("No keyframe");
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("script").count()).toBe(1);
    expect(await page.locator("img").count()).toBe(1);
    // A server that answers no expired count (the local one never expires a task) shows no Expired tab.
    await page.getByRole("link", { name: "← Review queue" }).click();
    await page.locator("tr[data-task]").waitFor();
    expect(await page.locator('a[href="#/expired"]').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("keeps every answer through a 409 and a 400 on submit, and submits once the claim is back", async () => {
    const mock = newMock();
    const { page, errors } = await open(mock);
    await signIn(page);
    await openFirstTask(page);
    await page.locator("h1").focus();
    await page.keyboard.press("1");
    await page.keyboard.press("j");
    await page.keyboard.press("2");
    await page.keyboard.press("r");
    await page.locator("#comment").fill("Keep me");

    mock.verdicts.push(error(409, "claimed", "Task m1-review is claimed by dave until 2026-01-02T11:00:00.000Z"));
    await page.locator("#comment").press("Control+Enter");
    await expect.poll(() => page.locator("#form-msg").textContent()).toContain("claimed by dave");
    expect(await page.locator("#form-msg").textContent()).toContain("Your answers are kept");
    expect(await page.locator("#claim-bar").textContent()).toContain("Read-only");
    expect(await page.locator("#form-msg").textContent()).not.toContain("2026-01-02T11:00:00.000Z"); // shown as a local time
    expect(await page.locator("#verdict-submit").isDisabled()).toBe(true);
    expect(await checked(page, 0, "confirmed")).toBe(true);
    expect(await checked(page, 1, "false-positive")).toBe(true);
    expect(await page.locator('input[name="verdict"][value="rejected"]').isChecked()).toBe(true);
    expect(await page.locator("#comment").inputValue()).toBe("Keep me");
    const shot = join(ARTIFACTS, "review-submit-refused-409.png");
    await page.screenshot({ path: shot });
    console.log(`review page screenshot: ${shot}`);

    await page.getByRole("button", { name: "Try to claim again" }).click();
    await expect.poll(() => page.locator("#claim-bar").textContent()).toContain("Claimed by you");
    expect(await page.locator("#verdict-submit").isEnabled()).toBe(true);

    mock.verdicts.push(error(400, "invalid_verdict", "The verdict does not fit the task: segment 1: a category goes only with wrong-category"));
    await page.locator("#verdict-submit").click();
    await expect.poll(() => page.locator("#form-msg").textContent()).toContain("a category goes only with wrong-category");
    expect(await page.locator("#verdict-submit").isEnabled()).toBe(true);
    expect(await checked(page, 1, "false-positive")).toBe(true);
    expect(await page.locator("#comment").inputValue()).toBe("Keep me");

    const decision = { taskId: "m1-review", verdict: "rejected", reviewer: "carol", decidedAt: "2026-01-02T10:05:00.000Z", comment: "Keep me",
      segments: [{ index: 0, outcome: "confirmed" }, { index: 1, outcome: "false-positive" }] };
    const decided = { ...claimed(mock.task), status: "decided", claimedBy: null, claimExpiresAt: null, decision };
    mock.verdicts.push({ status: 200, body: { decision, task: decided } });
    await page.locator("#verdict-submit").click();
    await page.locator("#decision").waitFor();
    expect(await page.locator("#decision .badge").first().textContent()).toBe("Rejected");
    expect(lastBody(mock)).toEqual({ verdict: "rejected", segments: [{ index: 0, outcome: "confirmed" }, { index: 1, outcome: "false-positive" }], comment: "Keep me" });
    expect(mock.sent.filter((s) => s.path.endsWith("/verdict"))).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it("says Submitting… on the disabled submit button while the verdict is in flight, and nothing more", async () => {
    const mock = newMock();
    const { page, errors } = await open(mock);
    await signIn(page);
    await openFirstTask(page);
    await page.locator(".vopt.approved").click();
    let answer = () => {};
    mock.verdicts.push({ ...error(409, "claimed", "Task m1-review is claimed by dave"), hold: new Promise<void>((resolve) => (answer = resolve)) });
    await page.locator("#verdict-submit").click();
    await expect.poll(() => page.locator("#verdict-submit").textContent()).toBe("Submitting…");
    expect(await page.locator("#verdict-submit").isDisabled()).toBe(true);
    answer();
    await expect.poll(() => page.locator("#form-msg").textContent()).toContain("claimed by dave");
    expect(await page.locator("#verdict-submit").textContent()).toBe("Submit verdictCtrl+Enter");
    expect(errors).toEqual([]);
  });

  it("asks for the right category on a wrong-category answer, from the list or typed", async () => {
    const mock = newMock();
    const { page } = await open(mock);
    await signIn(page);
    await openFirstTask(page);
    await page.locator("h1").focus();
    await page.keyboard.press("3");
    // The category control takes the focus; Escape hands the keys back to the shortcuts.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("SELECT");
    await page.keyboard.press("Escape");
    await page.keyboard.press("a");
    await page.keyboard.press("Control+Enter");
    await expect.poll(() => page.locator("#form-msg").textContent()).toContain("choose or type the category");
    expect(mock.sent.filter((s) => s.path.endsWith("/verdict"))).toEqual([]);

    await page.locator('.seg[data-index="0"] select').selectOption("__other");
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type)).toBe("text");
    await page.keyboard.type("explicit");
    await page.keyboard.press("Control+Enter");
    await expect.poll(() => page.locator("#form-msg").textContent()).toContain("is the category the model gave");

    await page.locator('.seg[data-index="0"] select').selectOption(EVIL_CATEGORY);
    mock.verdicts.push(error(409, "decided", "Task m1-review was already decided (approved by dave)"));
    await page.keyboard.press("Control+Enter");
    await expect.poll(() => page.locator("#form-msg").textContent()).toContain("already decided (approved by dave)");
    expect(lastBody(mock)).toEqual({ verdict: "approved", segments: [{ index: 0, outcome: "wrong-category", category: EVIL_CATEGORY }] });
  });

  it("keeps unsent answers across a reload of the tab", async () => {
    const mock = newMock();
    const { page } = await open(mock);
    await signIn(page);
    await openFirstTask(page);
    await page.locator('.seg[data-index="1"] .opt.false-positive').click();
    await page.locator('.vopt.approved').click();
    await page.locator("#comment").fill("half done");
    await page.reload();
    await page.locator("#claim-bar .msg").waitFor();
    expect(await checked(page, 1, "false-positive")).toBe(true);
    expect(await page.locator('input[name="verdict"][value="approved"]').isChecked()).toBe(true);
    expect(await page.locator("#comment").inputValue()).toBe("half done");
    expect(await page.locator("#answered").textContent()).toBe("1 of 2");
  });

  it("opens a task another reviewer decided read-only, saying who decided what", async () => {
    const decision = { taskId: "m1-review", verdict: "approved", reviewer: "dave", decidedAt: "2026-01-02T10:05:00.000Z", segments: [{ index: 1, outcome: "wrong-category", category: "Violence" }] };
    const mock = newMock({ ...openTask(), status: "decided", decision, audit: [
      { at: "2026-01-02T10:00:00.000Z", reviewer: "dave", action: "claim", detail: { until: "2026-01-02T10:30:00.000Z" } },
      { at: "2026-01-02T10:01:00.000Z", reviewer: "dave", action: "claim", detail: { until: "2026-01-02T10:31:00.000Z" } },
      { at: "2026-01-02T10:05:00.000Z", reviewer: "dave", action: "decide", detail: { verdict: "approved", segments: decision.segments } },
    ] });
    mock.claims.push(error(409, "decided", "Task m1-review was already decided (approved by dave)"));
    const { page } = await open(mock);
    await signIn(page);
    await openFirstTask(page);
    expect(await page.locator("#claim-bar").textContent()).toContain("Decided: Approved by dave");
    expect(await page.locator("#decision").textContent()).toContain("1 wrong category");
    expect(await checked(page, 1, "wrong-category")).toBe(true);
    expect(await page.locator('.seg[data-index="1"] input[type="text"]').inputValue()).toBe("Violence");
    expect(await page.locator("#audit li").allTextContents()).toEqual([
      expect.stringContaining("dave claimed the task, renewed once"),
      expect.stringContaining("dave decided: Approved"),
    ]);
    await page.keyboard.press("2");
    expect(await checked(page, 1, "wrong-category")).toBe(true);
    expect(await page.locator("#toast").textContent()).toContain("decided");
  });

  it("signs out with a message when the server stops accepting the token", async () => {
    const mock = newMock();
    const { page } = await open(mock);
    await signIn(page);
    // The queue's first load must be answered before the token stops working: revoked earlier, that load
    // signs the page out by itself (on a loaded machine it can still be on its way) and Refresh is gone.
    await page.locator("#stat-open").waitFor();
    mock.revoked = true;
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => page.locator("#login-msg").textContent()).toContain("no longer accepted");
    expect(await page.locator("#who").isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("shows a task nobody decided in time read-only, in a tab of its own, with the model's decision standing", async () => {
    const mock = newMock({ ...openTask(), status: "expired", audit: [
      { at: "2026-01-02T10:00:05.000Z", reviewer: "dave", action: "claim", detail: { until: "2026-01-02T10:30:00.000Z" } },
      { at: "2026-01-03T10:00:00.000Z", reviewer: "system", action: "expire", detail: null },
    ] });
    mock.counts = { open: 0, claimed: 0, decided: 2, expired: 1 };
    mock.claims.push(error(409, "expired", "Task m1-review ran out of time undecided; the model's decision stands"));
    const { page, errors } = await open(mock);
    await signIn(page);
    const tab = page.getByRole("link", { name: /^Expired/ });
    await tab.waitFor();
    expect(await page.locator("#stat-expired dd").textContent()).toBe("1");
    await tab.click();
    await page.getByRole("heading", { name: "Expired tasks" }).waitFor();
    const row = page.locator('tr[data-task="m1-review"]');
    await row.waitFor();
    expect(mock.sent.map((s) => s.path)).toContain("/reviews?status=expired");
    expect(await row.locator('[data-th="Status"] .badge.expired').textContent()).toBe("Expired");
    expect(await row.locator('[data-th="Decision"]').textContent()).toBe("Review by the model");

    await row.locator("td.file a").click();
    await page.locator("#claim-bar .msg").waitFor();
    expect(await page.locator("#claim-bar").textContent()).toBe("Expired. Nobody decided this task in time; the model's decision stands. This task is read-only.");
    expect(await page.locator("#claim-again").count()).toBe(0);
    expect(await page.locator(".task-head .badge.expired").textContent()).toBe("Expired");
    expect(await page.locator("#decision").textContent()).toContain("Nobody decided this task in time; the model's decision stands.");
    expect(await page.locator("#verdict-form").count()).toBe(0);
    expect(await page.locator('input[name="outcome-0"]').first().isDisabled()).toBe(true);
    expect(await page.locator("#audit li").allTextContents()).toEqual([
      expect.stringContaining("dave claimed the task"),
      expect.stringContaining("Expired: nobody decided in time, so the model's decision stands"),
    ]);
    await page.locator("h1").focus();
    await page.keyboard.press("1");
    expect(await page.locator("#toast").textContent()).toBe("This task expired undecided; the model's decision stands.");
    expect(await page.locator("input:checked").count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("renews a Cognito ID token about to lapse before a call, and once more when the API refuses one; signs out when Cognito refuses", async () => {
    const jwt = (lifeS: number, n: number) =>
      [{ alg: "RS256" }, { "cognito:username": "carol", exp: Math.floor(Date.now() / 1000) + lifeS, n }].map((p) => Buffer.from(JSON.stringify(p)).toString("base64url")).join(".") + ".sig";
    const first = jwt(30, 1);
    const renewals = [jwt(3600, 2), jwt(3600, 3)];
    const [second, third] = renewals as [string, string];
    const mock = newMock();
    mock.tokens = new Set([first]);
    let refuse = false;
    mock.idp = (body) => {
      if (body.AuthFlow === "USER_PASSWORD_AUTH") return { status: 200, body: { AuthenticationResult: { IdToken: first, AccessToken: "a", RefreshToken: "refresh-1", ExpiresIn: 30, TokenType: "Bearer" } } };
      if (refuse) return { status: 400, body: { __type: "NotAuthorizedException", message: "Refresh Token has been revoked" } };
      const next = renewals.shift()!;
      mock.tokens.add(next);
      return { status: 200, body: { AuthenticationResult: { IdToken: next, AccessToken: "a", ExpiresIn: 3600, TokenType: "Bearer" } } };
    };
    const { page, errors } = await open(mock, { signIn: { kind: "cognito", endpoint: `${ORIGIN}/cognito/`, clientId: "client-1" } });
    await page.getByLabel("User name").fill("carol");
    await page.getByLabel("Password", { exact: true }).fill("Secret-123");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator("tr[data-task]").waitFor();
    expect(await page.locator("#who").textContent()).toContain("Signed in as carol");
    // The first ID token lapses within the minute: renewed before the queue is asked for.
    expect(mock.idpSent).toEqual([
      { target: "AWSCognitoIdentityProviderService.InitiateAuth", body: { AuthFlow: "USER_PASSWORD_AUTH", ClientId: "client-1", AuthParameters: { USERNAME: "carol", PASSWORD: "Secret-123" } } },
      { target: "AWSCognitoIdentityProviderService.InitiateAuth", body: { AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: "client-1", AuthParameters: { REFRESH_TOKEN: "refresh-1" } } },
    ]);
    const queueCalls = () => mock.sent.filter((s) => s.path === "/reviews?status=open");
    expect(queueCalls().map((s) => s.auth)).toEqual([`Bearer ${second}`]);

    // The API stops accepting the second one before its time: renewed once, the call made again.
    mock.tokens.delete(second);
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => queueCalls().at(-1)?.auth).toBe(`Bearer ${third}`);
    expect(queueCalls().map((s) => s.auth)).toEqual([`Bearer ${second}`, `Bearer ${second}`, `Bearer ${third}`]);
    expect(await page.locator("#who").isVisible()).toBe(true);
    // A reload keeps the sign-in (this tab's sessionStorage).
    await page.reload();
    await page.locator("tr[data-task]").waitFor();
    expect(await page.locator("#who-name").textContent()).toBe("carol");

    // Cognito refuses the refresh token too: signed out, saying why, nothing kept.
    refuse = true;
    mock.tokens.delete(third);
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => page.locator("#login-msg").textContent()).toBe("Your sign-in has expired. Sign in again.");
    expect(await page.locator("#who").isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(mock.idpSent.filter((s) => s.body.AuthFlow === "REFRESH_TOKEN_AUTH")).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it("lists the keyboard shortcuts under ?", async () => {
    const { page } = await open(newMock());
    await signIn(page);
    await page.keyboard.press("?");
    const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await dialog.waitFor();
    const text = await dialog.textContent();
    for (const key of ["j", "k", "1", "2", "3", "a", "r", "Space", "Ctrl", "Enter"]) expect(text).toContain(key);
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.isVisible()).toBe(false);
  });
});
