import { createHash } from "node:crypto";

/** A2I's rule for `HumanLoopName`: 1–63 characters, lower-case letters, digits and inner hyphens. */
export const HUMAN_LOOP_NAME_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;
export const HUMAN_LOOP_NAME_MAX = 63;

export function isHumanLoopName(name: string): boolean {
  return name.length >= 1 && name.length <= HUMAN_LOOP_NAME_MAX && HUMAN_LOOP_NAME_PATTERN.test(name);
}

const HASH_CHARS = 10;

/**
 * The human loop name for a review task. A task id that already follows A2I's rules is used as it is
 * (core's `reviewTaskId` gives `<26-char lower-case ULID>-review`, 33 characters, which does), so the
 * loop is findable by the id in the console. Any other id is derived deterministically: lower-cased,
 * every run of other characters turned into one hyphen, trimmed to leave room, then `-` and the first
 * 10 hex digits of the SHA-256 of the original id. The hash keeps ids that only differ in case or
 * punctuation (`A_b`, `a-B`) from sharing a loop, and the same id always gives the same name, so a
 * retried start is recognised by A2I as the same loop.
 *
 * @example humanLoopNameFor("01jd8x7k2m4n6p8q0r2s4t6v8w-review") // "01jd8x7k2m4n6p8q0r2s4t6v8w-review"
 * @example humanLoopNameFor("Media_42/Review") // "media-42-review-<10 hex>"
 */
export function humanLoopNameFor(taskId: string): string {
  if (isHumanLoopName(taskId)) return taskId;
  const hash = createHash("sha256").update(taskId, "utf8").digest("hex").slice(0, HASH_CHARS);
  const slug = taskId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, HUMAN_LOOP_NAME_MAX - HASH_CHARS - 1)
    .replace(/^-+|-+$/g, "");
  return slug ? `${slug}-${hash}` : `task-${hash}`;
}
