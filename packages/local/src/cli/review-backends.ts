import { existsSync } from "node:fs";
import path from "node:path";
import { MediaPipelineError, ReviewVerdictError, type ReviewDecision, type ReviewVerdict } from "@media-pipeline/core";
import type { LocalConfig } from "../runtime/config.js";
import { lockHolder } from "../runtime/lock.js";
import { LocalObjectStore } from "../runtime/object-store.js";
import { openLocalRuntime, RuntimeLockedError, type LocalRuntime } from "../runtime/runtime.js";
import { ReviewConflictError, ReviewNotFoundError, ReviewService, type AuditEntry, type ReviewTaskView } from "../review/service.js";
import { openStore } from "../store/index.js";
import type { FinalAnalysis, ListJson, TaskJson } from "./review-format.js";

/*
 * Where `media-pipeline review` reads and decides: the data directory itself, or a running server's
 * /reviews API. Both answer in the API's shape, so `--json` prints the same thing either way and one
 * formatter serves both.
 */

/** A review command that cannot go on; `exitCode` 1 for conflicts, missing tasks and failures, 2 for usage. */
export class ReviewCommandError extends MediaPipelineError {
  constructor(message: string, readonly exitCode: 1 | 2, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

export type ListStatus = "open" | "claimed" | "decided" | "all";

export interface DecideResult {
  decision: ReviewDecision;
  task: TaskJson;
  /** Data-dir mode: the final `Analysis Completed` the verdict led to (null when none came, with the `problem`). */
  analysis?: FinalAnalysis | null;
  problem?: string;
}

export interface ReviewBackend {
  readonly kind: "data-dir" | "server";
  /** Said in messages: which data dir or server was asked. */
  readonly where: string;
  /** The server's origin, which the links in its answers are relative to. */
  readonly origin?: string;
  list(status: ListStatus): Promise<ListJson>;
  show(taskId: string): Promise<TaskJson>;
  /** `reviewer` is who decides in data-dir mode; a server takes the reviewer from the token instead. */
  decide(taskId: string, verdict: ReviewVerdict, options: { reviewer?: string; out?: string }): Promise<DecideResult>;
  close(): Promise<void>;
}

const LIST_HINT = "`media-pipeline review list --status all` lists every task";

function conflictHint(error: ReviewConflictError | { code: string; message: string }): string {
  return error.code === "claimed" ? `${error.message}: wait for the claim to run out, or ask them to release it` : error.message;
}

/** The service's errors as a person reads them, with the exit code each means. */
function fromService(error: unknown, where: string): unknown {
  if (error instanceof ReviewNotFoundError) return new ReviewCommandError(`${error.message} in ${where} (${LIST_HINT})`, 1, { cause: error });
  if (error instanceof ReviewConflictError) return new ReviewCommandError(conflictHint(error), 1, { cause: error });
  if (error instanceof ReviewVerdictError) return new ReviewCommandError(error.message, 2, { cause: error });
  return error;
}

// ---------------------------------------------------------------------------------------------
// The data directory

/** Only one process runs a data dir's stages; when that is a server, the verdict has to go through it. */
function lockedMessage(dataDir: string): string {
  const pid = lockHolder(dataDir);
  return (
    `Another media-pipeline process${pid ? ` (pid ${pid})` : ""} is using ${dataDir}, most likely \`media-pipeline serve\`. ` +
    "Decide through that server instead: set MEDIA_PIPELINE_REVIEWER_TOKEN to your reviewer token and pass " +
    "--server <its URL> (or set MEDIA_PIPELINE_SERVER), e.g. --server http://127.0.0.1:8787. Or stop it and run this again."
  );
}

/** The task with its stored refs turned into file paths a person can open. */
function presentLocal(objects: LocalObjectStore, task: ReviewTaskView, audit?: AuditEntry[]): TaskJson {
  return {
    ...task,
    segmentCount: task.segments.length,
    mediaPath: objects.pathOf(task.source),
    segments: task.segments.map(({ keyframe, ...s }) => ({ ...s, ...(keyframe ? { keyframePath: objects.pathOf(keyframe) } : {}) })),
    ...(audit ? { audit } : {}),
  };
}

/** Resolves once no delivery for the media is owed: `Review Completed` and whatever it set off have run. */
function settled(runtime: LocalRuntime, mediaId: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (runtime.bus.pendingCount(mediaId) > 0) return;
      runtime.bus.off("delivery", onDelivery);
      resolve();
    };
    const onDelivery = (n: { mediaId: string; status: string }) => {
      if (n.mediaId === mediaId && (n.status === "done" || n.status === "dead")) check();
    };
    runtime.bus.on("delivery", onDelivery);
    check();
  });
}

/** The media's last `Analysis Completed`, and why it is not final when it is not. */
function finalAnalysis(runtime: LocalRuntime, mediaId: string): { detail: FinalAnalysis; report: { bucket: string; key: string } } | { problem: string } {
  const event = runtime.store.events.latest(mediaId, ["Analysis Completed"]);
  const detail = event ? (event.detail as unknown as FinalAnalysis & { report: { bucket: string; key: string } }) : undefined;
  if (detail?.final) {
    return { detail: { decision: detail.decision, decidedBy: detail.decidedBy, status: detail.status, final: true }, report: detail.report };
  }
  const dead = runtime.store.deliveries.latestDead(mediaId);
  return { problem: dead ? `delivery to ${dead.route} failed: ${dead.lastError}` : "no final Analysis Completed was published" };
}

