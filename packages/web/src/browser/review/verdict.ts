import type { ReviewDecision, SegmentVerdict, Verdict } from "@media-pipeline/core";
import { DECISION_TONE, humanize, OUTCOME_TEXT, OUTCOMES, VERDICT_TEXT, type Outcome } from "../../shared/display.js";
import type { ApiError } from "./api-error.js";
import { call } from "./api.js";
import { lostClaim } from "./claim.js";
import { announce, badge, expiredBadge, fact, h, msg, timeEl, toast } from "./dom.js";
import { categoryOf, clearDraft, draftOf } from "./draft.js";
import { editable, edited, formMessage, paintControls, paintProgress, paintSeg, readOnlyHint } from "./form.js";
import { EXPIRED_TEXT, outcomeSummary } from "./outcomes.js";
import { S, type TaskState } from "./state.js";
import { readable, when } from "./time.js";
import type { TaskView } from "./types.js";

/* The verdict: the answers per segment, approve or reject, the comment, and sending them. */

/** Answers segment i (a click on its option, or 1/2/3 on the current segment). */
export function setOutcome(i: number, o: Outcome, viaKey: boolean): void {
  const T = S.task;
  if (!T) return;
  if (!editable()) {
    if (viaKey) readOnlyHint();
    else paintControls();
    return;
  }
  const s = T.task.segments[i];
  const ref = T.segs[i];
  draftOf(T, s).outcome = o;
  ref.radios[o].checked = true;
  paintSeg(T, i);
  paintProgress();
  edited(T);
  if (viaKey) {
    announce(`Segment ${i + 1}: ${OUTCOME_TEXT[o]}`);
    if (o === "wrong-category") (ref.others.length ? ref.sel : ref.other).focus();
  }
}

export function setVerdict(v: Verdict, viaKey: boolean): void {
  const T = S.task;
  if (!T) return;
  if (!editable() || !T.form) {
    if (viaKey) readOnlyHint();
    else paintControls();
    return;
  }
  T.draft.verdict = v;
  T.form.radios[v].checked = true;
  edited(T);
  if (viaKey) announce(`Overall verdict: ${v === "approved" ? "approve" : "reject"}`);
}

export function verdictCard(T: TaskState): HTMLElement {
  const radios = {} as Record<Verdict, HTMLInputElement>;
  const choices = h("div", { class: "verdict-opts" }, (["approved", "rejected"] as const).map((v) => {
    const approve = v === "approved";
    radios[v] = h("input", { type: "radio", name: "verdict", value: v, checked: T.draft.verdict === v, "aria-keyshortcuts": approve ? "a" : "r",
      onchange: () => setVerdict(v, false) });
    return h("label", { class: `vopt ${v}` }, radios[v],
      h("span", null, approve ? "Approve" : "Reject", h("small", null, approve ? "May be published (clean)" : "May not be published (flagged)"), h("small", null, h("kbd", null, approve ? "a" : "r"))));
  }));
  const progressText = h("strong", { class: "num", id: "answered" });
  const progressFill = h("i");
  const comment = h("textarea", { id: "comment", class: "input", maxlength: "4000", rows: "3", placeholder: "What you saw, for the audit log and the report",
    oninput: () => {
      T.draft.comment = comment.value;
      edited(T);
    } });
  comment.value = T.draft.comment || "";
  const message = h("div", { id: "form-msg", role: "alert" });
  const readonlyNote = h("p", { class: "hint", id: "readonly-note" });
  const submitButton = h("button", { id: "verdict-submit", class: "btn primary big", type: "submit", "aria-keyshortcuts": "Control+Enter" });
  const form = h("form", { class: "stack", id: "verdict-form", novalidate: true, onsubmit: (e: Event) => {
    e.preventDefault();
    submit();
  } },
    h("fieldset", null, h("legend", null, "Overall"), choices),
    h("div", null, h("div", { class: "progress" }, h("span", null, "Segments answered"), progressText), h("div", { class: "progress-bar", "aria-hidden": "true" }, progressFill)),
    h("div", { class: "stack", style: "gap: 6px" }, h("label", { class: "field", for: "comment" }, "Comment ", h("span", { class: "muted" }, "(optional)")), comment),
    message, submitButton, readonlyNote);
  T.form = { el: form, radios, progressText, progressFill, comment, msg: message, readonlyNote, submit: submitButton };
  return h("section", { class: "card", id: "verdict-card", "aria-labelledby": "verdict-h" }, h("h2", { id: "verdict-h" }, "Your verdict"), form);
}

