import { readFileSync } from "node:fs";
import { EventValidationError } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { parseCompletionMessage } from "./completion.js";
import { ForeignJobTagError } from "./errors.js";

const fixture = (name: string): { Sns: { Message: string } } =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const withMessage = (name: string, change: (m: Record<string, unknown>) => void) => {
  const record = fixture(name);
  const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
  change(message);
  return { ...record, Sns: { ...record.Sns, Message: JSON.stringify(message) } };
};

describe("parseCompletionMessage", () => {
  it("reads a label job's completion from the SNS event record", () => {
    expect(parseCompletionMessage(fixture("sns-label-detection-succeeded"))).toEqual({
      jobId: "f6a5c2d1e0b94a8c7d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
      status: "SUCCEEDED",
      api: "LABEL_DETECTION",
      mediaId,
      kind: "labels",
      video: { bucket: "media-bucket", key: `media/${mediaId}/talk.mp4` },
      completedAt: 1763632800000,
    });
  });

  it("reads a failed moderation job, from the record or from the Message string alone", () => {
    const record = fixture("sns-content-moderation-failed");
    const fromRecord = parseCompletionMessage(record);
    expect(fromRecord).toMatchObject({ status: "FAILED", api: "CONTENT_MODERATION", kind: "moderation", mediaId });
    expect(parseCompletionMessage(record.Sns.Message)).toEqual(fromRecord);
    expect(parseCompletionMessage(JSON.parse(record.Sns.Message))).toEqual(fromRecord);
  });

  it("accepts the operation name as API and normalizes it", () => {
    const record = withMessage("sns-content-moderation-failed", (m) => (m.API = "StartContentModeration"));
    expect(parseCompletionMessage(record).api).toBe("CONTENT_MODERATION");
  });

  it("refuses a job whose JobTag is not ours", () => {
    const error = (() => {
      try {
        return parseCompletionMessage(fixture("sns-foreign-job-tag"));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ForeignJobTagError);
    expect(error).toMatchObject({ retryable: false, jobId: "6de014b0-2121-4bf0-9e31-856a18719e22", jobTag: "thumbnail-batch-2026-11-20" });
  });

  it("refuses a job without a JobTag", () => {
    const record = withMessage("sns-label-detection-succeeded", (m) => delete m.JobTag);
    expect(() => parseCompletionMessage(record)).toThrow(ForeignJobTagError);
  });

  it("refuses an API that contradicts the JobTag", () => {
    const record = withMessage("sns-label-detection-succeeded", (m) => (m.API = "CONTENT_MODERATION"));
    expect(() => parseCompletionMessage(record)).toThrow(EventValidationError);
  });

  it("refuses a malformed message with the issues listed", () => {
    const record = withMessage("sns-label-detection-succeeded", (m) => {
      m.Status = "DONE";
      delete m.Video;
    });
    let error: unknown;
    try {
      parseCompletionMessage(record);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Status: /), expect.stringMatching(/^Video: /)]),
    );
    expect(() => parseCompletionMessage({ Sns: { Message: "not json" } })).toThrow(EventValidationError);
  });
});
