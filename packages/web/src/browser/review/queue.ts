import { DECISION_TONE, humanize, pct, VERDICT_TEXT } from "../../shared/display.js";
import type { ApiError } from "./api-error.js";
import { call } from "./api.js";
import { announce, badge, confBar, expiredBadge, focusHeading, h, loading, main, msg, timeEl } from "./dom.js";
import { type QueueTab, taskHref } from "./nav.js";
import { EXPIRED_TEXT, outcomeSummary } from "./outcomes.js";
import { every, S } from "./state.js";
import { ago, hhmm, when } from "./time.js";
import type { TaskList, TaskSegment, TaskView } from "./types.js";

/*
 * The queue: open tasks oldest first, recent decisions, and the tasks nobody decided in time (a tab
 * shown once there are any: the local server never expires a task).
 */

function topSegment(task: TaskView): TaskSegment | null {
  let top: TaskSegment | null = null;
  for (const s of task.segments) if (!top || s.confidence > top.confidence) top = s;
  return top;
}

function claimBadge(task: TaskView): HTMLSpanElement {
  if (task.status !== "claimed" || !task.claimedBy || !task.claimExpiresAt) return badge("Unclaimed", "neutral");
  const until = `until ${hhmm(task.claimExpiresAt)}`;
  return task.claimedBy === S.reviewer
    ? badge(`You, ${until}`, "info", { title: `Claimed by you until ${when(task.claimExpiresAt)}` })
    : badge(`${task.claimedBy}, ${until}`, "warn", { title: `Claimed by ${task.claimedBy} until ${when(task.claimExpiresAt)}` });
}

function openRow(taskId: string) {
  return (e: Event) => {
    if ((e.target as Element).closest?.("a")) return;
    location.hash = taskHref(taskId);
  };
}

function fileCell(task: TaskView): HTMLTableCellElement {
  return h("td", { class: "file" }, h("a", { href: taskHref(task.taskId) }, task.filename || "(no file name)"));
}

function openRows(tasks: TaskView[]): HTMLTableRowElement[] {
  return tasks.map((t) => {
    const top = topSegment(t);
    return h("tr", { class: "row", "data-task": t.taskId, onclick: openRow(t.taskId) },
      fileCell(t),
      h("td", { class: "mid", "data-th": "Media ID" }, h("code", null, t.mediaId)),
      h("td", { "data-th": "Created" }, timeEl(t.createdAt, ago(t.createdAt))),
      h("td", { class: "num", "data-th": "Segments" }, String(t.segmentCount)),
      h("td", { "data-th": "Top" }, top
        ? h("span", { class: "top" }, confBar(top.confidence, top.decision),
            h("span", null, h("strong", { class: "num" }, pct(top.confidence)), " ", top.category, top.name !== top.category ? ` · ${top.name}` : ""))
        : h("span", { class: "muted" }, "—")),
      h("td", { "data-th": "Claim" }, claimBadge(t)));
  });
}

function decidedRows(tasks: TaskView[]): HTMLTableRowElement[] {
  return tasks.map((t) => {
    const d = t.decision ?? { verdict: "approved", reviewer: "?", decidedAt: t.createdAt, segments: [], comment: undefined };
    return h("tr", { class: "row", "data-task": t.taskId, onclick: openRow(t.taskId) },
      fileCell(t),
      h("td", { "data-th": "Verdict" }, badge(VERDICT_TEXT[d.verdict] || d.verdict, d.verdict === "approved" ? "good" : "bad")),
      h("td", { "data-th": "Reviewer" }, d.reviewer),
      h("td", { "data-th": "Decided" }, timeEl(d.decidedAt, ago(d.decidedAt))),
      h("td", { "data-th": "Segments" }, outcomeSummary(d.segments)),
      h("td", { class: "comment-cell", "data-th": "Comment", title: d.comment || "" }, d.comment || h("span", { class: "muted" }, "—")));
  });
}

function expiredRows(tasks: TaskView[]): HTMLTableRowElement[] {
  return tasks.map((t) =>
    h("tr", { class: "row", "data-task": t.taskId, onclick: openRow(t.taskId) },
      fileCell(t),
      h("td", { "data-th": "Status" }, expiredBadge()),
      h("td", { "data-th": "Decision" }, badge(humanize(t.modelDecision), DECISION_TONE[t.modelDecision]), " ", h("span", { class: "muted" }, "by the model")),
      h("td", { "data-th": "Created" }, timeEl(t.createdAt, ago(t.createdAt))),
      h("td", { class: "num", "data-th": "Segments" }, String(t.segmentCount))));
}

