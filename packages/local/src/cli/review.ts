import os from "node:os";
import { ReviewVerdict, SEGMENT_OUTCOMES, type SegmentVerdict } from "@media-pipeline/core";
import { loadConfig } from "../runtime/config.js";
import { dataDirBackend, ReviewCommandError, serverBackend, type ListStatus, type ReviewBackend } from "./review-backends.js";
import { clean, formatDecided, formatList, formatTask } from "./review-format.js";

/*
 * `media-pipeline review list | show | decide`: the review queue in a terminal. Directly on a data
 * directory (the reviewer is --as, default the OS user), or through a running server with the reviewer
 * token from MEDIA_PIPELINE_REVIEWER_TOKEN — an environment variable and never a flag, so it stays
 * out of shell history and `ps`. Exit codes: 0 done, 1 conflict / not found / failure, 2 usage.
 */

export { ReviewCommandError } from "./review-backends.js";

export const REVIEWER_TOKEN_ENV = "MEDIA_PIPELINE_REVIEWER_TOKEN";
export const SERVER_URL_ENV = "MEDIA_PIPELINE_SERVER";

/** How `--segment` is written, for help and error messages. */
export const SEGMENT_SPEC = "<index>=confirmed|false-positive|wrong-category:<Category>";

const usage = (message: string) => new ReviewCommandError(message, 2);

/**
 * Parses one `--segment`: `0=confirmed`, `1=false-positive`, `2=wrong-category:Suggestive` (the
 * category is everything after the first colon, so it may hold colons and spaces).
 */
export function parseSegmentSpec(spec: string): SegmentVerdict {
  const say = (why: string) => usage(`--segment "${spec}": ${why} (expected ${SEGMENT_SPEC})`);
  const eq = spec.indexOf("=");
  if (eq < 0) throw say("no \"=\" between the segment index and the outcome");
  const indexText = spec.slice(0, eq).trim();
  const answer = spec.slice(eq + 1).trim();
  if (!/^\d+$/.test(indexText) || !Number.isSafeInteger(Number(indexText))) {
    throw say(`the segment index must be a whole number from 0, got "${indexText}"`);
  }
  const index = Number(indexText);
  const colon = answer.indexOf(":");
  const outcome = (colon < 0 ? answer : answer.slice(0, colon)).trim().toLowerCase();
  const category = colon < 0 ? undefined : answer.slice(colon + 1).trim();
  if (!(SEGMENT_OUTCOMES as readonly string[]).includes(outcome)) {
    throw say(`unknown outcome "${outcome}": use confirmed, false-positive or wrong-category:<Category>`);
  }
  if (outcome === "wrong-category") {
    if (!category) throw say(`wrong-category needs the right category, e.g. ${index}=wrong-category:Suggestive`);
    if (category.length > 200) throw say("the category is longer than 200 characters");
    return { index, outcome, category };
  }
  if (category !== undefined) throw say(`a category goes only with wrong-category (${outcome} takes none)`);
  return { index, outcome: outcome as SegmentVerdict["outcome"] };
}

/** Parses every `--segment`; one index answered twice is refused here rather than by the task. */
export function parseSegmentSpecs(specs: readonly string[]): SegmentVerdict[] {
  const segments = specs.map(parseSegmentSpec);
  const seen = new Set<number>();
  for (const s of segments) {
    if (seen.has(s.index)) throw usage(`segment ${s.index} is answered by more than one --segment`);
    seen.add(s.index);
  }
  return segments;
}

/** The verdict the flags describe, checked against the contract (the task itself is checked on decide). */
export function buildVerdict(o: { verdict: string; segments?: readonly string[]; comment?: string }): ReviewVerdict {
  const segments = parseSegmentSpecs(o.segments ?? []);
  const comment = o.comment?.trim();
  const r = ReviewVerdict.strict().safeParse({
    verdict: o.verdict, ...(segments.length ? { segments } : {}), ...(comment ? { comment } : {}),
  });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const what = issue.path[0] === "comment" ? "--comment" : issue.path[0] === "verdict" ? "--verdict" : "--segment";
  throw usage(`${what}: ${issue.message}`);
}

/** The same names a server accepts in MEDIA_PIPELINE_REVIEWER_TOKENS, so audit logs read alike in both modes. */
const REVIEWER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** `--as`, or the OS user name; checked so the audit log holds a plain name. */
export function reviewerName(as: string | undefined, osUser: () => string = () => os.userInfo().username): string {
  const rule = "a reviewer name is 1–64 letters, digits, . _ @ or - (starting with a letter or digit)";
  if (as !== undefined) {
    const name = as.trim();
    if (!REVIEWER_NAME.test(name)) throw usage(`--as "${name.slice(0, 80)}": ${rule}`);
    return name;
  }
  let user: string;
  try {
    user = osUser();
  } catch {
    throw usage("Cannot tell who you are from the OS: pass --as <your name>");
  }
  if (!REVIEWER_NAME.test(user)) throw usage(`Your OS user name "${user.slice(0, 80)}" cannot be used (${rule}): pass --as <your name>`);
  return user;
}

