import type { Report } from "@media-pipeline/core";
import { DECISION_TONE, humanize, OUTCOME_TEXT, OUTCOME_TONE, REVIEW_TONE } from "../shared/display.js";
import { esc, when } from "./format.js";
import { badge } from "./parts.js";

/*
 * How the report shows human review: the verdict with who gave it and when, the reviewer's answer per
 * moderation segment, and the media's final decision beside the model's (a verdict overrides it).
 */

type SegmentReview = NonNullable<Report["moderation"]["labels"][number]["review"]>;

/** `False positive`, or `Wrong category: Suggestive`. */
export function outcomeText(review: SegmentReview): string {
  return review.outcome === "wrong-category" && review.category ? `Wrong category: ${review.category}` : OUTCOME_TEXT[review.outcome];
}

export function outcomeBadge(review: SegmentReview): string {
  return badge(outcomeText(review), OUTCOME_TONE[review.outcome], ` data-review-outcome="${esc(review.outcome)}"`);
}

/** `Approved by alice` once decided; otherwise the status (`Pending`, `Not required`, `Failed`). */
export function reviewHeadline(review: Report["review"]): string {
  const status = humanize(review.status);
  return (review.status === "approved" || review.status === "rejected") && review.reviewer ? `${status} by ${review.reviewer}` : status;
}

export function reviewBadge(report: Report): string {
  const r = report.review;
  const title = r.decidedAt ? ` title="${esc(`Decided ${when(r.decidedAt)}`)}"` : "";
  return badge(`Review: ${reviewHeadline(r)}`, REVIEW_TONE[r.status] ?? "neutral", ` data-review-status="${esc(r.status)}"${title}`);
}

/** The media's decision, saying whose it is: the reviewer's verdict or the model's. */
export function finalDecisionBadge(report: Report): string {
  const { value, by } = report.decision;
  if (value === null) return badge("Decision: none", "neutral", ` data-final-decision data-by="${by}"`);
  const title = by === "reviewer" ? "The reviewer's verdict overrides the model's decision" : "The moderation model's decision (no reviewer verdict)";
  return badge(`Decision: ${humanize(value)} (${by})`, DECISION_TONE[value] ?? "neutral", ` data-final-decision data-by="${by}" title="${esc(title)}"`);
}

/** The review's outcome in the moderation section: the verdict, when and the comment, or why there is none yet. */
export function reviewSummary(report: Report): string {
  const r = report.review;
  const model = report.moderation.decision ?? "none";
  if (r.status === "not-required") return "";
  if (r.status === "pending") {
    const task = r.taskId ? ` (task <code>${esc(r.taskId)}</code>)` : "";
    return `<div class="review-box pending" data-review="pending"><strong>Review pending</strong><p>No moderator has decided yet${task}. The model's decision (${esc(model)}) stands until then; the report is written again with the verdict.</p></div>`;
  }
  if (r.status === "failed") {
    return `<div class="review-box failed" data-review="failed"><strong>Review ended without a verdict</strong><p>${esc(r.reason ?? "No reason was recorded.")} The model's decision (${esc(model)}) stands.</p></div>`;
  }
  const decided = r.decidedAt ? ` <time datetime="${esc(r.decidedAt)}">${esc(when(r.decidedAt))}</time>` : "";
  const final = report.decision.value ? humanize(report.decision.value) : "none";
  return `<div class="review-box ${r.status}" data-review="${r.status}">
    <div class="review-line"><strong>Review: ${esc(reviewHeadline(r))}</strong>${decided}</div>
    <p>Final decision: <strong>${esc(final)}</strong>, by the reviewer; the model said ${esc(model)}.</p>
    ${r.comment ? `<blockquote class="review-comment" data-review-comment>${esc(r.comment)}</blockquote>` : ""}
  </div>`;
}

/** The reviewer column's cell for one moderation segment. */
export function reviewCell(report: Report, label: Report["moderation"]["labels"][number]): string {
  if (label.review) return outcomeBadge(label.review);
  const text = report.review.status === "pending" && label.decision === "review" ? "Pending" : "—";
  return `<span class="muted">${text}</span>`;
}

/** Whether the moderation table needs a reviewer column: a review was asked for, or answers exist. */
export function hasReviewColumn(report: Report): boolean {
  return report.review.status !== "not-required" || report.moderation.labels.some((l) => l.review);
}
