import { MediaPipelineError } from "@media-pipeline/core";

/*
 * The one classifier of AWS SDK errors: every adapter asks it whether what a call threw is worth
 * another attempt (thrown retryable, so Lambda, EventBridge or SQS retries later) or is a request the
 * service refused (non-retryable: `Stage Failed`). Adapters keep only their service's own special
 * cases in front of it (Rekognition's concurrent-job limit, A2I's ConflictException, S3's 404).
 * It imports no service client, so bundling it adds none.
 *
 * The names follow the SDK's own classification (@smithy/service-error-classification: throttling
 * codes, transient codes, Node's socket errors) plus the services' documented "try again" errors.
 */

/** What kind of failure an SDK error is; everything but `refused` is worth another attempt. */
export type AwsErrorKind = "throttling" | "transient" | "network" | "refused";

/** Throttling and quota errors: the same request succeeds once the rate or the running work drops. */
const THROTTLING = new Set([
  "BandwidthLimitExceeded",
  "LimitExceededException", // Transcribe's throttle (Rekognition's concurrent-job limit is its own case)
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "ServiceQuotaExceededException", // A2I's active human loops, Bedrock's tokens per minute
  "SlowDown",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TransactionInProgressException",
]);

/** Server faults and timeouts: a passing condition on the service's side. */
const TRANSIENT = new Set([
  "InternalError",
  "InternalException",
  "InternalFailure",
  "InternalFailureException",
  "InternalServerError",
  "InternalServerException",
  "ModelNotReadyException", // Bedrock: the model is being loaded
  "ModelTimeoutException", // Bedrock: the model took too long this time
  "RequestTimeout",
  "RequestTimeoutException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TimeoutError",
  "TransactionConflictException", // DynamoDB: another transaction held the item
]);

/** Node's socket errors (`code`), as the SDK's request handler passes them on. */
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]);

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean } | unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Classifies what an AWS SDK call threw, in this order (the first that applies):
 *
 * | the error                                                    | kind         | retry |
 * |--------------------------------------------------------------|--------------|-------|
 * | `$retryable.throttling`, a throttling name, HTTP 429         | `throttling` | yes   |
 * | `$retryable` set, a transient name, `$fault: "server"`, 5xx  | `transient`  | yes   |
 * | a socket `code` (ECONNRESET, ETIMEDOUT, …)                   | `network`    | yes   |
 * | `$fault: "client"` or any other HTTP status (4xx)            | `refused`    | no    |
 * | neither status nor fault: no answer from AWS at all          | `network`    | yes   |
 *
 * The last row is core's rule (`isRetryable`): what is not known to be refused is retried, and the
 * platform's retry limit and dead-letter queue bound it.
 * @example awsErrorKind(new ThrottlingException({ message: "Rate exceeded", $metadata: {} })) // "throttling"
 */
export function awsErrorKind(error: unknown): AwsErrorKind {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkErrorLike;
  const name = typeof e.name === "string" ? e.name : "";
  const code = typeof e.code === "string" ? e.code : "";
  const status = e.$metadata?.httpStatusCode;
  const retryable = e.$retryable as { throttling?: boolean } | undefined;
  if (retryable?.throttling === true || THROTTLING.has(name) || THROTTLING.has(code) || status === 429) return "throttling";
  if (retryable !== undefined || TRANSIENT.has(name) || TRANSIENT.has(code) || e.$fault === "server" || (status !== undefined && status >= 500)) {
    return "transient";
  }
  if (NETWORK.has(code) || NETWORK.has(name)) return "network";
  if (e.$fault === "client" || status !== undefined) return "refused";
  return "network";
}

/**
 * Whether the platform should retry what an AWS call threw. A pipeline error (already classified by
 * an adapter) keeps its own answer.
 * @example if (isTransientAwsError(error)) throw new RetryableError(message, { cause: error });
 */
export function isTransientAwsError(error: unknown): boolean {
  if (error instanceof MediaPipelineError) return error.retryable;
  return awsErrorKind(error) !== "refused";
}
