import { NonRetryableError, RetryableError } from "@media-pipeline/core";

/**
 * A2I is busy, over a quota or out of reach (ThrottlingException, ServiceQuotaExceededException,
 * InternalServerException, a network fault): the platform retries the stage later.
 * https://docs.aws.amazon.com/augmented-ai/2019-11-07/APIReference/API_StartHumanLoop.html
 */
export class HumanLoopBusyError extends RetryableError {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** A2I refused the request itself (ValidationException, a missing flow definition, access denied): retrying will not help. */
export class HumanLoopRequestError extends NonRetryableError {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** A human loop output document we cannot turn into a `Review Completed` (no verdict, unknown fields). */
export class ReviewOutputError extends NonRetryableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options: { cause?: unknown } = {}) {
    super(message, options);
    this.issues = issues;
  }
}

/** A custom resource of the review (human task UI, flow definition) could not be created or deleted. */
export class A2iResourceError extends NonRetryableError {}

/** SageMaker kept refusing a role created in the same deploy for longer than the provider waits. */
export class IamPropagationTimeoutError extends A2iResourceError {
  readonly attempts: number;
  readonly waitedMs: number;
  constructor(message: string, options: { attempts: number; waitedMs: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.attempts = options.attempts;
    this.waitedMs = options.waitedMs;
  }
}
