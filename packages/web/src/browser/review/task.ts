import { DECISION_TONE, humanize, pct } from "../../shared/display.js";
import type { ApiError } from "./api-error.js";
import { call } from "./api.js";
import { auditCard } from "./audit.js";
import { keepClaim, paintMode } from "./claim.js";
import { badge, expiredBadge, fact, focusHeading, h, loading, main, timeEl } from "./dom.js";
import { clearDraft, draftFromDecision, emptyDraft, loadDraft } from "./draft.js";
import { paintProgress } from "./form.js";
import { failView } from "./nav.js";
import { paintCurrent, playerCard, segmentsSection } from "./segments.js";
import { S, type RenderOptions, type TaskState } from "./state.js";
import { readable, when } from "./time.js";
import type { TaskView } from "./types.js";
import { decisionCard, expiredCard, verdictCard } from "./verdict.js";

/*
 * One task: opening it claims it (a 409, someone else holds it or it is decided or expired, opens it
 * read-only), then the player and segments beside the verdict, the audit log and the model's settings.
 */

function crumbs(): HTMLElement {
  return h("div", { class: "crumbs" }, h("a", { href: "#/" }, "← Review queue"));
}

export function showTask(taskId: string): void {
  S.view = "task";
  document.title = "Task · Review · media-pipeline";
  const visit = (S.visit = {});
  main.replaceChildren(crumbs(), loading("Opening the task…"));
  const path = `/reviews/${encodeURIComponent(taskId)}`;
  call<TaskView>("POST", `${path}/claim`)
    .then(
      (task) => {
        if (S.visit === visit) renderTask(task, null, {});
      },
      (e: ApiError) => {
        if (e.status !== 409) throw e;
        return call<TaskView>("GET", path).then((task) => {
          if (S.visit === visit) renderTask(task, e, {});
        });
      },
    )
    .catch((e: ApiError) => {
      if (e.handled || S.visit !== visit) return;
      if (e.status === 404) {
        main.replaceChildren(crumbs(), h("div", { class: "card" }, h("h1", null, "No such task"),
          h("p", { class: "lead" }, `${readable(e.message)}. It may have been removed, or the link is mistyped.`)));
        focusHeading();
        return;
      }
      failView(e);
    });
}

/** The answers to show: the decision's, none for an expired task (a draft of it can never be sent), or the draft. */
function draftFor(task: TaskView, mode: TaskState["mode"]) {
  if (mode === "decided") return draftFromDecision(task);
  if (mode !== "expired") return loadDraft(task.taskId);
  clearDraft(task.taskId);
  return emptyDraft();
}

function renderTask(task: TaskView, conflict: ApiError | null, opts: RenderOptions): void {
  const mode = task.status === "decided" || task.status === "expired" ? task.status : !conflict && task.claimedBy === S.reviewer ? "mine" : "readonly";
  const name = task.filename || task.mediaId;
  const T: TaskState = (S.task = {
    task, mode, conflict, current: 0, busy: false, bands: [], segs: [], pendingSeek: null, form: null, localMsg: false,
    draft: draftFor(task, mode),
    player: h("video", { id: "player", controls: true, preload: "auto", playsinline: true, src: task.mediaUrl, "aria-label": `Media: ${name}` }),
    claimBar: h("div", { class: "claim", id: "claim-bar" }),
    rerender: renderTask,
  });
  document.title = `${name} · Review · media-pipeline`;

  const status = mode === "decided" ? badge("Decided", "good") : mode === "expired" ? expiredBadge() : task.claimedBy ? badge("Claimed", "warn") : badge("Open", "info");
  const head = h("div", null, crumbs(),
    h("div", { class: "task-head" }, h("h1", null, name),
      badge(`Model: ${humanize(task.modelDecision)}`, DECISION_TONE[task.modelDecision]), status),
    h("div", { class: "task-meta" },
      h("span", null, "Media ", h("code", null, task.mediaId)),
      h("span", null, "Created ", timeEl(task.createdAt, when(task.createdAt))),
      h("span", null, `${task.segmentCount}${task.segmentCount === 1 ? " segment" : " segments"}`)),
    T.claimBar);

  const side = h("aside", { class: "side", "aria-label": "Verdict and details" },
    mode === "decided" && task.decision ? decisionCard(task.decision, opts.justDecided) : mode === "expired" ? expiredCard(task) : verdictCard(T),
    auditCard(task.audit), detailsCard(task), keysCard());
  main.replaceChildren(head, h("div", { class: "layout" },
    h("div", { class: "primary" }, playerCard(T), segmentsSection(T)), side));
  paintMode();
  paintCurrent(0);
  paintProgress();
  if (!opts.keepFocus) focusHeading();
  if (mode === "mine") keepClaim();
}

function detailsCard(task: TaskView): HTMLElement {
  const t = task.thresholds;
  const categories = t.categories ?? {};
  const cats = Object.keys(categories).map((c) => fact(c, `review ≥ ${pct(categories[c].reviewMin)}, flag ≥ ${pct(categories[c].flagMin)}`));
  return h("section", { class: "card", "aria-labelledby": "details-h" }, h("h2", { id: "details-h" }, "Model"),
    h("dl", { class: "facts" },
      fact("Model decision", badge(humanize(task.modelDecision), DECISION_TONE[task.modelDecision])),
      fact("Review from", pct(t.reviewMin)),
      fact("Flagged from", pct(t.flagMin)),
      cats,
      fact("Categories", task.categories.join(", ") || "—"),
      fact("Task", h("code", null, task.taskId))));
}

function keysCard(): HTMLElement {
  const row = (keys: string[], text: string) => [h("dt", null, keys.map((k) => h("kbd", null, k))), h("dd", null, text)];
  return h("section", { class: "card keys-card", "aria-labelledby": "keys-h" }, h("h2", { id: "keys-h" }, "Keyboard"),
    h("dl", { class: "keys" },
      row(["j", "k"], "Next / previous segment"),
      row(["1", "2", "3"], "Confirmed / false positive / wrong category"),
      row(["a", "r"], "Approve / reject"),
      row(["Space"], "Play / pause"),
      row(["Ctrl", "Enter"], "Submit"),
      row(["?"], "All shortcuts")));
}
