import { EventValidationError, NonRetryableError, RetryableError, type MediaPipelineError } from "@media-pipeline/core";

/**
 * Transcribe (or the S3 read of its output) is busy or briefly down: throttling,
 * `LimitExceededException`, a 5xx, a timeout. Thrown so the platform retries with backoff.
 */
export class TranscribeUnavailableError extends RetryableError {}

/** Transcribe refused the request as made (`BadRequestException` and other client faults): never retried. */
export class TranscribeRequestError extends NonRetryableError {}

/** `GetTranscriptionJob` knows no job by this name: it was never started, or has expired. */
export class TranscriptionJobNotFoundError extends NonRetryableError {
  readonly jobName: string;
  constructor(jobName: string, options: { cause?: unknown } = {}) {
    super(`No transcription job named "${jobName}" exists (never started, or deleted after expiry).`, options);
    this.jobName = jobName;
  }
}

/** The transcript JSON is missing, outside our bucket, not JSON, or not in Transcribe's shape. */
export class TranscriptUnreadableError extends NonRetryableError {}

/**
 * A "Transcribe Job State Change" for a job this pipeline did not name: another application in the
 * account, or a rule whose job-name filter is wrong. A validation error, so it is never retried.
 */
export class ForeignTranscriptionJobError extends EventValidationError {
  readonly jobName: string;
  constructor(jobName: string, expected: string) {
    const issue = `detail.TranscriptionJobName: "${jobName}" is not a pipeline job name (${expected})`;
    super(`Not a media-pipeline transcription job: ${issue}`, [issue]);
    this.jobName = jobName;
  }
}

/** Error names AWS uses for throttling and passing faults; anything with `$fault: "server"` also retries. */
const RETRYABLE_NAMES = new Set([
  "LimitExceededException",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "InternalFailureException",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);

interface AwsErrorLike {
  name?: string;
  message?: string;
  $fault?: "client" | "server";
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/**
 * Maps an SDK error to the pipeline's two kinds. Client faults (bad request, access denied, missing
 * object) are not worth retrying; throttling and server faults are. Errors that are not AWS service
 * errors at all (sockets reset, DNS) are treated as passing, as core's `isRetryable` does.
 */
export function classifyAwsError(error: unknown, action: string): MediaPipelineError {
  const e = (error ?? {}) as AwsErrorLike;
  const status = e.$metadata?.httpStatusCode;
  const message = `${action} failed: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
  const retryable =
    RETRYABLE_NAMES.has(e.name ?? "") ||
    e.$fault === "server" ||
    e.$retryable !== undefined ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (e.$fault === undefined && status === undefined);
  return retryable ? new TranscribeUnavailableError(message, { cause: error }) : new TranscribeRequestError(message, { cause: error });
}
