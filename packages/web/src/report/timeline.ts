import { clock, pct } from "../shared/display.js";
import { esc, pos, range, span } from "./format.js";
import { seconds } from "./parts.js";
import { outcomeText } from "./review.js";
import { speakerLabel, type View } from "./view.js";

/** Tick spacing: the smallest step that keeps the axis to about eight labels. */
const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);

function axis(totalMs: number): string {
  const step = STEPS_MS.find((s) => totalMs / s <= 8) ?? STEPS_MS[STEPS_MS.length - 1];
  const ticks: string[] = [];
  for (let t = 0; t <= totalMs; t += step) {
    // Leave room for the end label so the last two never overlap.
    if (t > 0 && (totalMs - t) / totalMs < 0.07) break;
    ticks.push(`<span class="tick" style="left:${pos(t, totalMs)}">${clock(t)}</span>`);
  }
  ticks.push(`<span class="tick end" style="left:100%">${clock(totalMs)}</span>`);
  return `<div class="tl-row tl-axis"><div class="tl-name"></div><div class="tl-track">${ticks.join("")}</div></div>`;
}

/** With a player, a block on the timeline also moves the player to its start (it still jumps to its details). */
function seekAttr(view: View, startMs: number): string {
  return view.seekable ? ` data-seek="${seconds(startMs)}"` : "";
}

function lane(name: string, body: string, extra = ""): string {
  return `<div class="tl-row ${extra}"><div class="tl-name">${esc(name)}</div><div class="tl-track">${body}</div></div>`;
}

function empty(text: string): string {
  return `<span class="tl-empty">${esc(text)}</span>`;
}

function shotsLane(view: View): string {
  const { report, totalMs } = view;
  if (!view.hasVideo) return lane("Shots", empty("No video: not applicable"));
  if (report.shots.length === 0) return lane("Shots", empty("No shots detected"));
  const blocks = report.shots.map((shot) => {
    const img = view.image(shot.keyframe);
    const inner = img ? `<img src="${esc(img)}" alt="" loading="lazy">` : "";
    const title = `Shot ${shot.index + 1} · ${range(shot.startMs, shot.endMs)}`;
    return (
      `<a class="tl-shot" href="#shot-${shot.index}" data-jump${seekAttr(view, shot.startMs)} title="${esc(title)}" ` +
      `style="left:${pos(shot.startMs, totalMs)};width:${span(shot.startMs, shot.endMs, totalMs)}">` +
      `${inner}<span class="tl-shot-n">${shot.index + 1}</span></a>`
    );
  });
  return lane("Shots", blocks.join(""), "tl-shots");
}

function moderationLane(view: View): string {
  const { report, totalMs } = view;
  if (!view.hasVideo) return lane("Moderation", empty("No video: not applicable"));
  const bands = report.moderation.labels
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.decision !== "clean")
    .map(({ m, i }) => {
      const answer = m.review ? ` · reviewer: ${outcomeText(m.review).toLowerCase()}` : "";
      const title = `${m.name} (${m.parent}) · ${pct(m.confidence)} · ${range(m.startMs, m.endMs)} · ${m.decision}${answer}`;
      // A segment the reviewer called a false positive is drawn faded: it no longer counts against the media.
      const fp = m.review?.outcome === "false-positive" ? " fp" : "";
      return (
        `<a class="tl-band ${m.decision}${fp}" href="#mod-${i}" data-jump${seekAttr(view, m.startMs)} title="${esc(title)}" ` +
        `style="left:${pos(m.startMs, totalMs)};width:${span(m.startMs, m.endMs, totalMs, 0.6)}"></a>`
      );
    });
  if (bands.length === 0) {
    const text = report.moderation.decision === null ? "Not moderated" : "Nothing flagged or sent to review";
    return lane("Moderation", empty(text));
  }
  return lane("Moderation", bands.join(""));
}

function speakersLane(view: View): string {
  const { report, totalMs } = view;
  if (!view.hasAudio) return lane("Speakers", empty("No audio: not applicable"));
  if (report.transcript.segments.length === 0) return lane("Speakers", empty("No speech found"));
  const turns = report.transcript.segments.map((seg, i) => {
    const sp = view.speakers.get(seg.speaker);
    const title = `${speakerLabel(view, seg.speaker)} · ${range(seg.startMs, seg.endMs)}`;
    return (
      `<a class="tl-turn" href="#seg-${i}" data-jump${seekAttr(view, seg.startMs)} title="${esc(title)}" ` +
      `style="left:${pos(seg.startMs, totalMs)};width:${span(seg.startMs, seg.endMs, totalMs)};--c:${sp?.color ?? "#64748b"}"></a>`
    );
  });
  return lane("Speakers", turns.join(""));
}

function scenesLane(view: View): string {
  const { report, totalMs } = view;
  if (report.scenes.length === 0) return lane("Scenes", empty("No scenes summarized"));
  const blocks = report.scenes.map((scene) => {
    const title = `Scene ${scene.index + 1} · ${range(scene.startMs, scene.endMs)}`;
    return (
      `<a class="tl-scene" href="#scene-${scene.index}" data-jump${seekAttr(view, scene.startMs)} title="${esc(title)}" ` +
      `style="left:${pos(scene.startMs, totalMs)};width:${span(scene.startMs, scene.endMs, totalMs)}">` +
      `<span>Scene ${scene.index + 1}</span></a>`
    );
  });
  return lane("Scenes", blocks.join(""));
}

function hint(view: View): string {
  const what = view.hasVideo ? "Click a shot, band or turn" : "Click a turn or scene";
  return view.seekable ? `${what} to jump to its details and play from there.` : `${what} to jump to its details.`;
}

/** The whole media on one horizontal scale; every block links to its detail further down. */
export function renderTimeline(view: View): string {
  const legend = [
    view.hasVideo ? `<span><i class="sw review"></i>Moderation: review</span>` : "",
    view.hasVideo ? `<span><i class="sw flagged"></i>Moderation: flagged</span>` : "",
    ...[...view.speakers.values()].map(
      (s) => `<span><i class="sw" style="background:${s.color}"></i>${esc(s.label)}</span>`,
    ),
  ].join("");
  return `
<section id="timeline" class="card">
  <div class="card-head"><h2>Timeline</h2><p class="muted">${hint(view)}</p></div>
  <div class="tl" data-duration="${view.totalMs}">
    <div class="tl-cursor" aria-hidden="true"><span></span></div>
    ${shotsLane(view)}
    ${moderationLane(view)}
    ${speakersLane(view)}
    ${scenesLane(view)}
    ${axis(view.totalMs)}
  </div>
  ${legend ? `<div class="legend">${legend}</div>` : ""}
</section>`;
}
