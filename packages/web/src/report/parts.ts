import { clock, type Tone } from "../shared/display.js";
import { esc } from "./format.js";
import type { View } from "./view.js";

/** A pill. `text` is escaped; `tone` picks the colour. */
export function badge(text: string, tone: Tone, extra = ""): string {
  return `<span class="badge ${tone}"${extra}>${esc(text)}</span>`;
}

/** A section card. `body` is already-rendered HTML; `title` and `note` are escaped here. */
export function section(id: string, title: string, note: string, body: string, count?: number): string {
  const n = count === undefined ? "" : `<span class="count">${count}</span>`;
  return `
<section id="${esc(id)}" class="card">
  <div class="card-head"><h2>${esc(title)}${n}</h2>${note ? `<p class="muted">${esc(note)}</p>` : ""}</div>
  ${body}
</section>`;
}

/** The line a section shows when it does not apply to this media (kept, never dropped). */
export function notApplicable(text: string): string {
  return `<p class="na" data-na>${esc(text)}</p>`;
}

/** A quieter line for a section that applies but found nothing. */
export function nothing(text: string): string {
  return `<p class="nothing">${esc(text)}</p>`;
}

export function chips(values: readonly string[], cls = "chip"): string {
  return values.map((v) => `<span class="${cls}">${esc(v)}</span>`).join("");
}

/**
 * Says so when the stage behind a section failed or has not finished, so an empty section is not
 * read as "nothing found". Returns "" when the stage is done, skipped or absent.
 */
export function stageProblem(view: View, stage: string, what: string): string {
  const s = view.report.stages[stage];
  if (s?.status === "failed") {
    return `<p class="problem" data-failed><strong>${esc(what)} failed.</strong> ${s.error ? esc(s.error) : "No error message was recorded."}</p>`;
  }
  if (s?.status === "pending") {
    return `<p class="problem pending"><strong>${esc(what)} has not finished.</strong> What is shown may be incomplete.</p>`;
  }
  return "";
}

/** A moment in seconds as the page's fragment and controls carry it (`12.5`), to the millisecond. */
export function seconds(ms: number): string {
  return String(Math.max(0, Math.round(ms)) / 1000);
}

/**
 * A moment as a link the page's script turns into a seek of the player: `href="#t=12.5"`, so the
 * address it leaves in the bar (or a copied link) opens the report at that moment. `extra` is
 * already-rendered attributes (classes, style); `text` is escaped here.
 */
export function seekLink(startMs: number, text: string, cls = "time seek", extra = ""): string {
  return `<a class="${cls}" href="#t=${seconds(startMs)}" data-seek="${seconds(startMs)}" title="Play from ${clock(startMs)}"${extra}>${esc(text)}</a>`;
}

/** A time as the sections show it: with a player a seek link, without one the plain text it always was. */
export function timeText(view: View, startMs: number, text: string): string {
  return view.seekable ? seekLink(startMs, text) : esc(text);
}

/** `timeText` in the `<span class="time">` the sections used before there was a player. */
export function timeSpan(view: View, startMs: number, text: string): string {
  return view.seekable ? seekLink(startMs, text) : `<span class="time">${esc(text)}</span>`;
}

/** Where an item sits in the media, for the script that highlights what is at a `#t=` moment or playing. */
export function timeAttrs(startMs: number, endMs: number): string {
  return ` data-start-ms="${Math.round(startMs)}" data-end-ms="${Math.round(endMs)}"`;
}