const TABS: Record<QueueTab, { title: string; heading: string; lead: string; empty: [string, string] }> = {
  open: {
    title: "Review queue", heading: "Review queue",
    lead: "Moderation results the model was unsure about, oldest first. Opening a task claims it for you.",
    empty: ["Nothing to review", "New tasks appear here when moderation is unsure about a file."],
  },
  decided: {
    title: "Decided", heading: "Recent decisions",
    lead: "Tasks already decided, newest first. Open one to see the verdict and its audit log.",
    empty: ["No decisions yet", "Verdicts appear here once a reviewer submits one."],
  },
  expired: {
    title: "Expired", heading: "Expired tasks",
    lead: "Tasks nobody decided in time, so the model's decision stands for each. Open one to see it read-only.",
    empty: ["No expired tasks", "Tasks appear here when nobody decides them in time."],
  },
};

function table(head: string[], rows: HTMLTableRowElement[], numeric?: string): HTMLDivElement {
  return h("div", { class: "table-wrap" }, h("table", { class: "cards" },
    h("thead", null, h("tr", null, head.map((c) => h("th", { scope: "col", class: c === numeric ? "num" : null }, c)))),
    h("tbody", null, rows)));
}

export function showQueue(tab: QueueTab): void {
  S.view = "queue";
  const text = TABS[tab];
  document.title = `${text.title} · media-pipeline`;
  const stats = h("dl", { class: "stats", "aria-label": "Tasks" });
  const openTab = h("a", { class: "tab", href: "#/", "aria-current": tab === "open" ? "page" : null }, "To review");
  const decidedTab = h("a", { class: "tab", href: "#/decided", "aria-current": tab === "decided" ? "page" : null }, "Decided");
  const expiredTab = h("a", { class: "tab", href: "#/expired", "aria-current": tab === "expired" ? "page" : null, hidden: tab !== "expired" }, "Expired");
  const body = h("div", { class: "card", id: "queue", style: "padding: 4px 10px" }, loading("Loading the queue…"));
  const refresh = h("button", { class: "btn", type: "button", onclick: () => load(true) }, "Refresh");
  main.replaceChildren(
    h("div", { class: "page-head" },
      h("div", null,
        h("h1", null, text.heading),
        h("p", { class: "lead" }, text.lead)),
      refresh),
    stats,
    h("nav", { class: "tabs", "aria-label": "Queue" }, openTab, decidedTab, expiredTab),
    body);
  focusHeading();

  function stat(id: string, name: string, n: number, note: string): HTMLDivElement {
    return h("div", { class: `stat ${id}`, id: `stat-${id}`, title: note }, h("dt", null, name), h("dd", null, String(n)));
  }
  function load(manual: boolean): void {
    const focused = (document.activeElement as Element | null)?.closest?.("[data-task]");
    const keep = focused ? focused.getAttribute("data-task") : null;
    call<TaskList>("GET", `/reviews?status=${tab}`).then(
      (d) => {
        if (S.view !== "queue") return;
        const c = d.counts;
        // A server from before expiry answers no such count.
        const expired = c.expired ?? 0;
        stats.classList.toggle("with-expired", expired > 0);
        stats.replaceChildren(
          stat("open", "Open", c.open, "Waiting for a reviewer"),
          stat("claimed", "Claimed", c.claimed, "Being reviewed right now"),
          stat("decided", "Decided", c.decided, "Verdict given"),
          ...(expired > 0 ? [stat("expired", "Expired", expired, EXPIRED_TEXT)] : []));
        openTab.replaceChildren("To review", h("span", { class: "chip" }, String(c.open + c.claimed)));
        decidedTab.replaceChildren("Decided", h("span", { class: "chip" }, String(c.decided)));
        expiredTab.replaceChildren("Expired", h("span", { class: "chip" }, String(expired)));
        expiredTab.hidden = expired === 0 && tab !== "expired";
        if (!d.tasks.length) {
          body.replaceChildren(h("div", { class: "empty" }, h("strong", null, text.empty[0]), text.empty[1]));
        } else if (tab === "decided") {
          body.replaceChildren(table(["File", "Verdict", "Reviewer", "Decided", "Segments", "Comment"], decidedRows(d.tasks)));
        } else if (tab === "expired") {
          body.replaceChildren(table(["File", "Status", "Decision", "Created", "Segments"], expiredRows(d.tasks), "Segments"));
        } else {
          body.replaceChildren(table(["File", "Media ID", "Created", "Segments", "Top category", "Claim"], openRows(d.tasks), "Segments"));
        }
        if (keep) body.querySelector<HTMLElement>(`[data-task="${CSS.escape(keep)}"] a`)?.focus();
        if (manual) announce(`Queue refreshed: ${d.tasks.length}${d.tasks.length === 1 ? " task" : " tasks"}`);
      },
      (e: ApiError) => {
        if (e.handled || S.view !== "queue") return;
        body.replaceChildren(msg("bad", [h("strong", null, "The queue could not be loaded. "), e.message], { role: "alert" }));
      },
    );
  }
  load(false);
  // Others claim and decide while this page is open; a quiet refresh keeps the queue honest.
  every(15000, () => {
    if (document.visibilityState === "visible") load(false);
  });
}
