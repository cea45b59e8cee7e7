import { DECISION_TONE, humanize, pct } from "../shared/display.js";
import { duration, esc, pos, range, span } from "./format.js";
import { badge, chips, notApplicable, nothing, seconds, section, stageProblem, timeSpan, timeText } from "./parts.js";
import { finalDecisionBadge, hasReviewColumn, reviewBadge, reviewCell, reviewSummary } from "./review.js";
import type { View } from "./view.js";

const NO_VIDEO = "Not applicable: this file has no video.";

export function renderShots(view: View): string {
  const { report } = view;
  if (!view.hasVideo) return section("shots", "Shots", "", notApplicable(NO_VIDEO));
  const problem = stageProblem(view, "detect-shots", "Shot detection");
  if (report.shots.length === 0) return section("shots", "Shots", "", problem || nothing("No shots were detected."), 0);
  const cards = report.shots.map((shot) => {
    const img = view.image(shot.keyframe);
    const thumb = img
      ? `<img src="${esc(img)}" alt="Keyframe of shot ${shot.index + 1}" loading="lazy">`
      : `<div class="noimg">No keyframe</div>`;
    return `
    <figure class="shot" id="shot-${shot.index}" data-shot>
      <div class="thumb">${thumb}</div>
      <figcaption><strong>Shot ${shot.index + 1}</strong>${timeSpan(view, shot.startMs, range(shot.startMs, shot.endMs))}<span class="muted">${duration(shot.endMs - shot.startMs)}</span>${facesNote(shot.faces)}</figcaption>
    </figure>`;
  });
  return section("shots", "Shots", "Keyframe, start and end of each detected shot.", `${problem}<div class="shots">${cards.join("")}</div>`, report.shots.length);
}

/** A small copy of the duration with the label's occurrences drawn on it. */
function strip(view: View, occurrences: View["report"]["labels"][number]["occurrences"]): string {
  const marks = occurrences.map((o) => {
    const opacity = (0.35 + 0.65 * (o.confidence / 100)).toFixed(2);
    const style = `left:${pos(o.startMs, view.totalMs)};width:${span(o.startMs, o.endMs, view.totalMs, 0.8)};opacity:${opacity}`;
    const title = `${range(o.startMs, o.endMs)} · ${pct(o.confidence)}`;
    // With a player each occurrence plays from its start; the visible text stays the drawn mark.
    if (view.seekable) return `<a class="seek" href="#t=${seconds(o.startMs)}" data-seek="${seconds(o.startMs)}" style="${style}" title="${esc(`Play from ${title}`)}" aria-label="${esc(`Play from ${title}`)}"></a>`;
    return `<i style="${style}" title="${esc(title)}"></i>`;
  });
  return `<div class="strip">${marks.join("")}</div>`;
}

function bar(confidence: number): string {
  return `<div class="bar"><i style="width:${Math.min(100, Math.max(0, confidence)).toFixed(1)}%"></i></div>`;
}

export function renderLabels(view: View): string {
  const { report } = view;
  if (!view.hasVideo) return section("labels", "Labels", "", notApplicable(NO_VIDEO));
  const problem = stageProblem(view, "detect-labels", "Label detection");
  if (report.labels.length === 0) return section("labels", "Labels", "", problem || nothing("No labels were detected."), 0);
  const labels = [...report.labels].sort((a, b) => b.confidence - a.confidence);
  const rows = labels.map(
    (l) => `
      <tr data-label>
        <td class="name"><strong>${esc(l.name)}</strong>${l.parents.length ? `<div class="parents">${chips(l.parents, "chip small")}</div>` : ""}</td>
        <td class="conf" data-th="Max confidence"><div class="conf-cell">${bar(l.confidence)}<span class="num">${pct(l.confidence)}</span></div></td>
        <td class="num mean" data-th="Mean">${pct(l.meanConfidence)}</td>
        <td class="num" data-th="Frames">${l.count}</td>
        <td class="when" data-th="When">${strip(view, l.occurrences)}</td>
      </tr>`,
  );
  const table = `${problem}
  <div class="table-wrap"><table class="labels stack">
    <thead><tr><th>Label</th><th>Max confidence</th><th class="mean">Mean</th><th class="num">Frames</th><th>When</th></tr></thead>
    <tbody>${rows.join("")}</tbody>
  </table></div>`;
  return section("labels", "Labels", "Objects and scenes seen in the frames, by highest confidence.", table, labels.length);
}

function thresholds(view: View): string {
  const t = view.report.moderation.thresholds;
  if (!t) return "";
  const cats = Object.entries(t.categories ?? {}).map(
    ([name, c]) => `<div><dt>${esc(name)}</dt><dd>review ≥ ${pct(c.reviewMin)} · flag ≥ ${pct(c.flagMin)}</dd></div>`,
  );
  return `<dl class="thresholds">
    <div><dt>Review from</dt><dd>${pct(t.reviewMin)}</dd></div>
    <div><dt>Flag from</dt><dd>${pct(t.flagMin)}</dd></div>
    ${cats.join("")}
  </dl>`;
}

export function renderModeration(view: View): string {
  const { report } = view;
  const m = report.moderation;
  if (!view.hasVideo) return section("moderation", "Moderation", "", notApplicable(NO_VIDEO));
  const decision = m.decision
    ? badge(`Model: ${humanize(m.decision)}`, DECISION_TONE[m.decision] ?? "neutral", " data-decision")
    : badge("Not moderated", "neutral", " data-decision");
  const problem = stageProblem(view, "moderate", "Moderation");
  const head = `${problem}<div class="mod-head"><div class="mod-decision">${decision}${reviewBadge(report)}${finalDecisionBadge(report)}</div>${thresholds(view)}</div>${reviewSummary(report)}`;
  const reviewed = hasReviewColumn(report);
  if (m.labels.length === 0) {
    const text = m.decision === null ? "Moderation did not run for this file." : "No moderation labels reached the review threshold.";
    return section("moderation", "Moderation", "", head + (problem ? "" : nothing(text)), 0);
  }
  const rows = m.labels.map(
    (l, i) => `
      <tr id="mod-${i}" data-mod class="${esc(l.decision)}">
        <td><strong>${esc(l.name)}</strong></td>
        <td data-th="Parent">${esc(l.parent)}</td>
        <td class="num" data-th="Confidence">${pct(l.confidence)}</td>
        <td class="time" data-th="Time">${timeText(view, l.startMs, range(l.startMs, l.endMs))}</td>
        <td data-th="Decision">${badge(humanize(l.decision), DECISION_TONE[l.decision] ?? "neutral")}</td>
        ${reviewed ? `<td data-th="Reviewer" class="review-cell">${reviewCell(report, l)}</td>` : ""}
      </tr>`,
  );
  const table = `
  <div class="table-wrap"><table class="mod stack">
    <thead><tr><th>Category</th><th>Parent</th><th class="num">Confidence</th><th>Time</th><th>Decision</th>${reviewed ? "<th>Reviewer</th>" : ""}</tr></thead>
    <tbody>${rows.join("")}</tbody>
  </table></div>`;
  return section("moderation", "Moderation", "Segments the moderation model reported, with the thresholds the decision used.", head + table, m.labels.length);
}

/** Face counts only (nobody is identified); shown when the vision stage counted faces in the shot. */
function facesNote(faces: number | undefined): string {
  if (faces === undefined || faces === 0) return "";
  return `<span class="muted" data-faces="${faces}">${faces} ${faces === 1 ? "face" : "faces"}</span>`;
}
