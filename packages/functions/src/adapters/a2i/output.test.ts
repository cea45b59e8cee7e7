import { readFileSync } from "node:fs";
import { validateDetail } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { ReviewOutputError } from "./errors.js";
import { parseA2iOutput, REVIEW_ANSWER_FIELDS } from "./output.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as Record<string, any>;
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const taskId = `${mediaId}-review`;

describe("parseA2iOutput", () => {
  it("turns a Completed output document into a valid Review Completed detail", () => {
    const fields = parseA2iOutput(fixture("output-completed"), { taskId });
    expect(fields).toEqual({
      taskId, verdict: "approved", reviewer: "5f2b7c1e-8d3a-4e6f-9b0c-1a2b3c4d5e6f", decidedAt: "2026-11-20T10:59:41.123Z",
      segments: [
        { index: 0, outcome: "false-positive" },
        { index: 1, outcome: "confirmed" },
        { index: 2, outcome: "wrong-category", category: "Food" },
      ],
      comment: "The weapon is a prop umbrella; the drink is juice.",
    });
    expect(() => validateDetail("Review Completed", { version: 1, mediaId, correlationId: mediaId, ...fields })).not.toThrow();
  });

  it("names the worker by workerId when there is no identity", () => {
    const doc = fixture("output-completed");
    delete doc.humanAnswers[0].workerMetadata;
    expect(parseA2iOutput(doc, { taskId }).reviewer).toBe("a1b2c3d4e5f6a7b8");
  });

  it("refuses an answer without a verdict", () => {
    expect(() => parseA2iOutput(fixture("output-no-verdict"), { taskId })).toThrow(ReviewOutputError);
    expect(() => parseA2iOutput(fixture("output-no-verdict"), { taskId })).toThrow(/has no verdict/);
  });

  it("refuses an outcome it does not know and a segment that was not in the task", () => {
    const bad = fixture("output-completed");
    bad.humanAnswers[0].answerContent[REVIEW_ANSWER_FIELDS.segmentOutcome(0)] = "maybe";
    expect(() => parseA2iOutput(bad, { taskId })).toThrow(/"maybe" is not one of/);
    const unknown = fixture("output-completed");
    unknown.humanAnswers[0].answerContent["segment-9-outcome"] = "confirmed";
    expect(() => parseA2iOutput(unknown, { taskId })).toThrow(/segment 9 was not in the task/);
  });

  it("reads the answer of a loop started before the input carried core's task fields", () => {
    const doc = fixture("output-completed");
    const { taskId: id, mediaId: media, mediaUrl, mediaS3Uri, segmentCount, segments, categories, omitted, notes } = doc.inputContent;
    doc.inputContent = JSON.stringify({ taskId: id, mediaId: media, mediaUrl, mediaS3Uri, segmentCount, segments, categories, omitted, notes });
    expect(parseA2iOutput(doc, { taskId })).toEqual(parseA2iOutput(fixture("output-completed"), { taskId }));
    doc.humanAnswers[0].answerContent["segment-7-outcome"] = "confirmed";
    expect(() => parseA2iOutput(doc, { taskId })).toThrow(/segment 7 was not in the task/);
  });

  it("refuses another task's output", () => {
    expect(() => parseA2iOutput(fixture("output-completed"), { taskId: "01jd8x7k2m4n6p8q0r2s4t6v8x-review" })).toThrow(/belongs to task/);
  });

  it("lets a rejection win when several reviewers disagree", () => {
    const doc = fixture("output-completed");
    const second = structuredClone(doc.humanAnswers[0]);
    second.answerContent = { verdict: { label: "rejected" }, "segment-0-outcome": "confirmed" };
    second.submissionTime = "2026-11-20T10:50:00.000Z";
    second.workerMetadata.identityData.sub = "bob";
    doc.humanAnswers.push(second);
    expect(parseA2iOutput(doc, { taskId })).toEqual({
      taskId, verdict: "rejected", reviewer: "bob", decidedAt: "2026-11-20T10:50:00.000Z", segments: [{ index: 0, outcome: "confirmed" }],
    });
  });
});
