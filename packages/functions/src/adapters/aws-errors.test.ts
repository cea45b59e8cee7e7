import { AccessDeniedException, ModelNotReadyException, ThrottlingException } from "@aws-sdk/client-bedrock-runtime";
import { InvalidS3ObjectException } from "@aws-sdk/client-rekognition";
import { NonRetryableError, RetryableError } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { AWS_ERROR_CASES } from "../../test-support/aws-error-cases.js";
import { awsErrorKind, isTransientAwsError } from "./aws-errors.js";

describe("the AWS error classifier", () => {
  it.each(AWS_ERROR_CASES.map((c) => [c.what, c] as const))("classifies %s", (_, c) => {
    expect(awsErrorKind(c.error)).toBe(c.kind);
    expect(isTransientAwsError(c.error)).toBe(c.kind !== "refused");
  });

  it("reads the SDK's own exception classes as the table does", () => {
    const meta = { $metadata: { httpStatusCode: 400 } };
    expect(awsErrorKind(new ThrottlingException({ message: "Rate exceeded", ...meta }))).toBe("throttling");
    expect(awsErrorKind(new ModelNotReadyException({ message: "Loading", $metadata: { httpStatusCode: 429 } }))).toBe("throttling");
    expect(awsErrorKind(new AccessDeniedException({ message: "no", $metadata: { httpStatusCode: 403 } }))).toBe("refused");
    expect(awsErrorKind(new InvalidS3ObjectException({ message: "Unable to get object metadata from S3", ...meta }))).toBe("refused");
  });

  it("keeps the answer of an error an adapter already classified", () => {
    expect(isTransientAwsError(new RetryableError("busy"))).toBe(true);
    expect(isTransientAwsError(new NonRetryableError("refused", { cause: Object.assign(new Error("x"), { $fault: "server" }) }))).toBe(false);
  });

  it("retries what is not an object at all, as core's isRetryable does", () => {
    expect(awsErrorKind("boom")).toBe("network");
    expect(awsErrorKind(undefined)).toBe("network");
  });
});
