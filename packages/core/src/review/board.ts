import { MediaPipelineError } from "../errors.js";
import type { ReviewDecision, ReviewTask } from "./contract.js";

/*
 * The review board: what a reviewer sees of a task and may do to it, for every backend that keeps
 * tasks itself (the local SQLite store, the cloud's DynamoDB table). The stores differ in how they
 * make a claim atomic; the rules of who may act, and the shape the page and API answer with, are here
 * once. A2I keeps its own queue and never goes through this.
 */

/**
 * Where a task stands for reviewers. `expired`: nobody decided it in the deployment's time, so the
 * model's decision stands (only the cloud's built-in review ends tasks this way).
 */
export const TASK_STATUSES = ["open", "claimed", "decided", "expired"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A task as the page, the API and the CLI show it. */
export interface ReviewTaskView extends ReviewTask {
  status: TaskStatus;
  filename: string | null;
  claimedBy: string | null;
  claimExpiresAt: string | null;
  decision: ReviewDecision | null;
}

export interface AuditEntry {
  at: string;
  reviewer: string;
  action: "claim" | "release" | "decide" | "expire";
  detail: Record<string, unknown> | null;
}

/** How long a claim holds without renewal (30 minutes): an abandoned claim frees itself. */
export const DEFAULT_CLAIM_MS = 30 * 60_000;

/** A reviewer's name as the audit log and the decision keep it. */
export const REVIEWER_NAME = /^\S.{0,199}$/;

/** No task with that id. */
export class ReviewNotFoundError extends MediaPipelineError {}

/** The task is held by another reviewer, decided or expired: the caller loses the race (HTTP 409). */
export class ReviewConflictError extends MediaPipelineError {
  constructor(
    readonly code: "claimed" | "decided" | "expired",
    message: string,
    readonly holder?: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** A task's stored state, as far as the rules need it (either store maps its row onto this). */
export interface TaskHold {
  taskId: string;
  state: "open" | "decided" | "expired";
  claimedBy: string | null;
  claimExpiresMs: number | null;
  decision: ReviewDecision | null;
}

/** Whether a claim is held right now. */
export const claimLive = (t: TaskHold, nowMs: number): boolean =>
  t.state === "open" && t.claimedBy !== null && (t.claimExpiresMs ?? 0) > nowMs;

/** The status reviewers see. */
export function taskStatus(t: TaskHold, nowMs: number): TaskStatus {
  if (t.state !== "open") return t.state;
  return claimLive(t, nowMs) ? "claimed" : "open";
}

/** The conflict that keeps `reviewer` from claiming, releasing or deciding the task, if any. */
export function holdConflict(t: TaskHold, reviewer: string, nowMs: number): ReviewConflictError | undefined {
  if (t.state === "decided") {
    const d = t.decision;
    return new ReviewConflictError("decided", `Task ${t.taskId} was already decided${d ? ` (${d.verdict} by ${d.reviewer})` : ""}`, d?.reviewer);
  }
  if (t.state === "expired") {
    return new ReviewConflictError("expired", `Task ${t.taskId} ran out of time undecided; the model's decision stands`);
  }
  if (t.claimedBy && t.claimedBy !== reviewer && claimLive(t, nowMs)) {
    return new ReviewConflictError("claimed", `Task ${t.taskId} is claimed by ${t.claimedBy} until ${new Date(t.claimExpiresMs!).toISOString()}`, t.claimedBy);
  }
  return undefined;
}

/** The view of a stored task. */
export function taskView(task: ReviewTask, t: TaskHold, filename: string | null, nowMs: number): ReviewTaskView {
  const live = claimLive(t, nowMs);
  return {
    ...task,
    status: taskStatus(t, nowMs),
    filename,
    claimedBy: live ? t.claimedBy : null,
    claimExpiresAt: live ? new Date(t.claimExpiresMs!).toISOString() : null,
    decision: t.decision,
  };
}

/**
 * A task as the /reviews API answers it, in both runtimes: the view, with the stored media and
 * keyframe references swapped for links the browser can load (signed by the local server, presigned
 * S3 GETs in the cloud).
 */
export function presentTask(task: ReviewTaskView, links: { media: string; keyframe: (index: number) => string | undefined }) {
  return {
    ...task,
    segmentCount: task.segments.length,
    mediaUrl: links.media,
    segments: task.segments.map(({ keyframe, ...s }) => {
      const url = keyframe ? links.keyframe(s.index) : undefined;
      return { ...s, ...(url ? { keyframeUrl: url } : {}) };
    }),
  };
}
export type PresentedTask = ReturnType<typeof presentTask>;
