import { EventValidationError, NonRetryableError, RetryableError, type MediaPipelineError } from "@media-pipeline/core";
import { isTransientAwsError } from "../aws-errors.js";

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

/**
 * Maps an SDK error from Transcribe (or the S3 read of its output) to the pipeline's two kinds, as the
 * one AWS error classifier decides (aws-errors.ts): throttling (Transcribe's `LimitExceededException`
 * included), server faults and no answer at all are retried; a request the service refused is not.
 */
export function classifyTranscribeError(error: unknown, action: string): MediaPipelineError {
  const e = (error ?? {}) as { name?: string; message?: string };
  const message = `${action} failed: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
  return isTransientAwsError(error) ? new TranscribeUnavailableError(message, { cause: error }) : new TranscribeRequestError(message, { cause: error });
}
