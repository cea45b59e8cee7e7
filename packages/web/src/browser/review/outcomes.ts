import type { SegmentVerdict } from "@media-pipeline/core";
import { OUTCOME_TEXT, OUTCOMES, type Outcome } from "../../shared/display.js";

/** What an expired task means, wherever the page shows one. */
export const EXPIRED_TEXT = "Nobody decided this task in time; the model's decision stands.";

/** What each answer means, shown under the segment once chosen. */
export const OUTCOME_HINT: Readonly<Record<Outcome, string>> = {
  confirmed: "The model is right: the segment shows what it says.",
  "false-positive": "Nothing objectionable in this segment.",
  "wrong-category": "Objectionable, but not in the category the model gave.",
};

/** `2 confirmed · 1 false positive`. */
export function outcomeSummary(segments: readonly Pick<SegmentVerdict, "outcome">[]): string {
  const n: Partial<Record<Outcome, number>> = {};
  for (const s of segments) n[s.outcome] = (n[s.outcome] ?? 0) + 1;
  const parts = OUTCOMES.filter((o) => n[o]).map((o) => `${n[o]} ${OUTCOME_TEXT[o].toLowerCase()}`);
  return parts.length ? parts.join(" · ") : "No segment outcomes";
}
