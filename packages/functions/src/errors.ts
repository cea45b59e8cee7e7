import { NonRetryableError } from "@media-pipeline/core";

/**
 * An HTTP API route that is deployed but not built yet (the upload API lands with the upload issue):
 * it answers with this instead of pretending.
 */
export class NotImplementedError extends NonRetryableError {
  readonly feature: string;
  constructor(feature: string) {
    super(`"${feature}" is not implemented yet; the upload API and media status land with the upload issue.`);
    this.feature = feature;
  }
}

/** The function's environment is missing or malformed: a deployment mistake, never retried away. */
export class ConfigurationError extends NonRetryableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    super(message, options);
    this.issues = issues;
  }
}
