/**
 * How both pages show times, confidences and decisions, for the server-side renderer and the browser
 * scripts alike (no DOM, no Node): one copy, so the report and the review page never disagree on a
 * colour or a clock. Their shared stylesheet is base.css beside this module.
 */

/** A badge's colour; the stylesheet has a `.badge.<tone>` rule for each. */
export type Tone = "good" | "warn" | "bad" | "neutral" | "info";

/** Moderation decisions: clean is good, review needs a look, flagged is bad. */
export const DECISION_TONE: Readonly<Record<string, Tone>> = { clean: "good", review: "warn", flagged: "bad" };

/** A review's status in the report. */
export const REVIEW_TONE: Readonly<Record<string, Tone>> = {
  "not-required": "neutral",
  pending: "warn",
  approved: "good",
  rejected: "bad",
  failed: "bad",
};

export const OUTCOMES = ["confirmed", "false-positive", "wrong-category"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A reviewer's answer for one segment, as both pages name it. */
export const OUTCOME_TEXT: Readonly<Record<Outcome, string>> = {
  confirmed: "Confirmed",
  "false-positive": "False positive",
  "wrong-category": "Wrong category",
};

/** A confirmed segment is objectionable (red); a false positive is not (green). */
export const OUTCOME_TONE: Readonly<Record<Outcome, Tone>> = { confirmed: "bad", "false-positive": "good", "wrong-category": "warn" };

export const VERDICT_TEXT: Readonly<Record<string, string>> = { approved: "Approved", rejected: "Rejected" };

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A position in the media the way players show it: `h:mm:ss` from an hour on; below it `mm:ss` (the
 * report, whose columns line up) or `m:ss` with `minutes: "short"` (the review page's player).
 */
export function clock(ms: number, minutes: "padded" | "short" = "padded"): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${minutes === "padded" ? pad(m) : m}:${pad(s)}`;
}

/** Confidence on Rekognition's 0–100 scale, shown with one decimal only when it matters. */
export function pct(confidence: number): string {
  const rounded = Math.round(confidence * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}%`;
}

/** Title-cases a slug or enum value for display: `completed-with-failures` → `Completed with failures`. */
export function humanize(value: string | null | undefined): string {
  const s = String(value ?? "").replace(/[-_]+/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
