import { readFileSync } from "node:fs";
import { EventValidationError } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { parseA2iStatusEvent } from "./status-event.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as Record<string, any>;
// The fixtures' loops run on `media-review`; ours here are every `media-review…` flow definition.
const ours = { flowDefinitionArnPrefix: "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review" };

describe("parseA2iStatusEvent", () => {
  it("reads a Completed loop with its output location", () => {
    expect(parseA2iStatusEvent(fixture("status-change-completed"), ours)).toEqual({
      humanLoopName: "01jd8x7k2m4n6p8q0r2s4t6v8w-review",
      flowDefinitionArn: "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review",
      humanLoopArn: "arn:aws:sagemaker:us-east-1:111122223333:human-loop/01jd8x7k2m4n6p8q0r2s4t6v8w-review",
      status: "Completed",
      time: "2026-11-20T11:00:00Z",
      outputS3Uri: "s3://review-bucket/media-review/2026/11/20/10/30/00/01jd8x7k2m4n6p8q0r2s4t6v8w-review/output.json",
      outputRef: { bucket: "review-bucket", key: "media-review/2026/11/20/10/30/00/01jd8x7k2m4n6p8q0r2s4t6v8w-review/output.json" },
    });
  });

  it("reads a Failed loop with its reason", () => {
    expect(parseA2iStatusEvent(fixture("status-change-failed"), ours)).toMatchObject({
      status: "Failed", failureReason: "No worker completed the task before it expired.", failureCode: "TaskExpired",
    });
  });

  it("ignores a loop of another flow definition", () => {
    const event = fixture("status-change-completed");
    event.detail.flowDefinitionArn = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/someone-else";
    expect(parseA2iStatusEvent(event, ours)).toBeUndefined();
    // Another region or account with the same name is not ours either.
    event.detail.flowDefinitionArn = "arn:aws:sagemaker:eu-west-1:111122223333:flow-definition/media-review";
    expect(parseA2iStatusEvent(event, ours)).toBeUndefined();
  });

  it("matches one flow definition exactly when given its ARN rather than a prefix", () => {
    const event = fixture("status-change-completed");
    const exact = { flowDefinitionArn: event.detail.flowDefinitionArn as string };
    expect(parseA2iStatusEvent(event, exact)).toMatchObject({ status: "Completed" });
    event.detail.flowDefinitionArn = `${exact.flowDefinitionArn}-0123456789`;
    expect(parseA2iStatusEvent(event, exact)).toBeUndefined();
  });

  it("reads a loop of an older flow definition of ours (one a deploy replaced)", () => {
    const event = fixture("status-change-completed");
    event.detail.flowDefinitionArn = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review-0123456789";
    expect(parseA2iStatusEvent(event, ours)).toMatchObject({ status: "Completed", flowDefinitionArn: event.detail.flowDefinitionArn });
  });

  it("refuses an event that is not the documented shape", () => {
    const event = fixture("status-change-completed");
    event.detail.humanLoopStatus = "Done";
    expect(() => parseA2iStatusEvent(event, ours)).toThrow(EventValidationError);
    expect(() => parseA2iStatusEvent({ ...fixture("status-change-completed"), source: "aws.s3" }, ours)).toThrow(EventValidationError);
  });
});
