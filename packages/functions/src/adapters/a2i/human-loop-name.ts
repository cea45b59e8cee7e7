import { createHash } from "node:crypto";

/** A2I's rule for `HumanLoopName`: 1–63 characters, lower-case letters, digits and inner hyphens. */
export const HUMAN_LOOP_NAME_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;
export const HUMAN_LOOP_NAME_MAX = 63;

export function isHumanLoopName(name: string): boolean {
  return name.length >= 1 && name.length <= HUMAN_LOOP_NAME_MAX && HUMAN_LOOP_NAME_PATTERN.test(name);
}

const HASH_CHARS = 10;

/** A conforming name of at most `max` characters for any task id (see humanLoopNameFor). */
function baseName(taskId: string, max: number): string {
  if (taskId.length <= max && isHumanLoopName(taskId)) return taskId;
  const hash = createHash("sha256").update(taskId, "utf8").digest("hex").slice(0, HASH_CHARS);
  const slug = taskId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, max - HASH_CHARS - 1)
    .replace(/^-+|-+$/g, "");
  return slug ? `${slug}-${hash}` : `task-${hash}`;
}

/**
 * The human loop name for attempt `attempt` (1, 2, …) of a review task. The first loop's name is
 * the task id when it already follows A2I's rules (core's `reviewTaskId` gives `<26-char lower-case
 * ULID>-review`, 33 characters, which does), so the loop is findable by the id in the console. Any
 * other id is derived deterministically: lower-cased, every run of other characters turned into one
 * hyphen, trimmed to leave room, then `-` and the first 10 hex digits of the SHA-256 of the original id.
 * The hash keeps ids that only differ in case or punctuation (`A_b`, `a-B`) from sharing a loop.
 *
 * A re-queued loop (see requeue.ts) is a new loop, so it needs a new name: `-<attempt>` is appended,
 * the base shortened first if the whole would pass 63 characters. The same (task id, attempt) always
 * gives the same name, so a repeated start is recognised by A2I as the same loop (ConflictException).
 *
 * @example humanLoopNameFor("01jd8x7k2m4n6p8q0r2s4t6v8w-review") // "01jd8x7k2m4n6p8q0r2s4t6v8w-review"
 * @example humanLoopNameFor("01jd8x7k2m4n6p8q0r2s4t6v8w-review", 2) // "01jd8x7k2m4n6p8q0r2s4t6v8w-review-2"
 * @example humanLoopNameFor("Media_42/Review") // "media-42-review-<10 hex>"
 */
export function humanLoopNameFor(taskId: string, attempt = 1): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a whole number ≥ 1, got ${attempt}`);
  if (attempt === 1) return baseName(taskId, HUMAN_LOOP_NAME_MAX);
  const suffix = `-${attempt}`;
  return `${baseName(taskId, HUMAN_LOOP_NAME_MAX - suffix.length)}${suffix}`;
}

/** Core's review task ids end so (`reviewTaskId(mediaId)` is `<mediaId>-review`). */
const REVIEW_TASK_SUFFIX = "-review";
/** Attempts 2–99: two digits at most, so a hashed name's all-digit hash is never taken for one. */
const LOOP_OF_REVIEW_TASK = /^([a-z0-9](?:-*[a-z0-9])*-review)(?:-([2-9]|[1-9][0-9]))?$/;

/**
 * The review task and attempt a human loop name stands for: the inverse of `humanLoopNameFor` for
 * core's task ids (`<mediaId>-review`, which follow A2I's rules and end in a word, so a trailing
 * `-<n>` can only be our attempt number). Returns undefined for any other name: a hashed name cannot
 * be turned back into its id, and a loop we did not name is not ours to settle.
 *
 * @example loopOfName("01jd8x7k2m4n6p8q0r2s4t6v8w-review-2") // { taskId: "01jd8x7k2m4n6p8q0r2s4t6v8w-review", attempt: 2 }
 */
export function loopOfName(name: string): { taskId: string; attempt: number } | undefined {
  if (!isHumanLoopName(name)) return undefined;
  const m = LOOP_OF_REVIEW_TASK.exec(name);
  if (!m) return undefined;
  const taskId = m[1]!;
  const attempt = m[2] ? Number(m[2]) : 1;
  // Only names humanLoopNameFor gives: a task id it would have shortened or hashed is not this one.
  return humanLoopNameFor(taskId, attempt) === name ? { taskId, attempt } : undefined;
}

/** The mediaId inside one of core's review task ids, or undefined for another kind of id. */
export function mediaOfReviewTask(taskId: string): string | undefined {
  return taskId.endsWith(REVIEW_TASK_SUFFIX) && taskId.length > REVIEW_TASK_SUFFIX.length
    ? taskId.slice(0, -REVIEW_TASK_SUFFIX.length)
    : undefined;
}