export interface TargetOptions {
  server?: string;
  dataDir?: string;
  config?: string;
}

/** `--server` (or MEDIA_PIPELINE_SERVER) → the server's API with the reviewer token; otherwise the data directory. */
export function chooseBackend(o: TargetOptions, env: NodeJS.ProcessEnv = process.env): ReviewBackend {
  if (o.server !== undefined && o.dataDir !== undefined) throw usage("Pass --server or --data-dir, not both");
  const server = o.server ?? (o.dataDir === undefined ? env[SERVER_URL_ENV]?.trim() || undefined : undefined);
  if (server === undefined) return dataDirBackend(loadConfig({ dataDir: o.dataDir, config: o.config }, env));
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usage(`${o.server !== undefined ? "--server" : SERVER_URL_ENV} must be the server's http(s) URL, e.g. http://127.0.0.1:8787`);
  }
  const token = env[REVIEWER_TOKEN_ENV]?.trim();
  if (!token) {
    throw usage(
      `${REVIEWER_TOKEN_ENV} is not set: put your reviewer token there (the token beside your name in the server's ` +
        "MEDIA_PIPELINE_REVIEWER_TOKENS). It is read from the environment only, never from a flag, so it stays out of shell history.",
    );
  }
  return serverBackend(url, token);
}

interface Output {
  json?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** Runs one command on its backend and turns a ReviewCommandError into its message and exit code. */
async function run(o: TargetOptions & Output & { env?: NodeJS.ProcessEnv }, work: (b: ReviewBackend, out: NodeJS.WritableStream) => Promise<void>): Promise<number> {
  const err = o.err ?? process.stderr;
  let backend: ReviewBackend | undefined;
  try {
    backend = chooseBackend(o, o.env);
    await work(backend, o.out ?? process.stdout);
    return 0;
  } catch (error) {
    if (!(error instanceof ReviewCommandError)) throw error;
    // Messages can carry what a user or server sent (a task id): printed without control characters.
    err.write(`${clean(error.message)}\n`);
    return error.exitCode;
  } finally {
    await backend?.close();
  }
}

const json = (value: unknown) => `${JSON.stringify(value)}\n`;

export function runReviewList(o: TargetOptions & Output & { status: ListStatus; env?: NodeJS.ProcessEnv }): Promise<number> {
  return run(o, async (backend, out) => {
    const list = await backend.list(o.status);
    out.write(o.json ? json(list) : formatList(list, o.status));
  });
}

export function runReviewShow(taskId: string, o: TargetOptions & Output & { env?: NodeJS.ProcessEnv }): Promise<number> {
  return run(o, async (backend, out) => {
    const task = await backend.show(taskId);
    // The server's links are relative to it; a person needs them whole to open them.
    const whole = (link: string) => (backend.origin ? new URL(link, backend.origin).href : link);
    const link = task.mediaPath ?? (task.mediaUrl ? whole(task.mediaUrl) : undefined);
    const absolute = { ...task, segments: task.segments.map((s) => (s.keyframeUrl ? { ...s, keyframeUrl: whole(s.keyframeUrl) } : s)) };
    out.write(o.json ? json(task) : formatTask(absolute, link ? { link } : {}));
  });
}

export interface DecideOptions extends TargetOptions, Output {
  verdict: string;
  segments?: string[];
  comment?: string;
  as?: string;
  /** Data-dir mode: export the final report here, as `analyze --out` does. */
  reportOut?: string;
  env?: NodeJS.ProcessEnv;
}

export function runReviewDecide(taskId: string, o: DecideOptions): Promise<number> {
  return run(o, async (backend, out) => {
    const verdict = buildVerdict(o);
    const direct = backend.kind === "data-dir";
    if (!direct && o.reportOut) throw usage("--out works on a data dir only: with --server, the server writes the final report");
    // On a data dir the name comes from --as or the OS; through a server the token names the reviewer (--as, if given, must agree).
    const reviewer = direct ? reviewerName(o.as) : o.as === undefined ? undefined : reviewerName(o.as);
    const result = await backend.decide(taskId, verdict, { ...(reviewer ? { reviewer } : {}), ...(o.reportOut ? { out: o.reportOut } : {}) });
    out.write(o.json ? json(result) : formatDecided(result.task.taskId, result.decision, result.analysis));
    if (result.problem) {
      throw new ReviewCommandError(`The verdict is recorded, but the final analysis did not complete: ${result.problem}`, 1);
    }
  });
}
