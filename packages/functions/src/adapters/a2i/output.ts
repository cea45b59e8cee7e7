import { z } from "zod";
import { SEGMENT_OUTCOMES, SegmentOutcome, Verdict, VERDICTS, type ReviewDecision } from "@media-pipeline/core";
import { ReviewOutputError } from "./errors.js";

/**
 * The names the task template's form fields must have: A2I stores a custom task's submitted form as
 * `answerContent`, one key per field name. Values are strings (native `<select>`, radio `<input>` and
 * `<textarea>` inside `<crowd-form>`); a crowd-classifier's `{ "label": "..." }` is read as well.
 *
 * - `verdict`: `approved` (the media may be published) or `rejected`. Required.
 * - `segment-<index>-outcome`: `confirmed`, `false-positive` or `wrong-category`, for a segment of
 *   the task input by its `index`. A segment left unanswered is not reported.
 * - `segment-<index>-category`: with `wrong-category`, the right category (one of `categories`, or free text).
 * - `comment`: free text, at most 4000 characters kept.
 */
export const REVIEW_ANSWER_FIELDS = {
  verdict: "verdict",
  comment: "comment",
  segmentOutcome: (index: number) => `segment-${index}-outcome`,
  segmentCategory: (index: number) => `segment-${index}-category`,
  /** Matches a segment field name; group 1 is the index, group 2 the part. */
  segmentPattern: /^segment-(\d+)-(outcome|category)$/,
  verdicts: VERDICTS,
  outcomes: SEGMENT_OUTCOMES,
} as const;

/** One entry of `humanAnswers[]` in the A2I output document. */
export const A2iHumanAnswer = z.object({
  answerContent: z.record(z.string(), z.unknown()),
  submissionTime: z.string(),
  acceptanceTime: z.string().optional(),
  timeSpentInSeconds: z.number().optional(),
  workerId: z.string(),
  workerMetadata: z.looseObject({ identityData: z.looseObject({ sub: z.string().optional() }).optional() }).optional(),
});

/** The output document at `outputS3Uri`. https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html */
export const A2iOutputDocument = z.object({
  flowDefinitionArn: z.string().optional(),
  humanLoopName: z.string().optional(),
  humanAnswers: z.array(A2iHumanAnswer).min(1),
  inputContent: z.unknown().optional(),
});

/**
 * The part of `inputContent` the answer is checked against. Deliberately loose: a loop started
 * before the input gained core's task fields still has these two, and its answer still counts.
 */
const AnsweredInput = z.looseObject({
  taskId: z.string(),
  segments: z.array(z.looseObject({ index: z.number().int().nonnegative() })),
});

/** A form value as a string: a plain value, or a crowd element's `{ label }`. */
function text(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  if (value && typeof value === "object" && typeof (value as { label?: unknown }).label === "string") {
    return ((value as { label: string }).label).trim() || undefined;
  }
  return undefined;
}

function readAnswer(answer: z.infer<typeof A2iHumanAnswer>, known: Set<number> | undefined, n: number) {
  const content = answer.answerContent;
  const where = `humanAnswers[${n}]`;
  const verdict = Verdict.safeParse(text(content[REVIEW_ANSWER_FIELDS.verdict]));
  if (!verdict.success) {
    throw new ReviewOutputError(`${where} has no verdict: answerContent.${REVIEW_ANSWER_FIELDS.verdict} must be "approved" or "rejected"`, [
      `${where}.answerContent.${REVIEW_ANSWER_FIELDS.verdict}: ${JSON.stringify(content[REVIEW_ANSWER_FIELDS.verdict]) ?? "missing"}`,
    ]);
  }
  const decidedAt = new Date(answer.submissionTime);
  if (Number.isNaN(decidedAt.getTime())) throw new ReviewOutputError(`${where}.submissionTime is not a time: ${answer.submissionTime}`);
  const segments: ReviewDecision["segments"] = [];
  const issues: string[] = [];
  for (const key of Object.keys(content)) {
    const m = REVIEW_ANSWER_FIELDS.segmentPattern.exec(key);
    if (!m || m[2] !== "outcome") continue;
    const index = Number(m[1]);
    const raw = text(content[key]);
    if (raw === undefined) continue; // left unanswered
    const outcome = SegmentOutcome.safeParse(raw);
    if (!outcome.success) issues.push(`${key}: "${raw}" is not one of ${REVIEW_ANSWER_FIELDS.outcomes.join(", ")}`);
    else if (known && !known.has(index)) issues.push(`${key}: segment ${index} was not in the task`);
    else {
      const category = outcome.data === "wrong-category" ? text(content[REVIEW_ANSWER_FIELDS.segmentCategory(index)]) : undefined;
      segments.push({ index, outcome: outcome.data, ...(category ? { category } : {}) });
    }
  }
  if (issues.length) throw new ReviewOutputError(`${where} has unusable segment answers: ${issues.join("; ")}`, issues);
  segments.sort((a, b) => a.index - b.index);
  const comment = text(content[REVIEW_ANSWER_FIELDS.comment])?.slice(0, 4000);
  const reviewer = answer.workerMetadata?.identityData?.sub || answer.workerId;
  return { verdict: verdict.data, reviewer, decidedAt: decidedAt.toISOString(), segments, ...(comment ? { comment } : {}) };
}

/**
 * Turns an A2I output document into core's `ReviewDecision` (the `Review Completed` fields without
 * version, mediaId and correlationId, which core's `recordReviewDecision` adds). Refuses
 * (`ReviewOutputError`, non-retryable) an answer without a verdict, a segment answer it cannot read,
 * or a document whose input is another task's.
 * With several reviewers (a task count above 1), `rejected` wins over `approved` (moderation errs on
 * the careful side) and the latest answer with the winning verdict supplies reviewer, time and segments.
 * @example const fields = parseA2iOutput(await blobs.getJson(status.outputRef), { taskId })
 */
export function parseA2iOutput(json: unknown, expected: { taskId: string }): ReviewDecision {
  const parsed = A2iOutputDocument.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ReviewOutputError(`Not an A2I output document: ${issues.slice(0, 3).join("; ")}`, issues);
  }
  const doc = parsed.data;
  // inputContent is our task input, as an object or (in some outputs) as its JSON string.
  let input: unknown = doc.inputContent;
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch {
      input = undefined;
    }
  }
  const task = AnsweredInput.safeParse(input);
  if (task.success && task.data.taskId !== expected.taskId) {
    throw new ReviewOutputError(`The output belongs to task ${task.data.taskId}, not ${expected.taskId}`);
  }
  const known = task.success ? new Set(task.data.segments.map((s) => s.index)) : undefined;
  const answers = doc.humanAnswers.map((a, n) => readAnswer(a, known, n));
  const verdict = answers.some((a) => a.verdict === "rejected") ? "rejected" : "approved";
  const chosen = answers.filter((a) => a.verdict === verdict).sort((a, b) => b.decidedAt.localeCompare(a.decidedAt))[0]!;
  return { taskId: expected.taskId, ...chosen };
}
