import { h, main, msg } from "./dom.js";
import { leave, S } from "./state.js";

/*
 * Routes live in the hash (#/ the queue, #/decided recent decisions, #/expired tasks nobody decided in
 * time, #/tasks/<taskId> one task), so the server has one page to serve and a task link can be shared
 * between reviewers.
 */

export type QueueTab = "open" | "decided" | "expired";
export type Route = { view: "task"; taskId: string } | { view: "queue"; tab: QueueTab };

export interface Views {
  showQueue(tab: QueueTab): void;
  showTask(taskId: string): void;
}

let views: Views | null = null;

/** The views the routes open; set once by the page's entry point. */
export function registerViews(v: Views): void {
  views = v;
}

export function taskHref(taskId: string): string {
  return `#/tasks/${encodeURIComponent(taskId)}`;
}

export function parseRoute(): Route {
  const path = location.hash.replace(/^#/, "") || "/";
  const m = /^\/tasks\/([^/]+)$/.exec(path);
  if (m) {
    try {
      return { view: "task", taskId: decodeURIComponent(m[1]) };
    } catch {
      return { view: "queue", tab: "open" };
    }
  }
  return { view: "queue", tab: path === "/decided" ? "decided" : path === "/expired" ? "expired" : "open" };
}

/** Shows the view the hash names (signed in only). */
export function route(): void {
  if (!S.token || !views) return;
  leave();
  const r = parseRoute();
  if (r.view === "task") views.showTask(r.taskId);
  else views.showQueue(r.tab);
}

/** Shows an error where a view would be, unless signing out already took care of it. */
export function failView(e: unknown): void {
  if ((e as { handled?: boolean } | null)?.handled) return;
  const text = e instanceof Error && e.message ? e.message : String(e);
  main.replaceChildren(
    h("div", { class: "card" },
      msg("bad", [h("strong", null, "Something went wrong. "), text], { role: "alert" }),
      h("button", { class: "btn", type: "button", onclick: route }, "Try again")),
  );
}
