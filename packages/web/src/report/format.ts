import { clock } from "../shared/display.js";

/**
 * Escaping and number formatting for the HTML report (clocks, confidences and labels come from the
 * display module both pages share). Everything that comes from a report (file names, transcript text,
 * label names, engine notes) is user or engine data: it goes through `esc`.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escapes text for element content and quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

/** A time range as `00:04 – 00:09`. */
export function range(startMs: number, endMs: number): string {
  return `${clock(startMs)} – ${clock(endMs)}`;
}

/** Human durations for stage timings and speech time: `850 ms`, `2.4 s`, `3 min 12 s`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  if (min < 60) return s ? `${min} min ${s} s` : `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Binary units, one decimal: `12.4 MB`. */
export function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 100 ? 1 : 0)} ${units[i]}`;
}

/** Position on the timeline as a CSS percentage, clamped so bad times cannot escape the track. */
export function pos(ms: number, totalMs: number): string {
  if (totalMs <= 0) return "0%";
  const p = Math.min(100, Math.max(0, (ms / totalMs) * 100));
  return `${+p.toFixed(3)}%`;
}

/** Width on the timeline; at least a sliver so a one-frame segment stays visible and clickable. */
export function span(startMs: number, endMs: number, totalMs: number, minPct = 0.4): string {
  if (totalMs <= 0) return "100%";
  const start = Math.min(100, Math.max(0, (startMs / totalMs) * 100));
  const end = Math.min(100, Math.max(0, (endMs / totalMs) * 100));
  // Keep slivers inside the track: a minimum-width block at the very end grows leftwards instead.
  const w = Math.min(Math.max(minPct, end - start), Math.max(minPct, 100 - start));
  return `${+w.toFixed(3)}%`;
}

/** An ISO timestamp as `2025-11-23 17:57 UTC`; anything unparseable is shown as given. */
export function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
