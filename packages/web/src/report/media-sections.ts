import type { EngineInfo } from "@media-pipeline/core";
import { pct } from "../shared/display.js";
import { esc, range } from "./format.js";
import { chips, notApplicable, nothing, section, stageProblem, timeAttrs, timeSpan } from "./parts.js";
import type { View } from "./view.js";

/*
 * The sections about the media as a whole: its summary with key topics, its chapters, and the text
 * shown on screen. Reports made before these existed carry `summary: null` and `text: []`; they get
 * one quiet line each, saying what was not made, rather than an empty card or a missing section.
 */

/** The model behind an LLM summary, as its engine recorded it (the version carries the model id). */
function modelOf(engine: EngineInfo | null | undefined): string | undefined {
  if (!engine) return undefined;
  const named = engine.settings?.model ?? engine.settings?.modelId;
  return typeof named === "string" && named ? named : engine.version;
}

/** Says plainly who wrote the summary: the media's own words, or which language model. */
function method(view: View, value: "extractive" | "llm"): string {
  if (value === "extractive") {
    return `<p class="method" data-method="extractive"><strong>Extractive summary:</strong> sentences taken from the media's own words, not written by a model.</p>`;
  }
  const engine = view.report.stages["summarize-media"]?.engine;
  const model = modelOf(engine);
  const who = model
    ? `<strong data-model>${esc(model)}</strong>${engine && engine.name !== model ? ` <span class="muted">(${esc(engine.name)})</span>` : ""}`
    : "a model this report does not name";
  return `<p class="method" data-method="llm"><strong>Written by a language model:</strong> ${who}.</p>`;
}

export function renderSummary(view: View): string {
  const s = view.report.summary;
  const problem = stageProblem(view, "summarize-media", "The media summary");
  if (!s) return section("summary", "Summary", "", problem || nothing("No summary was made for this media."));
  const topics = s.topics.length
    ? `<div class="topics" data-topics><span class="topics-label">Key topics</span>${chips(s.topics, "chip topic")}</div>`
    : "";
  const body = `${problem}
  <p class="media-summary" data-summary>${esc(s.summary) || `<span class="muted">(no summary)</span>`}</p>
  ${topics}
  ${method(view, s.method)}`;
  return section("summary", "Summary", "", body);
}

export function renderChapters(view: View): string {
  const s = view.report.summary;
  if (!s) return section("chapters", "Chapters", "", nothing("No chapters were made for this media."));
  if (s.chapters.length === 0) return section("chapters", "Chapters", "", nothing("The media was not divided into chapters."), 0);
  const known = new Set(view.report.scenes.map((scene) => scene.index));
  const items = s.chapters.map((c) => {
    // Scene links only to scenes the report shows, so none points nowhere.
    const scenes = c.sceneIndexes
      .filter((i) => known.has(i))
      .map((i) => `<a href="#scene-${i}" data-jump>Scene ${i + 1}</a>`)
      .join(", ");
    return `
    <li class="chapter" id="chapter-${c.index}" data-chapter${timeAttrs(c.startMs, c.endMs)}>
      <div class="chapter-head"><span class="chapter-n" aria-hidden="true">${c.index + 1}</span><h3>${esc(c.title)}</h3>${timeSpan(view, c.startMs, range(c.startMs, c.endMs))}</div>
      ${c.summary ? `<p class="summary">${esc(c.summary)}</p>` : ""}
      ${c.topics.length || scenes ? `<div class="chapter-facts">${chips(c.topics, "chip small")}${scenes ? `<span class="muted chapter-scenes">${scenes}</span>` : ""}</div>` : ""}
    </li>`;
  });
  return section("chapters", "Chapters", "Where the topic changes, with what each part is about.", `<ol class="chapters">${items.join("")}</ol>`, s.chapters.length);
}

export function renderScreenText(view: View): string {
  if (!view.hasVideo) return section("text", "Text on screen", "", notApplicable("Not applicable: this file has no video."));
  const stage = view.report.stages["detect-text"];
  const problem = stageProblem(view, "detect-text", "Text detection");
  const lines = [...view.report.text].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  if (lines.length === 0) {
    const text = !stage || stage.status === "skipped" ? "Text on screen was not looked for in this analysis." : "No text was found on screen.";
    return section("text", "Text on screen", "", problem || nothing(text), stage?.status === "done" ? 0 : undefined);
  }
  const items = lines.map(
    (l, i) => `
      <li class="text-line" id="text-${i}" data-text-line${timeAttrs(l.startMs, l.endMs)}>
        ${timeSpan(view, l.startMs, range(l.startMs, l.endMs))}
        <span class="text-value">${esc(l.text)}</span>
        <span class="text-conf"><span class="num">${pct(l.confidence)}</span> <span class="muted">· ${l.frames} ${l.frames === 1 ? "frame" : "frames"}</span></span>
      </li>`,
  );
  return section("text", "Text on screen", "Lines of text read from the frames, by time, with the best confidence seen.", `${problem}<ol class="screen-text">${items.join("")}</ol>`, lines.length);
}
