import { NonRetryableError, RetryableError } from "@media-pipeline/core";
import { isTransientAwsError } from "../aws-errors.js";

/**
 * Rekognition's errors, sorted by what the pipeline does with them. The SDK already retries
 * throttling a few times inside one call; what reaches these classes has outlasted that.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/CommonErrors.html
 */

/**
 * Too many concurrent video jobs (`LimitExceededException`, 20 per account by default). Not a
 * failure: the caller puts the start in the backlog and a completion releases it. Retryable, so
 * that a caller that does not backlog still gets a retry with backoff rather than `Stage Failed`.
 */
export class RekognitionLimitError extends RetryableError {
  readonly code: string;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code ?? "LimitExceededException";
  }
}

/** Throttling, provisioned throughput exceeded, a 5xx or a network fault: retry with backoff. */
export class RekognitionUnavailableError extends RetryableError {
  readonly code: string;
  constructor(message: string, options: { cause?: unknown; code: string }) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/**
 * A request Rekognition will refuse however often it is sent: invalid parameters, access denied,
 * an S3 object it cannot read, a video too large, a reused token with other parameters.
 */
export class RekognitionRequestError extends NonRetryableError {
  readonly code: string;
  constructor(message: string, options: { cause?: unknown; code: string }) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/** The job ended `FAILED`; `statusMessage` is Rekognition's reason. */
export class RekognitionJobFailedError extends NonRetryableError {
  readonly jobId: string;
  readonly statusMessage: string;
  constructor(jobId: string, statusMessage: string | undefined, options: { cause?: unknown } = {}) {
    super(`Rekognition job ${jobId} failed: ${statusMessage || "no status message"}`, options);
    this.jobId = jobId;
    this.statusMessage = statusMessage ?? "";
  }
}

/** Results were asked for before the job finished (an early or replayed completion): try later. */
export class RekognitionJobInProgressError extends RetryableError {
  readonly jobId: string;
  constructor(jobId: string, options: { cause?: unknown } = {}) {
    super(`Rekognition job ${jobId} is still in progress`, options);
    this.jobId = jobId;
  }
}

/**
 * A completion message whose `JobTag` this pipeline did not set (another application sharing the
 * topic, or a job started by hand): refused rather than guessed at.
 */
export class ForeignJobTagError extends NonRetryableError {
  readonly jobId: string;
  readonly jobTag: string | undefined;
  constructor(jobId: string, jobTag: string | undefined) {
    super(`Rekognition job ${jobId} has JobTag ${jobTag === undefined ? "(none)" : JSON.stringify(jobTag)}, not one of ours (<mediaId>-labels, -moderation, -segments or -text)`);
    this.jobId = jobId;
    this.jobTag = jobTag;
  }
}

/**
 * Maps whatever a Rekognition call threw onto the pipeline's error classes, keeping the original as
 * `cause`. The concurrent-job limit (`LimitExceededException`) is Rekognition's own case: the start
 * waits in the backlog. Everything else is retried or not as the one AWS error classifier decides
 * (aws-errors.ts): throttling, server faults and no answer at all are; a refused request is not.
 */
export function classifyRekognitionError(error: unknown, operation: string): Error {
  if (error instanceof RetryableError || error instanceof NonRetryableError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as { name?: unknown; message?: unknown };
  const code = typeof e.name === "string" ? e.name : "UnknownError";
  const detail = typeof e.message === "string" && e.message ? `: ${e.message}` : "";
  const message = `Rekognition ${operation} failed with ${code}${detail}`;
  if (code === "LimitExceededException") return new RekognitionLimitError(message, { cause: error, code });
  if (isTransientAwsError(error)) return new RekognitionUnavailableError(message, { cause: error, code });
  return new RekognitionRequestError(message, { cause: error, code });
}
