import { createHash } from "node:crypto";
import type { MediaStream, Report } from "@media-pipeline/core";
import { REPORT_SCRIPT, REPORT_STYLES } from "../assets.js";
import { clock, DECISION_TONE, humanize } from "../shared/display.js";
import { bytes, duration, esc, when } from "./format.js";
import { renderChapters, renderScreenText, renderSummary } from "./media-sections.js";
import { badge } from "./parts.js";
import { mediaSources, renderPlayer, type ReportMedia } from "./player.js";
import { renderScenes, renderStages, renderTranscript } from "./text-sections.js";
import { renderTimeline } from "./timeline.js";
import { finalDecisionBadge, reviewBadge } from "./review.js";
import { renderLabels, renderModeration, renderShots } from "./video-sections.js";
import { buildView, type View } from "./view.js";

export type { ReportMedia } from "./player.js";

export interface RenderOptions {
  /** Returns a data: URI for a keyframe path from report.shots[].keyframe, or undefined. */
  embedImage(path: string): string | undefined;
  title?: string;
  /**
   * The media to play, with its captions: the page then has a player, and every time it shows plays
   * from there. Without it the page stays one that loads nothing at all.
   */
  media?: ReportMedia;
}

function streamLine(s: MediaStream): string {
  const parts = [s.codec];
  if (s.type === "video") {
    if (s.width && s.height) parts.push(`${s.width}×${s.height}`);
    if (s.fps) parts.push(`${+s.fps.toFixed(2)} fps`);
  } else if (s.type === "audio") {
    if (s.sampleRate) parts.push(`${+(s.sampleRate / 1000).toFixed(1)} kHz`);
    if (s.channels) parts.push(s.channels === 1 ? "mono" : s.channels === 2 ? "stereo" : `${s.channels} ch`);
  }
  return parts.join(" · ");
}

function header(view: View, title: string): string {
  const { report } = view;
  const failed = Object.entries(report.stages).filter(([, s]) => s.status === "failed").map(([n]) => humanize(n));
  const status =
    report.status === "completed"
      ? badge("Completed", "good", " data-status")
      : badge("Completed with failures", "bad", ` data-status title="${esc(`Failed: ${failed.join(", ")}`)}"`);
  const decision = report.moderation.decision;
  const moderation = view.hasVideo
    ? badge(`Moderation: ${decision ? humanize(decision) : "not run"}`, decision ? DECISION_TONE[decision] : "neutral")
    : badge("Moderation: n/a", "neutral");
  const review = reviewBadge(report);
  const final = view.hasVideo ? finalDecisionBadge(report) : "";

  const video = report.media.streams.find((s) => s.type === "video");
  const audio = report.media.streams.find((s) => s.type === "audio");
  const facts: Array<[string, string]> = [
    ["Kind", humanize(report.media.kind)],
    ["Duration", clock(report.media.durationMs)],
    ["Size", bytes(report.media.sizeBytes)],
    // ffprobe names a format family ("mov,mp4,m4a,…"); spaces let it wrap.
    ["Container", report.media.container.split(",").join(", ")],
    ["Video", video ? streamLine(video) : "none"],
    ["Audio", audio ? streamLine(audio) : "none"],
  ];
  const kind = report.media.kind === "video" ? "▶" : "♪";
  return `
<header class="hero">
  <div class="wrap">
    <div class="eyebrow"><span class="kind-icon" aria-hidden="true">${kind}</span>Media analysis report</div>
    <h1 title="${esc(title)}">${esc(title)}</h1>
    <div class="badges">${status}${moderation}${review}${final}</div>
    ${failed.length ? `<p class="failed-line">Failed stages: ${esc(failed.join(", "))}. Their sections show what is known.</p>` : ""}
    <dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join("")}</dl>
    <p class="ids">Media ID <code>${esc(report.mediaId)}</code> · generated <time datetime="${esc(report.generatedAt)}">${esc(when(report.generatedAt))}</time></p>
  </div>
</header>`;
}

/** The sections in page order; the player's only when there is one. */
function nav(player: boolean): Array<[string, string]> {
  return [
    ["summary", "Summary"],
    ...(player ? [["media", "Player"] as [string, string]] : []),
    ["chapters", "Chapters"],
    ["timeline", "Timeline"],
    ["shots", "Shots"],
    ["labels", "Labels"],
    ["moderation", "Moderation"],
    ["transcript", "Transcript"],
    ["text", "Text on screen"],
    ["scenes", "Scenes"],
    ["stages", "Stages"],
  ];
}

/**
 * The page's policy: it loads nothing (keyframes are data: URIs), and runs only our script, by hash.
 * A player adds `media-src` for exactly the sources its media and captions come from.
 */
function contentSecurityPolicy(media: ReportMedia | undefined): string {
  const scriptHash = createHash("sha256").update(REPORT_SCRIPT, "utf8").digest("base64");
  return [
    "default-src 'none'",
    "img-src data:",
    ...(media ? [`media-src ${mediaSources(media).join(" ")}`] : []),
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${scriptHash}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/**
 * Renders a report as one self-contained HTML page: inline CSS and script, keyframes as data: URIs,
 * and a content security policy that forbids every request, so the file can be mailed or archived and
 * opened offline. All report text is escaped; the only script allowed to run is ours (by hash). Given
 * `media`, the page plays it (the one thing it then loads) and `#t=<seconds>` opens it at that moment.
 * Throws `ReportMediaError` for a media URL the page could not load safely.
 * @example writeFileSync("report.html", renderReportHtml(report, { embedImage: (p) => toDataUri(p) }))
 */
export function renderReportHtml(report: Report, options: RenderOptions): string {
  const { media } = options;
  const view = buildView(report, (p) => options.embedImage(p), media !== undefined);
  const name = report.filename ?? report.mediaId;
  const title = options.title ?? name;
  const csp = contentSecurityPolicy(media);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="media-pipeline">
<title>${esc(title)} · media report</title>
<link rel="icon" href="data:,">
<style>${REPORT_STYLES}</style>
</head>
<body>
${header(view, name)}
<nav class="toc" aria-label="Sections"><div class="wrap">${nav(media !== undefined).map(([id, label]) => `<a href="#${id}">${label}</a>`).join("")}</div></nav>
<main class="wrap">
${renderSummary(view)}${media ? renderPlayer(view, media) : ""}
${renderChapters(view)}
${renderTimeline(view)}
${renderShots(view)}
${renderLabels(view)}
${renderModeration(view)}
${renderTranscript(view)}
${renderScreenText(view)}
${renderScenes(view)}
${renderStages(view)}
</main>
<footer class="wrap foot">Generated by media-pipeline · ${esc(duration(report.media.durationMs))} of ${esc(report.media.kind)} analysed</footer>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}
