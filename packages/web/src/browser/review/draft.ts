import type { TaskView, Draft, SegmentDraft, TaskSegment } from "./types.js";
import { DRAFT_KEY, type TaskState } from "./state.js";

/*
 * The answers being written, kept in sessionStorage per task so a reload or a refused submit loses
 * nothing; the controls only mirror the draft.
 */

export function emptyDraft(): Draft {
  return { verdict: null, comment: "", segments: {} };
}

export function loadDraft(taskId: string): Draft {
  try {
    const d = JSON.parse(sessionStorage.getItem(DRAFT_KEY + taskId) || "null") as Partial<Draft> | null;
    if (d && typeof d === "object" && d.segments && typeof d.segments === "object") {
      return { verdict: d.verdict === "approved" || d.verdict === "rejected" ? d.verdict : null, comment: String(d.comment || ""), segments: d.segments };
    }
  } catch {
    // A broken draft is dropped.
  }
  return emptyDraft();
}

export function saveDraft(T: TaskState): void {
  if (T.mode === "decided") return;
  try {
    sessionStorage.setItem(DRAFT_KEY + T.task.taskId, JSON.stringify(T.draft));
  } catch {
    // Kept in memory only.
  }
}

export function clearDraft(taskId: string): void {
  try {
    sessionStorage.removeItem(DRAFT_KEY + taskId);
  } catch {
    // Nothing stored.
  }
}

/** A decided task's answers in the form's terms, so the controls show what was decided. */
export function draftFromDecision(task: TaskView): Draft {
  const d = emptyDraft();
  const dec = task.decision;
  if (!dec) return d;
  d.verdict = dec.verdict;
  d.comment = dec.comment || "";
  for (const v of dec.segments) {
    const seg = task.segments.find((s) => s.index === v.index);
    const known = !!seg && !!v.category && task.categories.includes(v.category) && v.category.toLowerCase() !== seg.category.toLowerCase();
    d.segments[v.index] = { outcome: v.outcome, choice: v.category ? (known ? v.category : "__other") : "", other: known ? "" : v.category || "" };
  }
  return d;
}

export function draftOf(T: TaskState, s: TaskSegment): SegmentDraft {
  return T.draft.segments[s.index] ?? (T.draft.segments[s.index] = {});
}

/** The wrong category a draft names: the one chosen from the list, or the one typed. */
export function categoryOf(d: SegmentDraft): string {
  return d.choice && d.choice !== "__other" ? d.choice : String(d.other || "").trim();
}
