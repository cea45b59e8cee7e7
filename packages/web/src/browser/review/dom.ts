import { DECISION_TONE, type Tone } from "../../shared/display.js";
import { EXPIRED_TEXT } from "./outcomes.js";
import { when } from "./time.js";

/*
 * Building the page. Every piece of task text (file names are user input) reaches the DOM through
 * `h()`, which only ever creates text nodes and sets attributes, so nothing a task says can become
 * markup.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
/** Attributes; `class` and `text` set className and textContent, `on<event>` adds a listener, false or null leaves it out. */
export type Props = Record<string, unknown>;

/** The page's fixed elements (the server renders them; this script runs at the end of the body). */
export const main = document.getElementById("main") as HTMLElement;
const live = document.getElementById("live") as HTMLElement;
const toastBox = document.getElementById("toast") as HTMLElement;

const PROPERTIES = new Set(["checked", "disabled", "readOnly", "selected"]);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v as EventListener);
    else if (PROPERTIES.has(k)) (el as unknown as Record<string, boolean>)[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  add(el, children);
  return el;
}

export function add(el: Node, c: Child): void {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) {
    for (const item of c as readonly Child[]) add(el, item);
    return;
  }
  el.appendChild(typeof c === "object" ? (c as Node) : document.createTextNode(String(c)));
}

export function badge(text: string, tone: Tone | undefined, extra?: Record<string, string>): HTMLSpanElement {
  const b = h("span", { class: `badge ${tone || "neutral"}` }, text);
  for (const [k, v] of Object.entries(extra ?? {})) b.setAttribute(k, v);
  return b;
}

/** The badge of a task nobody decided in time: unlike any verdict's, as no reviewer gave one. */
export function expiredBadge(): HTMLSpanElement {
  return h("span", { class: "badge expired", title: EXPIRED_TEXT }, "Expired");
}

/** A badge for a moderation decision, in its tone. */
export function decisionBadge(text: string, decision: string): HTMLSpanElement {
  return badge(text, DECISION_TONE[decision]);
}

export function confBar(conf: number, decision?: string): HTMLSpanElement {
  return h("span", { class: `bar-s ${decision || ""}`, "aria-hidden": "true" }, h("i", { style: `width:${Math.min(100, Math.max(0, conf)).toFixed(1)}%` }));
}

export function timeEl(iso: string, text: string): HTMLTimeElement {
  return h("time", { datetime: iso, title: when(iso) }, text);
}

export function fact(k: string, v: Child): HTMLDivElement {
  return h("div", null, h("dt", null, k), h("dd", null, v));
}

export function loading(text: string): HTMLParagraphElement {
  return h("p", { class: "loading", role: "status" }, text);
}

export function msg(tone: string, children: Child, props?: Props): HTMLDivElement {
  const p = h("div", { class: `msg ${tone}`, ...props });
  add(p, children);
  return p;
}

/** Says something to screen readers (the live region), after a beat so a repeat is read again. */
export function announce(text: string): void {
  live.textContent = "";
  setTimeout(() => {
    live.textContent = text;
  }, 40);
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
export function toast(text: string): void {
  toastBox.textContent = text;
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toastBox.hidden = true;
  }, 3200);
}

export function focusHeading(): void {
  const h1 = main.querySelector("h1");
  if (h1) {
    h1.setAttribute("tabindex", "-1");
    h1.focus({ preventScroll: true });
  }
}
