import { StageName } from "@media-pipeline/core";
import { clock, humanize, type Tone } from "../shared/display.js";
import { duration, esc, range } from "./format.js";
import { badge, chips, notApplicable, nothing, section, stageProblem, timeAttrs, timeSpan } from "./parts.js";
import { speakerLabel, type View } from "./view.js";

export function renderTranscript(view: View): string {
  const t = view.report.transcript;
  if (!view.hasAudio) return section("transcript", "Transcript", "", notApplicable("Not applicable: this file has no audio."));

  const notes = t.notes.length
    ? `<div class="notes" role="note"><strong>Notes</strong><ul>${t.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></div>`
    : "";
  const facts = [
    `Language: <strong>${esc(t.language ?? "unknown")}</strong>`,
    t.hasWords ? "Words recognized" : "<strong>No words recognized</strong>: speech is timed and attributed, not transcribed",
  ]
    .map((f) => `<span>${f}</span>`)
    .join("");

  const totalSpeech = [...view.speakers.values()].reduce((sum, s) => sum + s.speechMs, 0);
  const legend = [...view.speakers.values()].map((s) => {
    const share = totalSpeech > 0 ? (s.speechMs / totalSpeech) * 100 : 0;
    return `
      <li class="speaker" data-speaker-legend="${esc(s.id)}" style="--c:${s.color}">
        <i class="sw" style="background:${s.color}"></i>
        <span class="who">${esc(s.label)}</span>
        <span class="muted">${duration(s.speechMs)} · ${s.segments} ${s.segments === 1 ? "turn" : "turns"}</span>
        <span class="share"><i style="width:${share.toFixed(1)}%;background:${s.color}"></i></span>
      </li>`;
  });

  const segments = t.segments.map((seg, i) => {
    const sp = view.speakers.get(seg.speaker);
    const text = seg.text.trim()
      ? esc(seg.text)
      : `<span class="muted">Speech without words · ${duration(seg.endMs - seg.startMs)}</span>`;
    return `
      <li class="seg" id="seg-${i}" data-speaker="${esc(seg.speaker)}"${timeAttrs(seg.startMs, seg.endMs)} style="--c:${sp?.color ?? "#64748b"}">
        <div class="seg-meta">${timeSpan(view, seg.startMs, clock(seg.startMs))}<span class="who">${esc(speakerLabel(view, seg.speaker))}</span></div>
        <p class="seg-text">${text}</p>
      </li>`;
  });

  const body = `${stageProblem(view, "transcribe", "Transcription")}
  <div class="tx-facts">${facts}</div>
  ${notes}
  ${legend.length ? `<ul class="speakers">${legend.join("")}</ul>` : ""}
  ${segments.length ? `<ol class="segments">${segments.join("")}</ol>` : nothing("No speech segments were found.")}`;
  return section("transcript", "Transcript", "Speech by speaker, in order.", body, t.segments.length);
}

const SUMMARIZER: Record<string, { text: string; tone: Tone; title: string }> = {
  extractive: { text: "Extractive", tone: "neutral", title: "Built from the transcript and labels by a local extractive summarizer, no language model" },
  llm: { text: "LLM", tone: "info", title: "Written by a language model" },
};

export function renderScenes(view: View): string {
  const scenes = view.report.scenes;
  const problem = stageProblem(view, "summarize-scenes", "Scene summaries");
  if (scenes.length === 0) return section("scenes", "Scenes", "", problem || nothing("No scenes were summarized."), 0);
  const cards = scenes.map((s) => {
    const by = SUMMARIZER[s.summarizer] ?? { text: s.summarizer, tone: "neutral" as Tone, title: "" };
    const speakers = s.speakers
      .map((id) => {
        const sp = view.speakers.get(id);
        return `<span class="chip spk" style="--c:${sp?.color ?? "#64748b"}">${esc(speakerLabel(view, id))}</span>`;
      })
      .join("");
    const rows = [
      s.labels.length ? `<div><dt>Labels</dt><dd>${chips(s.labels)}</dd></div>` : "",
      s.moderation.length ? `<div><dt>Moderation</dt><dd>${chips(s.moderation, "chip warn")}</dd></div>` : "",
      speakers ? `<div><dt>Speakers</dt><dd>${speakers}</dd></div>` : "",
    ].join("");
    return `
    <article class="scene" id="scene-${s.index}" data-scene data-summarizer="${esc(s.summarizer)}">
      <header><h3>Scene ${s.index + 1}</h3>${timeSpan(view, s.startMs, range(s.startMs, s.endMs))}${badge(`${by.text} summary`, by.tone, ` title="${esc(by.title)}"`)}</header>
      <p class="summary">${esc(s.summary) || `<span class="muted">(no summary)</span>`}</p>
      ${rows ? `<dl class="scene-facts">${rows}</dl>` : ""}
    </article>`;
  });
  return section("scenes", "Scenes", "What happens, scene by scene, and who produced each summary.", `${problem}<div class="scenes">${cards.join("")}</div>`, scenes.length);
}

/** Engine settings in one quiet line (`sceneThreshold 0.3 · model base`), long values cut short. */
function settings(values: Record<string, unknown> | undefined): string {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return "";
  const show = (v: unknown): string => {
    const text = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
  };
  return `<div class="settings">${entries.map(([k, v]) => `<span>${esc(k)} <b>${esc(show(v))}</b></span>`).join("")}</div>`;
}

const STATUS_TONE: Record<string, Tone> = { done: "good", failed: "bad", skipped: "neutral", pending: "warn" };

export function renderStages(view: View): string {
  const order = new Map<string, number>(StageName.options.map((name, i) => [name, i]));
  const entries = Object.entries(view.report.stages).sort(
    ([a], [b]) => (order.get(a) ?? 99) - (order.get(b) ?? 99) || a.localeCompare(b),
  );
  if (entries.length === 0) return section("stages", "Stages", "", nothing("No stages were recorded."), 0);
  const rows = entries.map(([name, s]) => {
    const engine = s.engine
      ? `<span class="engine">${esc(s.engine.name)}</span> <span class="ver">${esc(s.engine.version)}</span>${settings(s.engine.settings)}${s.engine.note ? `<div class="engine-note">${esc(s.engine.note)}</div>` : ""}`
      : `<span class="muted">—</span>`;
    return `
      <tr data-stage="${esc(name)}">
        <td><strong>${esc(humanize(name))}</strong>${s.error ? `<div class="error">${esc(s.error)}</div>` : ""}</td>
        <td data-th="Status">${badge(humanize(s.status), STATUS_TONE[s.status] ?? "neutral")}</td>
        <td class="num" data-th="Took">${duration(s.durationMs)}</td>
        <td class="engine-cell" data-th="Engine">${engine}</td>
      </tr>`;
  });
  const table = `
  <div class="table-wrap"><table class="stages stack">
    <thead><tr><th>Stage</th><th>Status</th><th class="num">Took</th><th>Engine</th></tr></thead>
    <tbody>${rows.join("")}</tbody>
  </table></div>`;
  return section("stages", "Stages", "What ran, how long it took and which engine produced each result.", table, entries.length);
}
