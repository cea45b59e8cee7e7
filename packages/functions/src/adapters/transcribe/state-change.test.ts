import { readFileSync } from "node:fs";
import { EventValidationError, isRetryable } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { ForeignTranscriptionJobError } from "./errors.js";
import { parseTranscribeStateChange } from "./state-change.js";

const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";

describe("parseTranscribeStateChange", () => {
  it("reads a completed job's name, status and mediaId", () => {
    expect(parseTranscribeStateChange(fixture("state-change-completed"))).toEqual({
      jobName: `${mediaId}-transcript`,
      mediaId,
      status: "COMPLETED",
    });
  });

  it("carries the failure reason of a failed job", () => {
    expect(parseTranscribeStateChange(fixture("state-change-failed"))).toEqual({
      jobName: `${mediaId}-transcript`,
      mediaId,
      status: "FAILED",
      failureReason: expect.stringContaining("media format"),
    });
  });

  it("refuses a job this pipeline did not name, without retrying", () => {
    const event = fixture("state-change-completed");
    event.detail.TranscriptionJobName = "my-first-transcription-job";

    const error = (() => {
      try {
        parseTranscribeStateChange(event);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ForeignTranscriptionJobError);
    expect(error).toBeInstanceOf(EventValidationError);
    expect(isRetryable(error)).toBe(false);
    expect((error as ForeignTranscriptionJobError).jobName).toBe("my-first-transcription-job");
  });

  it("applies the deployment's job-name prefix", () => {
    const event = fixture("state-change-completed");
    expect(() => parseTranscribeStateChange(event, { jobNamePrefix: "mp-prod-" })).toThrow(ForeignTranscriptionJobError);
    event.detail.TranscriptionJobName = `mp-prod-${mediaId}-transcript`;
    expect(parseTranscribeStateChange(event, { jobNamePrefix: "mp-prod-" }).mediaId).toBe(mediaId);
  });

  it("lists every issue of a malformed event", () => {
    const event = fixture("state-change-completed");
    event.source = "aws.s3";
    event.detail.TranscriptionJobStatus = "IN_PROGRESS";

    try {
      parseTranscribeStateChange(event);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EventValidationError);
      expect(e).not.toBeInstanceOf(ForeignTranscriptionJobError);
      expect((e as EventValidationError).issues).toEqual([
        expect.stringMatching(/^source:/),
        expect.stringMatching(/^detail\.TranscriptionJobStatus:/),
      ]);
    }
  });
});
