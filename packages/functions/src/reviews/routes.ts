import {
  presentTask, ReviewConflictError, ReviewNotFoundError, ReviewVerdict, ReviewVerdictError, TASK_STATUSES,
  type AuditEntry, type ObjectRef, type ReviewDecision, type ReviewTask, type ReviewTaskView, type TaskStatus,
} from "@media-pipeline/core";
import { HttpError, httpHandler, json, parseBody, type ApiEvent, type ApiResult } from "../api/http.js";
import { reviewerOf, type ReviewerIdentitySettings } from "./identity.js";

/*
 * The cloud's /reviews API: the same routes and answers as the local server's (packages/local/src/
 * server/reviews.ts), so the one review page works against either. Media and keyframes reach the
 * page as short-lived presigned S3 GETs (S3 serves ranges, so the player seeks), not through Lambda.
 */

/** What the routes need of the board (adapters/review-table). */
export interface ReviewBoardPort {
  list(filter: { status: TaskStatus | "all" }): Promise<{ tasks: ReviewTaskView[]; counts: Record<TaskStatus, number> }>;
  get(taskId: string): Promise<ReviewTaskView>;
  audit(taskId: string): Promise<AuditEntry[]>;
  claim(taskId: string, reviewer: string): Promise<ReviewTaskView>;
  release(taskId: string, reviewer: string): Promise<ReviewTaskView>;
  decide(taskId: string, reviewer: string, verdict: ReviewVerdict): Promise<{ decision: ReviewDecision; task: ReviewTask; repeat: boolean }>;
  markAnnounced(taskId: string): Promise<void>;
}

export interface ReviewRoutesDeps {
  board: ReviewBoardPort;
  /** A presigned GET for a stored object (the upload, a keyframe). */
  presign: (ref: ObjectRef) => Promise<string>;
  /** Records the decision beside the media and publishes `Review Completed` (core's recordReviewDecision). */
  announce: (task: ReviewTask, decision: ReviewDecision) => Promise<void>;
  identity: ReviewerIdentitySettings;
}

/** Board errors → the HTTP answers the local server gives. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReviewNotFoundError) throw new HttpError(404, "not_found", error.message, [], { cause: error });
    if (error instanceof ReviewConflictError) throw new HttpError(409, error.code, error.message, [], { cause: error });
    if (error instanceof ReviewVerdictError) throw new HttpError(400, "invalid_verdict", error.message, [], { cause: error });
    throw error;
  }
}

function taskIdParam(event: ApiEvent): string {
  const id = event.pathParameters?.taskId ?? "";
  if (!/^[A-Za-z0-9-]{1,63}$/.test(id)) throw new HttpError(400, "invalid_request", "taskId must be 1–63 letters, digits or dashes");
  return id;
}

const STATUSES = new Set<string>([...TASK_STATUSES, "all"]);

/**
 * `GET /reviews/me`, `GET /reviews?status=`, `GET /reviews/{taskId}`, `POST /reviews/{taskId}/claim`,
 * `…/release`, `…/verdict`: one handler per route, so each Lambda carries only its own permissions.
 */
export function createReviewRoutes(deps: ReviewRoutesDeps) {
  const present = async (task: ReviewTaskView) => {
    const keyframes = new Map<number, string>();
    await Promise.all(task.segments.map(async (s) => s.keyframe && keyframes.set(s.index, await deps.presign(s.keyframe))));
    return presentTask(task, { media: await deps.presign(task.source), keyframe: (i) => keyframes.get(i) });
  };
  const withAudit = async (task: ReviewTaskView) => ({ ...(await present(task)), audit: await deps.board.audit(task.taskId) });
  const reviewer = (event: ApiEvent) => reviewerOf(event, deps.identity);
  const route = (work: (event: ApiEvent) => Promise<ApiResult>) => httpHandler((event) => answer(() => work(event)));

  return {
    me: route(async (event) => json(200, { reviewer: reviewer(event) })),
    list: route(async (event) => {
      reviewer(event);
      const status = event.queryStringParameters?.status ?? "open";
      if (!STATUSES.has(status)) throw new HttpError(400, "invalid_request", `status must be one of ${[...STATUSES].join(", ")}`);
      const { tasks, counts } = await deps.board.list({ status: status as TaskStatus });
      return json(200, { tasks: await Promise.all(tasks.map(present)), counts });
    }),
    get: route(async (event) => {
      reviewer(event);
      return json(200, await withAudit(await deps.board.get(taskIdParam(event))));
    }),
    claim: route(async (event) => json(200, await withAudit(await deps.board.claim(taskIdParam(event), reviewer(event))))),
    release: route(async (event) => json(200, await withAudit(await deps.board.release(taskIdParam(event), reviewer(event))))),
    verdict: route(async (event) => {
      const name = reviewer(event);
      const taskId = taskIdParam(event);
      const body = parseBody(event, ReviewVerdict.strict());
      // Stored first, then announced: a failed announce answers 500, and the reviewer's retry (or the
      // sweep, review-expire) announces the stored decision again rather than deciding twice.
      const { decision, task } = await deps.board.decide(taskId, name, body);
      await deps.announce(task, decision);
      await deps.board.markAnnounced(taskId);
      return json(200, { decision, task: await withAudit(await deps.board.get(taskId)) });
    }),
  };
}
