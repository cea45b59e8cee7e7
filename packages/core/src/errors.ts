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

/**
 * The reasons a person gets when media is refused. Kept as a closed set so consumers can branch on
 * them; the message says the same in words.
 */
export type RejectionReason =
  | "empty"
  | "truncated"
  | "not-media"
  | "no-usable-stream"
  | "too-large"
  | "too-long"
  | "unsupported";

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
