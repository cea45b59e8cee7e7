import type { RejectionReason } from "./results/common.js";
/**
 * One base error for the pipeline. `retryable` decides what a stage does with it: retryable errors
 * are thrown so the platform retries (EventBridge/Lambda retry policies, the local bus's backoff);
 * non-retryable ones end the branch in `Stage Failed`.
 */
export class MediaPipelineError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/** Bad input that will never succeed however often it is retried (bad media, invalid event). */
export class NonRetryableError extends MediaPipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** A passing fault (throttling, timeout, busy database): retry with backoff. */
export class RetryableError extends MediaPipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}

/**
 * A stage's work ran past its deadline. Retryable (a stuck engine often runs on a second try); on the
 * final attempt it settles the stage as `Stage Failed` and the delivery is dead-lettered for a redrive.
 *
 * A `final` one met the runtime's hard limit (`StageContext.deadlineIsFinal`, e.g. the Lambda's
 * remaining time): a retry would meet the same wall, so runOnce settles the stage at once instead of
 * handing it back. `limit` says in words what the deadline was, for the failure's reason.
 */
export class StageTimeoutError extends RetryableError {
  readonly stage: string;
  readonly timeoutMs: number;
  readonly final: boolean;
  constructor(stage: string, timeoutMs: number, options: { cause?: unknown; final?: boolean; limit?: string } = {}) {
    super(
      options.final
        ? `${stage} ran out of ${options.limit ?? "its time"}: stopped after ${formatSeconds(timeoutMs)}; not retried, as a retry would meet the same limit`
        : `${stage} took longer than ${formatSeconds(timeoutMs)} (its timeout); the engine may be stuck`,
      { cause: options.cause },
    );
    this.stage = stage;
    this.timeoutMs = timeoutMs;
    this.final = options.final ?? false;
  }
}

/**
 * A stage produced an event detail or facts larger than events and state records may carry
 * (events/bounds.ts): a bug in the stage, which should have put the growing part in its document.
 * Not retryable: the same input gives the same output.
 */
export class OversizeOutputError extends NonRetryableError {}

/**
 * The disk a stage writes to is full (ENOSPC, EDQUOT; SQLite's "database or disk is full").
 * Retryable: it passes once space is freed; until then the delivery ends in the dead-letter table,
 * from which it can be redriven.
 */
export class DiskFullError extends RetryableError {}

/** System error codes that mean "no space": the file system is full, or a quota is used up. */
const NO_SPACE = new Set(["ENOSPC", "EDQUOT"]);

/**
 * Gives a bare system error a name a person understands: Node reports a full disk as
 * `ENOSPC: no space left on device, write`, which reads as a bug rather than as "free some space".
 * Anything else is returned unchanged.
 * @example describeFault(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })) // DiskFullError "disk full: …"
 */
export function describeFault(error: unknown): unknown {
  if (error instanceof MediaPipelineError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && NO_SPACE.has(code)) {
    const where = (error as { path?: unknown }).path;
    return new DiskFullError(`disk full: no space left on device${typeof where === "string" ? ` for ${where}` : ""} (${code})`, { cause: error });
  }
  return error;
}

/** A duration as failure reasons give it: 300000 → "300 s", 1500 → "1.5 s". */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(s < 10 ? 2 : 1))} s`;
}

/** An event whose envelope or detail does not match the catalog. */
export class EventValidationError extends NonRetryableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    super(message, options);
    this.issues = issues;
  }
}

/** An EventBridge event pattern that EventBridge itself would refuse. */
export class InvalidPatternError extends NonRetryableError {}

/** Media that the pipeline will not analyse; becomes `Media Rejected`, never `Stage Failed`. */
export class MediaRejectedError extends NonRetryableError {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.reason = reason;
  }
}

/** True when the error asks to be retried; unknown errors count as retryable until the last attempt. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof MediaPipelineError) return error.retryable;
  return true;
}