export function decisionCard(d: ReviewDecision, justDecided: boolean | undefined): HTMLElement {
  const approved = d.verdict === "approved";
  return h("section", { class: "card decision-card", id: "decision", "aria-labelledby": "decision-h" }, h("h2", { id: "decision-h" }, "Decision"),
    justDecided ? msg("good", "Your verdict was recorded: Review Completed is published and the report is being updated with it.", { role: "status" }) : null,
    h("div", { class: "decision-big" }, badge(VERDICT_TEXT[d.verdict], approved ? "good" : "bad"), h("span", null, `by ${d.reviewer}`)),
    h("dl", { class: "facts", style: "margin-top: 12px" },
      fact("Decided", timeEl(d.decidedAt, when(d.decidedAt))),
      fact("Media decision", badge(approved ? "Clean" : "Flagged", approved ? "good" : "bad")),
      fact("Segments", outcomeSummary(d.segments))),
    d.comment ? h("blockquote", { class: "quote" }, d.comment) : null);
}

/** In place of a decision: nobody gave one in time, so the model's stands. */
export function expiredCard(task: TaskView): HTMLElement {
  const expired = task.audit?.find((a) => a.action === "expire");
  return h("section", { class: "card decision-card", id: "decision", "aria-labelledby": "decision-h" }, h("h2", { id: "decision-h" }, "Decision"),
    h("div", { class: "decision-big" }, expiredBadge(), h("span", null, "No reviewer decided")),
    h("p", { class: "lead" }, EXPIRED_TEXT),
    h("dl", { class: "facts", style: "margin-top: 12px" },
      expired ? fact("Expired", timeEl(expired.at, when(expired.at))) : null,
      fact("Media decision", badge(humanize(task.modelDecision), DECISION_TONE[task.modelDecision])),
      fact("Decided by", "The model")));
}

/** The first thing that keeps the verdict from being sent, with the control to fix it. */
function problem(T: TaskState): { text: string; focus: HTMLElement | null } | null {
  if (!T.draft.verdict) return { text: "Choose Approve (a) or Reject (r) first.", focus: T.form?.radios.approved ?? null };
  const segs = T.task.segments;
  for (let i = 0; i < segs.length; i++) {
    const d = T.draft.segments[segs[i].index] ?? {};
    if (d.outcome !== "wrong-category") continue;
    const ref = T.segs[i];
    const field = ref.others.length && d.choice !== "__other" ? ref.sel : ref.other;
    const cat = categoryOf(d);
    if (!cat) return { text: `Segment ${i + 1} is marked Wrong category: choose or type the category it really is.`, focus: field };
    if (cat.toLowerCase() === segs[i].category.toLowerCase()) {
      return { text: `Segment ${i + 1}: “${cat}” is the category the model gave; mark it Confirmed instead.`, focus: field };
    }
  }
  return null;
}

function verdictBody(T: TaskState): { verdict: Verdict | null; segments: SegmentVerdict[]; comment?: string } {
  const segments: SegmentVerdict[] = [];
  for (const s of T.task.segments) {
    const d = T.draft.segments[s.index];
    if (!d?.outcome || !OUTCOMES.includes(d.outcome)) continue;
    const v: SegmentVerdict = { index: s.index, outcome: d.outcome };
    if (d.outcome === "wrong-category") v.category = categoryOf(d);
    segments.push(v);
  }
  const body: { verdict: Verdict | null; segments: SegmentVerdict[]; comment?: string } = { verdict: T.draft.verdict, segments };
  const comment = String(T.draft.comment || "").trim();
  if (comment) body.comment = comment;
  return body;
}

export function submit(): void {
  const T = S.task;
  if (!T || T.busy) return;
  if (T.mode !== "mine") {
    readOnlyHint();
    return;
  }
  const p = problem(T);
  if (p) {
    formMessage("bad", p.text, true);
    p.focus?.focus();
    return;
  }
  T.busy = true;
  formMessage(null);
  paintControls();
  call<{ decision: ReviewDecision; task: TaskView }>("POST", `/reviews/${encodeURIComponent(T.task.taskId)}/verdict`, verdictBody(T)).then(
    (res) => {
      if (S.task !== T) return;
      clearDraft(T.task.taskId);
      toast(`Verdict recorded: ${VERDICT_TEXT[res.decision.verdict]}`);
      T.rerender(res.task, null, { justDecided: true });
      document.getElementById("decision")?.scrollIntoView({ block: "nearest" });
    },
    (e: ApiError) => {
      if (S.task !== T) return;
      T.busy = false;
      if (e.handled) return;
      if (e.status === 409) {
        formMessage("bad", [h("strong", null, "Not submitted. "), `${readable(e.message)}. Your answers are kept on this page.`]);
        lostClaim(e);
        return;
      }
      paintControls();
      formMessage("bad", e.status === 400
        ? [h("strong", null, "Not submitted: the server refused this verdict. "), `${readable(e.message)}. Fix that and submit again; your other answers are kept.`]
        : [h("strong", null, "Not submitted. "), `${e.message} Your answers are kept; try again.`]);
    },
  );
}
