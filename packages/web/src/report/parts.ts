import type { Tone } from "../shared/display.js";
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
