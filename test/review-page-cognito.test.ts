import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminSetUserPasswordCommand, CognitoIdentityProviderClient, CreateGroupCommand,
  CreateUserPoolClientCommand, CreateUserPoolCommand, InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReviewPage, reviewPageHeaders, type ReviewPageOptions } from "../packages/web/src/index.js";
import { startMoto, type Moto } from "./helpers/moto.js";

/*
 * The review page's Cognito sign-in in Chromium against a real user pool (moto_server's, which answers
 * the browser's CORS preflight like Cognito): the page is served the way the cloud app serves it (its
 * options and headers) by a small API that checks the bearer ID token the way the cloud's does: the
 * pool's signature (its JWKS), issuer, audience = the app client, and the reviewers group.
 */

const CHROMIUM = "/usr/bin/chromium";
const ALICE_PASSWORD = "Alice-pass-1";
const BOB_TEMPORARY = "Bob-temp-1";
const BOB_PASSWORD = "Bob-chosen-2";
const MALLORY_PASSWORD = "Mallory-pass-1";
const NOT_REVIEWER = "Your account is not in the reviewers group; ask an administrator to add you.";

let moto: Moto;
let idp: CognitoIdentityProviderClient;
let poolId: string;
let clientId: string;
let options: ReviewPageOptions;
let api: Server;
let pageUrl: string;
let browser: Browser;
/** The ID tokens' claims the API accepted, in order. */
const accepted: Array<JWTPayload & { token: string }> = [];
/** Answer the next API call that carries a valid token with a 401 anyway (a token refused before its time). */
let refuseNext = false;
/** Per page: console errors, failed scripts and content security policy violations. */
const watch = new Map<Page, string[]>();

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** The cloud API's check of a reviewer: a Cognito ID token of this pool and app client, in the reviewers group. */
async function reviewer(req: IncomingMessage, jwks: ReturnType<typeof createRemoteJWKSet>): Promise<{ status: number; name?: string; message: string }> {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!token) return { status: 401, message: "Send Authorization: Bearer <ID token>" };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwks, { issuer: `https://cognito-idp.us-east-1.amazonaws.com/${poolId}`, audience: clientId, algorithms: ["RS256"] }));
  } catch (e) {
    return { status: 401, message: `The token is not accepted: ${(e as Error).message}` };
  }
  if (payload.token_use !== "id") return { status: 401, message: "Send the ID token" };
  if (refuseNext) {
    refuseNext = false;
    return { status: 401, message: "The token has expired" };
  }
  accepted.push({ ...payload, token });
  const groups = payload["cognito:groups"];
  if (!Array.isArray(groups) || !groups.includes("reviewers")) return { status: 403, message: "Your account is not in the reviewers group; ask an administrator to add you" };
  return { status: 200, name: String(payload["cognito:username"]), message: "" };
}

async function createUser(username: string, password: string, options: { permanent: boolean; reviewer: boolean }): Promise<void> {
  await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: username, TemporaryPassword: password, MessageAction: "SUPPRESS" }));
  if (options.permanent) await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: username, Password: password, Permanent: true }));
  if (options.reviewer) await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: username, GroupName: "reviewers" }));
}