/** Reads and decides on the data directory: reads beside a running server (WAL), decides only when no other process holds it. */
export function dataDirBackend(config: LocalConfig): ReviewBackend {
  const where = config.dataDir;
  let reader: { service: ReviewService; close(): void } | undefined;
  const objects = new LocalObjectStore(config.dataDir);

  const requireData = () => {
    if (!existsSync(path.join(config.dataDir, "pipeline.db"))) {
      throw new ReviewCommandError(
        `Nothing has been analyzed in ${config.dataDir}: pass the --data-dir \`analyze\` or \`serve\` used, or --server to ask a running server`, 1,
      );
    }
  };

  /** Listing and showing need no runtime: no stages resume, no lock is taken, a running server is no obstacle. */
  const read = () => {
    if (reader) return reader.service;
    requireData();
    const store = openStore(path.join(config.dataDir, "pipeline.db"));
    const service = new ReviewService({
      store, blobs: objects,
      publish: async () => {
        throw new Error("review list/show never publish");
      },
    });
    reader = { service, close: () => store.close() };
    return service;
  };

  const guard = async <T>(work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw fromService(error, where);
    }
  };

  return {
    kind: "data-dir",
    where,
    list: (status) => guard(() => {
      const { tasks, counts } = read().list({ status });
      return { tasks: tasks.map((t) => presentLocal(objects, t)), counts };
    }),
    show: (taskId) => guard(() => {
      const task = read().get(taskId);
      return presentLocal(objects, task, read().audit(taskId));
    }),
    async decide(taskId, verdict, { reviewer, out }) {
      requireData();
      if (!reviewer) throw new ReviewCommandError("No reviewer name: pass --as <name>", 2);
      let runtime: LocalRuntime;
      try {
        runtime = await openLocalRuntime(config);
      } catch (error) {
        if (error instanceof RuntimeLockedError) throw new ReviewCommandError(lockedMessage(config.dataDir), 1, { cause: error });
        throw error;
      }
      try {
        const decision = await guard(() => runtime.reviews.decide(taskId, reviewer, verdict));
        const view = runtime.reviews.get(taskId);
        // The verdict sets off finalize-analysis; stay until it (and anything else owed for this media) has run.
        await settled(runtime, view.mediaId);
        const found = finalAnalysis(runtime, view.mediaId);
        const task = presentLocal(runtime.objects, view, runtime.reviews.audit(taskId));
        if (!("detail" in found)) return { decision, task, analysis: null, problem: found.problem };
        let reportPath = runtime.objects.pathOf(found.report);
        if (out) {
          const { exportReport } = await import("./export.js");
          reportPath = (await exportReport(runtime, view.mediaId, found.report, path.resolve(out))).html;
        }
        return { decision, task, analysis: { ...found.detail, reportPath } };
      } finally {
        await runtime.close();
      }
    },
    async close() {
      reader?.close();
      reader = undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A running server

/** Talks to `/reviews` with the reviewer token as a Bearer header; the token never appears in anything printed. */
export function serverBackend(server: URL, token: string, options: { timeoutMs?: number } = {}): ReviewBackend {
  // Only the origin: the routes are absolute, and a pasted page URL (…/review) or credentials in the URL must not leak into messages.
  const origin = server.origin;
  const where = `the server at ${origin}`;
  const Where = `The server at ${origin}`;

  const call = async <T>(method: "GET" | "POST", pathname: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(new URL(pathname, origin), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ReviewCommandError(`Could not reach ${where} (${why}): is \`media-pipeline serve\` running there?`, 1, { cause: error });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) {
      if (json === undefined) throw new ReviewCommandError(`${Where} did not answer with JSON (HTTP ${res.status}): is it a media-pipeline server?`, 1);
      return json as T;
    }
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const message = err?.message ?? `HTTP ${res.status}`;
    if (res.status === 401) {
      throw new ReviewCommandError(
        `${Where} refused the reviewer token (401 Unauthorized): check MEDIA_PIPELINE_REVIEWER_TOKEN, which must be one of the tokens in the server's MEDIA_PIPELINE_REVIEWER_TOKENS (the API token is not a reviewer token)`,
        1,
      );
    }
    if (res.status === 404 && err?.code === "not_found" && pathname.startsWith("/reviews/")) {
      throw new ReviewCommandError(`${message} on ${where} (${LIST_HINT})`, 1);
    }
    if (res.status === 409) throw new ReviewCommandError(conflictHint({ code: err?.code ?? "", message }), 1);
    if (res.status === 400) throw new ReviewCommandError(message, 2);
    throw new ReviewCommandError(`${Where} answered ${res.status}${err?.code ? ` ${err.code}` : ""}: ${message}`, 1);
  };

  const task = (taskId: string) => `/reviews/${encodeURIComponent(taskId)}`;

  return {
    kind: "server",
    where,
    origin,
    list: (status) => call<ListJson>("GET", `/reviews?status=${encodeURIComponent(status)}`),
    show: (taskId) => call<TaskJson>("GET", task(taskId)),
    async decide(taskId, verdict, { reviewer }) {
      if (reviewer !== undefined) {
        // With a server the token says who decides; a different --as would put a name in the audit log the token does not carry.
        const me = await call<{ reviewer: string }>("GET", "/reviews/me");
        if (me.reviewer !== reviewer) {
          throw new ReviewCommandError(`--as ${reviewer} does not match the reviewer token, which is ${me.reviewer}'s: with --server the token says who decides`, 2);
        }
      }
      return call<DecideResult>("POST", `${task(taskId)}/verdict`, verdict);
    },
    async close() {},
  };
}
