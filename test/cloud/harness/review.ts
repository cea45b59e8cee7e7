import { setTimeout as sleep } from "node:timers/promises";
import type { CloudApp } from "./app.js";
import { createReviewer, signIn, type Reviewer } from "./reviewers.js";

/*
 * A moderator of the deployed app, as a person would be one: created in the app's reviewer pool,
 * signed in for a real JWT, deciding tasks through the deployed /reviews API (the page's own calls).
 */

export type Verdict = "approved" | "rejected";

/** Parses `--reviewer alice:approved`. */
export function parseReviewerFlag(value: string): { name: string; verdict: Verdict } {
  const match = /^([A-Za-z0-9][A-Za-z0-9._@-]{0,63}):(approved|rejected)$/.exec(value.trim());
  if (!match) throw new Error(`--reviewer takes <name>:<approved|rejected>, got "${value}"`);
  return { name: match[1]!, verdict: match[2] as Verdict };
}

/** The reviewer's API calls with the ID token, as the page makes them. */
export function reviewerApi(app: Pick<CloudApp, "apiUrl">, idToken: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${app.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${idToken}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

const reviewers = new WeakMap<object, Map<string, Reviewer>>();

/** The reviewer, created in the pool on first use in this app. */
export async function reviewer(app: CloudApp, name: string): Promise<Reviewer> {
  const known = reviewers.get(app) ?? new Map<string, Reviewer>();
  reviewers.set(app, known);
  if (!known.has(name)) known.set(name, await createReviewer(app, name));
  return known.get(name)!;
}

/**
 * Waits for the media's open task, then claims and decides it through the deployed API: every
 * segment the model asked about is answered (approved: false positives; rejected: confirmed).
 * Returns the decision the API answered.
 */
export async function decideThroughApi(
  app: CloudApp,
  mediaId: string,
  decide: { name: string; verdict: Verdict },
  options: { timeoutMs?: number; progress?: (line: string) => void } = {},
): Promise<{ taskId: string; decision: any }> {
  const person = await reviewer(app, decide.name);
  const { idToken } = await signIn(app, person.name, person.password);
  const call = reviewerApi(app, idToken);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let task: any;
  while (!task) {
    const listed = await call("GET", "/reviews?status=open");
    if (listed.status !== 200) throw new Error(`GET /reviews answered ${listed.status}: ${JSON.stringify(listed.body)}`);
    task = listed.body.tasks.find((t: any) => t.mediaId === mediaId);
    if (!task && Date.now() > deadline) throw new Error(`no open review task for ${mediaId} within the wait`);
    if (!task) await sleep(500);
  }
  const claimed = await call("POST", `/reviews/${task.taskId}/claim`);
  if (claimed.status !== 200) throw new Error(`claiming ${task.taskId} answered ${claimed.status}: ${JSON.stringify(claimed.body)}`);
  options.progress?.(`review: ${decide.name} claimed ${task.taskId} (${task.segmentCount} segments)`);
  const segments = task.segments
    .filter((s: any) => s.decision === "review")
    .map((s: any) => ({ index: s.index, outcome: decide.verdict === "approved" ? "false-positive" : "confirmed" }));
  const decided = await call("POST", `/reviews/${task.taskId}/verdict`, {
    verdict: decide.verdict, segments, comment: `Decided by ${decide.name} through the deployed review API (cloud:e2e).`,
  });
  if (decided.status !== 200) throw new Error(`the verdict on ${task.taskId} answered ${decided.status}: ${JSON.stringify(decided.body)}`);
  options.progress?.(`review: ${decide.name} ${decide.verdict} ${task.taskId}`);
  return { taskId: task.taskId, decision: decided.body.decision };
}
