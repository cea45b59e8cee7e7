import type { ReviewDecision, ReviewSegment, ReviewTask, SegmentVerdict, Verdict } from "@media-pipeline/core";
import type { Outcome } from "../../shared/display.js";

/*
 * What the page reads from the /reviews API (the local server's answers, built from core's review
 * contract) and what it keeps while a task is open.
 */

/** A segment as the API sends it: its stored keyframe replaced by a short-lived signed link. */
export interface TaskSegment extends Omit<ReviewSegment, "keyframe"> {
  keyframeUrl?: string;
}

export interface AuditEntry {
  at: string;
  reviewer: string;
  action: "claim" | "release" | "decide";
  detail: { until?: string; verdict?: Verdict; segments?: SegmentVerdict[]; comment?: string } | null;
}

/** A task as the API answers it. */
export interface TaskView extends Omit<ReviewTask, "segments"> {
  status: "open" | "claimed" | "decided";
  filename: string | null;
  claimedBy: string | null;
  claimExpiresAt: string | null;
  decision: ReviewDecision | null;
  segmentCount: number;
  mediaUrl: string;
  segments: TaskSegment[];
  /** Present on the answers for one task (GET, claim, verdict), not in the list. */
  audit?: AuditEntry[];
}

export interface TaskList {
  tasks: TaskView[];
  counts: { open: number; claimed: number; decided: number };
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
