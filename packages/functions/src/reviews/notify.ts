import type { DetailOf } from "@media-pipeline/core";

/*
 * Tells reviewers a task is waiting: `Review Requested` on the media bus becomes one SNS message (an
 * e-mail to each confirmed subscriber) with a link straight to the task on the review page.
 */

export interface ReviewNotice {
  subject: string;
  message: string;
}

const pct = (n: number) => `${Math.round(n)} %`;

/** The notice for one task; SNS subjects are limited to 100 printable characters. */
export function reviewNotice(detail: DetailOf<"Review Requested">, pageUrl: string, filename?: string): ReviewNotice {
  const what = filename ?? detail.mediaId;
  const uncertain = detail.segments.filter((s) => s.decision === "review");
  const top = [...detail.segments].sort((a, b) => b.confidence - a.confidence)[0];
  const link = `${pageUrl}#/tasks/${encodeURIComponent(detail.taskId)}`;
  const lines = [
    `A moderation review is waiting: ${what}.`,
    "",
    `${detail.segmentCount} segment${detail.segmentCount === 1 ? "" : "s"}, ${uncertain.length} uncertain; the model's decision: ${detail.modelDecision}.`,
    ...(top ? [`Strongest: ${top.name} at ${pct(top.confidence)}.`] : []),
    "",
    `Open the task: ${link}`,
    "",
    "The first reviewer to claim it decides it; undecided tasks end as the model decided.",
  ];
  return { subject: `Review waiting: ${what}`.replace(/[^\x20-\x7e]/g, "?").slice(0, 100), message: lines.join("\n") };
}
