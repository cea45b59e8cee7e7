/**
 * Throttling, timeouts, 5xx and dropped connections: what the SDK's own retries gave up on and the
 * platform (Lambda, EventBridge, SQS) should retry later. One list for every adapter; it imports
 * nothing, so bundling it adds no service client.
 */
const TRANSIENT_NAMES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "InternalError",
  "InternalException",
  "InternalFailure",
  "InternalServerError",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestTimeout",
  "RequestTimeoutException",
  "ServiceUnavailable",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TimeoutError",
  "TransactionConflictException",
]);

export function isTransientAwsError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e || typeof e !== "object") return false;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return Boolean(e.$retryable) || status === 429 || status >= 500 || TRANSIENT_NAMES.has(e.name ?? "") || TRANSIENT_NAMES.has(e.code ?? "");
}
