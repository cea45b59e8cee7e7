import { NonRetryableError } from "@media-pipeline/core";

/** The function's environment is missing or malformed: a deployment mistake, never retried away. */
export class ConfigurationError extends NonRetryableError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    super(message, options);
    this.issues = issues;
  }
}
