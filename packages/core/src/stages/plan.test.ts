import { describe, expect, it } from "vitest";
import { allSettled, byStage, isSettled, planStages, stageOutcome, SUMMARY_INPUTS } from "./plan.js";
import type { StageRecord } from "../ports.js";

const rec = (stage: StageRecord["stage"], status: StageRecord["status"], facts?: Record<string, unknown>): StageRecord => ({
  stage, status, attempts: 1, ...(facts ? { output: { events: [], facts } } : {}),
});

describe("planStages", () => {
  it("plans every stage for video with audio", () => {
    expect(planStages({ kind: "video", hasAudio: true })).toEqual([
      "probe", "extract-audio", "transcribe", "make-captions", "detect-shots", "detect-labels", "moderate", "detect-text", "request-review",
      "summarize-scenes", "summarize-media", "complete-analysis",
    ]);
  });
  it("leaves out audio stages for silent video and vision stages for audio", () => {
    expect(planStages({ kind: "video", hasAudio: false })).not.toContain("transcribe");
    expect(planStages({ kind: "video", hasAudio: false })).not.toContain("make-captions");
    expect(planStages({ kind: "audio", hasAudio: true })).not.toContain("detect-shots");
    expect(planStages({ kind: "audio", hasAudio: true })).not.toContain("detect-text");
  });
});

describe("join settlement", () => {
  const plan = planStages({ kind: "video", hasAudio: true });

  it("waits for every planned summary input", () => {
    const r = byStage([rec("detect-shots", "done"), rec("detect-labels", "done")]);
    expect(allSettled(plan, SUMMARY_INPUTS, r)).toBe(false);
    r.transcribe = rec("transcribe", "done");
    expect(allSettled(plan, SUMMARY_INPUTS, r)).toBe(false);
    r["detect-text"] = rec("detect-text", "done");
    expect(allSettled(plan, SUMMARY_INPUTS, r)).toBe(true);
  });

  it("counts transcription as settled (failed) when audio extraction failed, so the join does not hang", () => {
    const r = byStage([rec("extract-audio", "failed"), rec("detect-shots", "done"), rec("detect-labels", "done")]);
    expect(isSettled("transcribe", r)).toBe(true);
    expect(stageOutcome("transcribe", plan, r)).toBe("failed");
  });

  it("owes a review only when moderation decided review", () => {
    expect(isSettled("request-review", byStage([]))).toBe(false);
    expect(isSettled("request-review", byStage([rec("moderate", "done", { decision: "clean" })]))).toBe(true);
    expect(isSettled("request-review", byStage([rec("moderate", "done", { decision: "review" })]))).toBe(false);
    expect(stageOutcome("request-review", plan, byStage([rec("moderate", "done", { decision: "clean" })]))).toBe("skipped");
  });

  it("never counts a running stage as settled", () => {
    expect(isSettled("detect-shots", byStage([rec("detect-shots", "running")]))).toBe(false);
  });
});
