import { NonRetryableError } from "@media-pipeline/core";

/**
 * Where the missing pieces are tracked, so that an operator reading a Lambda error or a dead-letter
 * message knows it is planned work and not a regression.
 */
export const CLOUD_ADAPTERS_ISSUE =
  "the cloud-wiring issue (AWS adapters for S3, DynamoDB, Rekognition, Transcribe, Bedrock and A2I)";

/**
 * A stage whose Lambda is deployed and wired but whose AWS adapters do not exist yet. Thrown after the
 * event has been validated, so the wiring (rule, pattern, target, dead-letter queue) can be exercised
 * end to end while the stage itself refuses plainly instead of pretending to succeed.
 */
export class NotImplementedError extends NonRetryableError {
  readonly stage: string;
  constructor(stage: string) {
    super(`The "${stage}" stage has no AWS adapters yet; they land with ${CLOUD_ADAPTERS_ISSUE}.`);
    this.stage = stage;
  }
}

/** The function's environment is missing or malformed: a deployment mistake, never retried away. */
export class ConfigurationError extends NonRetryableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[]) {
    super(message);
    this.issues = issues;
  }
}
