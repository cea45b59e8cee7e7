import type { AwsErrorKind } from "../src/adapters/aws-errors.js";

/**
 * What AWS SDK calls throw, as the SDK builds it (a `ServiceException` with `name`, `$fault`,
 * `$metadata.httpStatusCode` and, for errors modelled retryable, `$retryable`; Node's socket errors
 * with a `code`), and how the one classifier reads each. Shared by the classifier's own test and the
 * test that every adapter decides alike, so both read one table.
 */
export interface AwsErrorCase {
  what: string;
  error: Error;
  kind: AwsErrorKind;
}

function serviceError(name: string, fault: "client" | "server" | undefined, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from the service`), {
    name,
    ...(fault ? { $fault: fault } : {}),
    // The SDK's retry middleware records its attempts on every error, service answer or not.
    $metadata: { attempts: 3, ...(status === undefined ? {} : { httpStatusCode: status }) },
    ...extra,
  });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code, $metadata: { attempts: 3 } });
}

export const AWS_ERROR_CASES: AwsErrorCase[] = [
  { what: "ThrottlingException (400, client fault)", error: serviceError("ThrottlingException", "client", 400), kind: "throttling" },
  { what: "an unknown name the SDK marks $retryable.throttling", error: serviceError("RateCapped", "client", 400, { $retryable: { throttling: true } }), kind: "throttling" },
  { what: "HTTP 429 under any name", error: serviceError("TooManyRequests", "client", 429), kind: "throttling" },
  { what: "Transcribe's LimitExceededException", error: serviceError("LimitExceededException", "client", 400), kind: "throttling" },
  { what: "ServiceQuotaExceededException (A2I loops, Bedrock tokens)", error: serviceError("ServiceQuotaExceededException", "client", 400), kind: "throttling" },
  { what: "TooManyRequestsException", error: serviceError("TooManyRequestsException", "client", 400), kind: "throttling" },
  { what: "ProvisionedThroughputExceededException", error: serviceError("ProvisionedThroughputExceededException", "client", 400), kind: "throttling" },
  { what: "S3 SlowDown (503)", error: serviceError("SlowDown", "server", 503), kind: "throttling" },
  { what: "InternalServerException (500)", error: serviceError("InternalServerException", "server", 500), kind: "transient" },
  { what: "ServiceUnavailableException (503)", error: serviceError("ServiceUnavailableException", "server", 503), kind: "transient" },
  { what: "an unknown server fault without a status", error: serviceError("SomethingBroke", "server", undefined), kind: "transient" },
  { what: "HTTP 502 without a fault", error: serviceError("BadGateway", undefined, 502), kind: "transient" },
  { what: "an unknown name the SDK marks $retryable", error: serviceError("ModelStreamErrorException", "client", 424, { $retryable: {} }), kind: "transient" },
  { what: "Bedrock ModelNotReadyException", error: serviceError("ModelNotReadyException", "client", 429), kind: "throttling" },
  { what: "Bedrock ModelTimeoutException (408)", error: serviceError("ModelTimeoutException", "client", 408), kind: "transient" },
  { what: "DynamoDB TransactionConflictException", error: serviceError("TransactionConflictException", "client", 400), kind: "transient" },
  { what: "S3 RequestTimeout (400)", error: serviceError("RequestTimeout", "client", 400), kind: "transient" },
  { what: "the SDK's TimeoutError (no answer)", error: serviceError("TimeoutError", undefined, undefined), kind: "transient" },
  { what: "a socket reset (ECONNRESET)", error: socketError("ECONNRESET"), kind: "network" },
  { what: "a DNS failure that passes (EAI_AGAIN)", error: socketError("EAI_AGAIN"), kind: "network" },
  { what: "a plain Error with neither status nor fault", error: new Error("socket hang up"), kind: "network" },
  { what: "AccessDeniedException (403)", error: serviceError("AccessDeniedException", "client", 403), kind: "refused" },
  { what: "ValidationException (400)", error: serviceError("ValidationException", "client", 400), kind: "refused" },
  { what: "ResourceNotFoundException (400)", error: serviceError("ResourceNotFoundException", "client", 400), kind: "refused" },
  { what: "an unknown client fault (BadRequestException)", error: serviceError("BadRequestException", "client", 400), kind: "refused" },
  { what: "S3 AccessDenied (403, no fault)", error: serviceError("AccessDenied", undefined, 403), kind: "refused" },
  { what: "S3 PermanentRedirect (301)", error: serviceError("PermanentRedirect", "client", 301), kind: "refused" },
];
