import { OUTCOMES } from "../../shared/display.js";
import { type Child, h, msg, toast } from "./dom.js";
import { saveDraft } from "./draft.js";
import { OUTCOME_HINT } from "./outcomes.js";
import { S, type TaskState } from "./state.js";

/*
 * The answer controls mirror the draft: these paint them from it, enabled only while the reviewer
 * holds the claim. A 409 or 400 answer turns into a message beside the form, never a re-render of it.
 */

/** Whether the reviewer may answer now: the claim is theirs and no submit is in flight. */
export function editable(): boolean {
  const T = S.task;
  return !!T && T.mode === "mine" && !T.busy;
}

/** Records an edit: keeps the draft, and drops a check's complaint the edit may have answered. */
export function edited(T: TaskState): void {
  saveDraft(T);
  if (T.localMsg) formMessage(null);
}

/** A message above the submit button; `local` marks the page's own checks, which the next edit clears. */
export function formMessage(tone: string | null, content?: Child, local?: boolean): void {
  const T = S.task;
  if (!T?.form) return;
  T.localMsg = !!(tone && local);
  T.form.msg.replaceChildren(tone ? msg(tone, content) : "");
}

export function readOnlyHint(): void {
  const T = S.task;
  toast(T?.mode === "decided" ? "This task is decided; its verdict cannot change."
    : T?.mode === "expired" ? "This task expired undecided; the model's decision stands."
    : "Read-only: you do not hold the claim on this task.");
}

/** Shows the category controls a wrong-category answer needs, and what the answer means. */
export function paintSeg(T: TaskState, i: number): void {
  const s = T.task.segments[i];
  const ref = T.segs[i];
  const d = T.draft.segments[s.index] ?? {};
  ref.catRow.hidden = d.outcome !== "wrong-category";
  ref.sel.hidden = ref.others.length === 0;
  ref.other.hidden = ref.others.length > 0 && d.choice !== "__other";
  ref.li.setAttribute("data-outcome", d.outcome || "");
  ref.note.textContent = d.outcome ? OUTCOME_HINT[d.outcome]
    : T.mode === "decided" ? "No outcome was given for this segment."
    : T.mode === "expired" ? "Nobody answered this segment in time."
    : "Not answered yet.";
}

export function paintProgress(): void {
  const T = S.task;
  if (!T?.form) return;
  const n = T.task.segments.length;
  const answered = T.task.segments.filter((s) => T.draft.segments[s.index]?.outcome).length;
  T.form.progressText.textContent = `${answered} of ${n}`;
  T.form.progressFill.style.width = `${(n ? (answered / n) * 100 : 100).toFixed(1)}%`;
}

/** Enables the controls when the reviewer may decide, and says why not otherwise. */
export function paintControls(): void {
  const T = S.task;
  if (!T) return;
  const on = editable();
  T.task.segments.forEach((s, i) => {
    const ref = T.segs[i];
    const d = T.draft.segments[s.index] ?? {};
    for (const o of OUTCOMES) {
      ref.radios[o].disabled = !on;
      ref.radios[o].checked = d.outcome === o;
    }
    ref.sel.disabled = !on;
    ref.other.readOnly = !on;
  });
  const f = T.form;
  if (!f) return;
  for (const v of ["approved", "rejected"] as const) {
    f.radios[v].disabled = !on;
    f.radios[v].checked = T.draft.verdict === v;
  }
  f.comment.readOnly = !on;
  f.submit.disabled = !on;
  f.submit.replaceChildren(T.busy ? "Submitting…" : "Submit verdict", T.busy ? "" : h("kbd", null, "Ctrl+Enter"));
  f.el.setAttribute("aria-busy", T.busy ? "true" : "false");
  f.readonlyNote.textContent = T.mode === "mine"
    ? "Unanswered segments are recorded without an outcome."
    : "Read-only: only the reviewer holding the claim can decide. Your answers stay here if you claim it again.";
}