beforeAll(async () => {
  // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  moto = await startMoto();
  idp = new CognitoIdentityProviderClient(moto.clientConfig);
  poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: "media-pipeline-reviewers" }))).UserPool!.Id!;
  clientId = (await idp.send(new CreateUserPoolClientCommand({
    UserPoolId: poolId, ClientName: "review-page", GenerateSecret: false,
    ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
  }))).UserPoolClient!.ClientId!;
  await idp.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: "reviewers" }));
  await createUser("alice", ALICE_PASSWORD, { permanent: true, reviewer: true });
  await createUser("bob", BOB_TEMPORARY, { permanent: false, reviewer: true });
  await createUser("mallory", MALLORY_PASSWORD, { permanent: true, reviewer: false });

  options = { signIn: { kind: "cognito", endpoint: `${moto.endpoint}/`, clientId }, media: [moto.endpoint] };
  const jwks = createRemoteJWKSet(new URL(`${moto.endpoint}/${poolId}/.well-known/jwks.json`));
  api = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET" && path === "/review") {
      const html = renderReviewPage(options);
      res.writeHead(200, { ...reviewPageHeaders(options), "content-length": Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    if (req.method !== "GET" || (path !== "/reviews/me" && path !== "/reviews")) {
      send(res, 404, { error: { code: "not_found", message: `No route for ${req.method} ${path}` } });
      return;
    }
    reviewer(req, jwks).then(
      (who) => {
        if (who.status === 401) send(res, 401, { error: { code: "unauthorized", message: who.message } });
        else if (who.status === 403) send(res, 403, { error: { code: "forbidden", message: who.message } });
        else if (path === "/reviews/me") send(res, 200, { reviewer: who.name });
        else send(res, 200, { tasks: [], counts: { open: 0, claimed: 0, decided: 0, expired: 0 } });
      },
      (e: unknown) => send(res, 500, { error: { code: "internal", message: String(e) } }),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/review`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (api ? api.close(resolve) : resolve(undefined)));
  idp?.destroy();
  await moto?.stop();
});

async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Any violation of the page's content security policy, as the page itself sees it.
  await context.addInitScript({
    content: 'document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  watch.set(page, errors);
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pageUrl);
  return page;
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const loginMessage = (page: Page) => page.locator("#login-msg").textContent();

/** The page's sessionStorage (test/ compiles without the DOM lib). */
interface PageStorage {
  length: number;
  getItem(key: string): string | null;
}
const stored = (page: Page, key: string) => page.evaluate((k) => (globalThis as unknown as { sessionStorage: PageStorage }).sessionStorage.getItem(k), key);
const storedCount = (page: Page) => page.evaluate(() => (globalThis as unknown as { sessionStorage: PageStorage }).sessionStorage.length);

describe("review page, Cognito sign-in (moto user pool, Chromium)", () => {
  it("serves the page with a policy that lets it reach the user pool", async () => {
    const res = await fetch(pageUrl);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`connect-src 'self' ${moto.endpoint}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await res.text()).toContain('<script type="application/json" id="page-config">');
  });

  it("says a wrong password or an unknown user plainly, and asks for no reviewer token", async () => {
    const page = await openPage();
    expect(await page.locator("main").textContent()).not.toContain("MEDIA_PIPELINE_REVIEWER_TOKENS");
    await signIn(page, "alice", "not-her-password");
    await expect.poll(() => loginMessage(page)).toBe("Wrong user name or password.");
    expect(await page.locator("#password:focus").count()).toBe(1);
    await signIn(page, "nobody", "Whatever-1");
    await expect.poll(() => page.getByRole("button", { name: "Sign in", exact: true }).isEnabled()).toBe(true);
    expect(await loginMessage(page)).toBe("Wrong user name or password.");
    expect(await page.locator("#who").isHidden()).toBe(true);
    expect(accepted).toEqual([]);
  });

  it("signs alice in with her ID token, and renews it through Cognito when the API refuses it", async () => {
    const page = await openPage();
    await signIn(page, "alice", ALICE_PASSWORD);
    await page.locator("#who-name").waitFor();
    expect(await page.locator("#who").textContent()).toContain("Signed in as alice");
    await page.getByText("Nothing to review").waitFor();
    // The API got the ID token: audience the app client, alice's groups in it.
    const first = accepted.at(-1)!;
    expect(first).toMatchObject({ aud: clientId, token_use: "id", "cognito:username": "alice", "cognito:groups": ["reviewers"] });
    expect(await stored(page, "media-pipeline.review.refresh")).toBeTruthy();

    // A token refused before its time: one REFRESH_TOKEN_AUTH, the call again with the new ID token.
    refuseNext = true;
    const before = accepted.length;
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => accepted.length).toBe(before + 1);
    expect(accepted.at(-1)!.token).not.toBe(first.token);
    expect(accepted.at(-1)).toMatchObject({ aud: clientId, "cognito:username": "alice" });
    expect(await page.locator("#who").isVisible()).toBe(true);
  });

  it("asks bob, invited with a temporary password, for a new one, then signs him in", async () => {
    const page = await openPage();
    await signIn(page, "bob", BOB_TEMPORARY);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    const first = page.getByLabel("New password", { exact: true });
    const again = page.getByLabel("New password, again");
    const submit = page.getByRole("button", { name: "Set the password and sign in" });
    const message = () => page.locator("#new-password-msg").textContent();

    await first.fill(BOB_PASSWORD);
    await again.fill(`${BOB_PASSWORD}x`);
    await submit.click();
    expect(await message()).toBe("The two passwords differ; type the same one twice.");

    // The pool's policy (moto's default: upper and lower case, a digit, a symbol) refuses this one.
    await first.fill("weakpassword");
    await again.fill("weakpassword");
    await submit.click();
    await expect.poll(message).toBe("That password is not accepted: The provided password does not confirm to the configured password policy.");

    await first.fill(BOB_PASSWORD);
    await again.fill(BOB_PASSWORD);
    await submit.click();
    await page.locator("#who-name").waitFor();
    expect(await page.locator("#who").textContent()).toContain("Signed in as bob");

    // The chosen password is his from now on: signing in again asks for nothing more.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, "bob", BOB_PASSWORD);
    await page.locator("#who-name").waitFor();
    expect(await page.locator("#who-name").textContent()).toBe("bob");
  });

  it("tells mallory, whose account is outside the reviewers group, to ask for it", async () => {
    const page = await openPage();
    await signIn(page, "mallory", MALLORY_PASSWORD);
    await expect.poll(() => loginMessage(page)).toBe(NOT_REVIEWER);
    expect(await page.locator("#who").isHidden()).toBe(true);
    expect(await storedCount(page)).toBe(0);
  });

  it("signs in with a pasted ID token as the fallback", async () => {
    const auth = await idp.send(new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId, AuthParameters: { USERNAME: "alice", PASSWORD: ALICE_PASSWORD },
    }));
    const page = await openPage();
    await page.getByText("Sign in with a token instead").click();
    await page.getByLabel("Token", { exact: true }).fill(auth.AuthenticationResult!.IdToken!);
    await page.getByRole("button", { name: "Sign in with the token" }).click();
    await page.locator("#who-name").waitFor();
    expect(await page.locator("#who-name").textContent()).toBe("alice");
    // A pasted token has no refresh token to renew it with.
    expect(await stored(page, "media-pipeline.review.refresh")).toBeNull();
  });

  it("let every Cognito call through the page's policy: no violation, no other error", () => {
    expect(watch.size).toBeGreaterThan(0);
    for (const errors of watch.values()) {
      // Cognito's refusals (400) and the API's (401 once, 403 for mallory) are expected answers.
      expect(errors.filter((e) => !/status of (400|401|403)/.test(e))).toEqual([]);
    }
  });
});
