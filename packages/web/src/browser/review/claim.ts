import { VERDICT_TEXT } from "../../shared/display.js";
import type { ApiError } from "./api-error.js";
import { call } from "./api.js";
import { h, msg, timeEl, toast } from "./dom.js";
import { formMessage, paintControls } from "./form.js";
import { refreshAudit } from "./audit.js";
import { every, S, type TaskState } from "./state.js";
import { EXPIRED_TEXT } from "./outcomes.js";
import { hhmm, readable, when } from "./time.js";
import type { TaskView } from "./types.js";

/*
 * The claim on the open task: who holds it, renewing it while the page stays open, releasing it, and
 * claiming again after losing it. Losing it keeps every answer on the page, read-only; a task that
 * expired meanwhile is shown as it is now, since nothing can be sent for it any more.
 */

const RENEW_MS = 10 * 60000;

const claimPath = (taskId: string, action: "claim" | "release") => `/reviews/${encodeURIComponent(taskId)}/${action}`;

/** The bar under the task's title: decided or expired, yours until when, or read-only and why. */
export function paintClaim(): void {
  const T = S.task;
  if (!T) return;
  const t = T.task;
  let parts: Node[];
  if (T.mode === "decided" && t.decision) {
    const d = t.decision;
    parts = [msg(d.verdict === "approved" ? "good" : "bad", [h("strong", null, `Decided: ${VERDICT_TEXT[d.verdict]} by ${d.reviewer}`), " on ", timeEl(d.decidedAt, when(d.decidedAt)), ". This task is read-only."], { role: "status" })];
  } else if (T.mode === "expired") {
    parts = [msg("warn", [h("strong", null, "Expired. "), `${EXPIRED_TEXT} This task is read-only.`], { role: "status" })];
  } else if (T.mode === "mine") {
    parts = [
      msg("info", [h("strong", null, "Claimed by you"), " until ", timeEl(t.claimExpiresAt ?? "", hhmm(t.claimExpiresAt ?? "")),
        ". Nobody else can decide it meanwhile; the claim is renewed while this page stays open."], { role: "status" }),
      h("button", { class: "btn", type: "button", id: "release", onclick: releaseClaim }, "Release")];
  } else {
    const why = T.conflict ? readable(T.conflict.message) : t.claimedBy ? `Claimed by ${t.claimedBy} until ${when(t.claimExpiresAt ?? "")}` : "You do not hold the claim on this task.";
    parts = [msg("warn", [h("strong", null, "Read-only. "), why], { role: "status" }),
      h("button", { class: "btn", type: "button", id: "claim-again", onclick: retryClaim }, "Try to claim again")];
  }
  T.claimBar.replaceChildren(...parts);
}

export function paintMode(): void {
  paintClaim();
  paintControls();
}

/** Keeps the claim alive while the page is open (it expires on its own when abandoned). */
export function keepClaim(): void {
  every(RENEW_MS, renewClaim);
}

/** Draws the open task again as the server has it now (it was decided or expired meanwhile). */
function redraw(T: TaskState, e: ApiError): void {
  refreshAudit().then(
    (task) => {
      if (S.task === T) T.rerender(task, e, { keepFocus: true });
    },
    () => {
      // The task stays as shown, read-only.
    },
  );
}

/** The claim went to someone else (or the task was decided): read-only from now on, answers kept. */
export function lostClaim(e: ApiError): void {
  const T = S.task;
  if (!T) return;
  if (e.code === "expired") {
    toast(readable(e.message));
    redraw(T, e);
    return;
  }
  T.mode = "readonly";
  T.conflict = e;
  paintMode();
  refreshAudit().catch(() => {
    // The audit can wait.
  });
}

function renewClaim(): void {
  const T = S.task;
  if (!T || T.mode !== "mine" || T.busy) return;
  call<TaskView>("POST", claimPath(T.task.taskId, "claim")).then(
    (task) => {
      if (S.task !== T) return;
      T.task.claimExpiresAt = task.claimExpiresAt;
      paintClaim();
    },
    (e: ApiError) => {
      if (S.task !== T || e.handled) return;
      if (e.status === 409) {
        lostClaim(e);
        formMessage("warn", readable(e.message));
      }
    },
  );
}

function retryClaim(): void {
  const T = S.task;
  if (!T) return;
  call<TaskView>("POST", claimPath(T.task.taskId, "claim")).then(
    (task) => {
      if (S.task !== T) return;
      T.task.claimedBy = task.claimedBy;
      T.task.claimExpiresAt = task.claimExpiresAt;
      T.mode = "mine";
      T.conflict = null;
      paintMode();
      formMessage(null);
      toast("Claimed: the task is yours to decide");
      refreshAudit().catch(() => {
        // The audit can wait.
      });
      if (!S.timers.length) keepClaim();
    },
    (e: ApiError) => {
      if (S.task !== T || e.handled) return;
      if (e.status === 409 && (e.code === "decided" || e.code === "expired")) {
        // Decided or expired meanwhile: show how it ended, keeping nothing to submit.
        redraw(T, e);
        return;
      }
      T.conflict = e;
      paintClaim();
      toast(readable(e.message));
    },
  );
}

function releaseClaim(): void {
  const T = S.task;
  if (!T) return;
  call("POST", claimPath(T.task.taskId, "release")).then(
    () => {
      toast("Released: another reviewer can take it now");
      location.hash = "#/";
    },
    (e: ApiError) => {
      if (S.task !== T || e.handled) return;
      if (e.status === 409) lostClaim(e);
      formMessage("bad", readable(e.message));
    },
  );
}
