import { VERDICT_TEXT } from "../../shared/display.js";
import { call } from "./api.js";
import { h, timeEl } from "./dom.js";
import { outcomeSummary } from "./outcomes.js";
import { S } from "./state.js";
import { hhmm, when } from "./time.js";
import type { AuditEntry, TaskView } from "./types.js";

/* A task's audit log: claims, releases and the decision (or the expiry), who and when. */

export function auditCard(audit: AuditEntry[] | undefined): HTMLElement {
  return h("section", { class: "card", id: "audit-card", "aria-labelledby": "audit-h" }, h("h2", { id: "audit-h" }, "Audit log"), auditList(audit ?? []));
}

function auditList(audit: AuditEntry[]): HTMLElement {
  if (!audit.length) return h("p", { class: "hint", id: "audit" }, "Nothing recorded yet.");
  // A claim by the reviewer who already holds it is a renewal (reopening the task, or the page keeping
  // it alive); a run of them is shown as one line so the claims and the decision stand out.
  const rows: Array<{ a: AuditEntry; renewals: number; latest: AuditEntry }> = [];
  for (const a of audit) {
    const last = rows[rows.length - 1];
    if (a.action === "claim" && last && last.a.action === "claim" && last.a.reviewer === a.reviewer) {
      last.renewals += 1;
      last.latest = a;
    } else rows.push({ a, renewals: 0, latest: a });
  }
  return h("ol", { class: "audit", id: "audit" }, rows.map((row) => {
    const a = row.a;
    const d = a.detail ?? {};
    const until = row.latest.detail?.until;
    const renewed = row.renewals ? `, renewed ${row.renewals === 1 ? "once" : `${row.renewals} times`}` : "";
    const text = a.action === "claim"
      ? `${a.reviewer} claimed the task${renewed}${until ? `, until ${hhmm(until)}` : ""}`
      : a.action === "release" ? `${a.reviewer} released the task`
      : a.action === "expire" ? "Expired: nobody decided in time, so the model's decision stands"
      : `${a.reviewer} decided: ${(d.verdict && VERDICT_TEXT[d.verdict]) || d.verdict || "?"}`;
    const detail = a.action === "decide" ? outcomeSummary(d.segments ?? []) + (d.comment ? ` · “${d.comment}”` : "") : null;
    return h("li", { class: a.action, "data-action": a.action },
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("div", null, h("strong", null, text), detail ? h("div", { class: "detail" }, detail) : null,
        timeEl(a.at, when(a.at) + (row.renewals ? ` – ${hhmm(row.latest.at)}` : ""))));
  }));
}

/** Reloads the open task's audit log (after a claim changed hands); answers the task as it is now. */
export function refreshAudit(): Promise<TaskView> {
  const T = S.task;
  if (!T) return Promise.reject(new Error("No task is open"));
  return call<TaskView>("GET", `/reviews/${encodeURIComponent(T.task.taskId)}`).then((task) => {
    if (S.task !== T) return task;
    const card = document.getElementById("audit-card");
    const list = document.getElementById("audit");
    if (card && list) card.replaceChild(auditList(task.audit ?? []), list);
    return task;
  });
}
