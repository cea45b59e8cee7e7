import type { AuditEntry as BoardAuditEntry, PresentedTask, SegmentVerdict, TaskStatus, Verdict } from "@media-pipeline/core";
import type { Outcome } from "../../shared/display.js";

/*
 * What the page reads from the /reviews API (core's review board: the local server and the cloud app
 * answer the same shapes) and what it keeps while a task is open.
 */

/** A segment as the API sends it: its stored keyframe replaced by a short-lived link (signed, or a presigned S3 URL). */
export type TaskSegment = PresentedTask["segments"][number];

/** An audit entry, with the details the page shows. `expire` is the system's: nobody decided in time. */
export interface AuditEntry extends Omit<BoardAuditEntry, "detail"> {
  detail: { until?: string; verdict?: Verdict; segments?: SegmentVerdict[]; comment?: string } | null;
}

/** A task as the API answers it; `mediaUrl` and `keyframeUrl` may be on another origin (S3). */
export interface TaskView extends PresentedTask {
  /** Present on the answers for one task (GET, claim, verdict), not in the list. */
  audit?: AuditEntry[];
}

export interface TaskList {
  tasks: TaskView[];
  counts: Record<TaskStatus, number>;
}

/** One segment's answer being written: the outcome, and for a wrong category the one chosen or typed. */
export interface SegmentDraft {
  outcome?: Outcome;
  /** A category from the list, "__other" when typed, "" when none chosen yet. */
  choice?: string;
  other?: string;
}

/** The answers not yet submitted, keyed by segment index (kept in sessionStorage per task). */
export interface Draft {
  verdict: Verdict | null;
  comment: string;
  segments: Record<number, SegmentDraft>;
}
