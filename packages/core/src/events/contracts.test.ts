import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Rejection } from "../results/common.js";
import { AudioResult, ModerationLabel, ModerationSegment, ProbeResult } from "../results/documents.js";
import { AnalysisStatus, RejectedReport, Report, StageReportStatus } from "../results/report.js";
import { DecidedBy, ReviewDecision, ReviewSegment, ReviewSummary, SegmentOutcome, SegmentVerdict } from "../review/contract.js";
import { catalog } from "./catalog.js";

/*
 * A contract declared once: an event that carries a stage result or the review decision is built from
 * that schema, so the event accepts what the contract accepts and the two cannot drift apart.
 */

const detail = <T extends keyof typeof catalog>(type: T) => catalog[type].detail.shape as Record<string, z.ZodType>;
const element = (schema: z.ZodType) => (schema as z.ZodArray<z.ZodType>).element;
const base = { version: 1, mediaId: "01jd8x7k2m4n6p8q0r2s4t6v8w", correlationId: "01jd8x7k2m4n6p8q0r2s4t6v8w" };

describe("one schema per contract", () => {
  const decision = {
    taskId: "01jd8x7k2m4n6p8q0r2s4t6v8w-review", verdict: "approved", reviewer: "alice", decidedAt: "2026-11-20T11:00:00.000Z",
    segments: [{ index: 0, outcome: "false-positive" }],
  };
  it.each([
    ["a plain decision", decision],
    ["a reviewer name over 200 characters", { ...decision, reviewer: "a".repeat(201) }],
    ["an empty wrong-category answer", { ...decision, segments: [{ index: 0, outcome: "wrong-category", category: "" }] }],
    ["a category over 200 characters", { ...decision, segments: [{ index: 0, outcome: "wrong-category", category: "c".repeat(201) }] }],
    ["an outcome nobody declared", { ...decision, segments: [{ index: 0, outcome: "unsure" }] }],
  ])("Review Completed accepts %s exactly when the review decision does", (_, d) => {
    const event = catalog["Review Completed"].detail.safeParse({ ...base, ...d, segmentCount: d.segments.length });
    expect(event.success).toBe(ReviewDecision.safeParse(d).success);
  });

  it("builds Review Completed from the review decision, its answers from SegmentVerdict", () => {
    for (const key of ["taskId", "verdict", "reviewer", "decidedAt", "comment"] as const) {
      expect(detail("Review Completed")[key], key).toBe(ReviewDecision.shape[key]);
    }
    expect(element(detail("Review Completed").segments!)).toBe(SegmentVerdict);
    expect(SegmentVerdict.shape.outcome).toBe(SegmentOutcome);
  });

  it("builds Audio Extracted from AudioResult, field for field", () => {
    for (const [key, schema] of Object.entries(AudioResult.shape)) expect(detail("Audio Extracted")[key], key).toBe(schema);
  });

  it("builds Media Probed from ProbeResult, bounding only the streams a detail carries", () => {
    for (const key of ["kind", "durationMs", "sizeBytes", "container", "hasVideo", "hasAudio", "engine", "video"] as const) {
      expect(detail("Media Probed")[key], key).toBe(ProbeResult.shape[key]);
    }
    expect(element(detail("Media Probed").streams!)).toBe(element(ProbeResult.shape.streams));
  });

  it("takes Media Rejected's and the rejected report's reason and message from one Rejection", () => {
    expect(detail("Media Rejected").reason).toBe(Rejection.shape.reason);
    expect(detail("Media Rejected").message).toBe(Rejection.shape.message);
    expect(RejectedReport.shape.rejection).toBe(Rejection);
  });

  it("builds Moderation Completed's evidence and Review Requested's segments from the documents' segments", () => {
    expect(element(detail("Moderation Completed").topCategories!)).toBe(ModerationLabel);
    const segment = element(detail("Moderation Completed").segments!) as z.ZodObject;
    for (const [key, schema] of Object.entries(ModerationSegment.shape)) if (key !== "frames") expect(segment.shape[key], key).toBe(schema);
    const summary = element(detail("Review Requested").segments!) as z.ZodObject;
    for (const [key, schema] of Object.entries(summary.shape)) expect(schema, key).toBe(ReviewSegment.shape[key as keyof typeof ReviewSegment.shape]);
  });

  it("gives Analysis Completed and the report one status, review and decision vocabulary", () => {
    expect(detail("Analysis Completed").status).toBe(AnalysisStatus);
    expect(Report.shape.status).toBe(AnalysisStatus);
    expect(detail("Analysis Completed").decidedBy).toBe(DecidedBy);
    expect(Report.shape.decision.shape.by).toBe(DecidedBy);
    expect(detail("Analysis Completed").review).toBe(ReviewSummary);
    for (const [key, schema] of Object.entries(ReviewSummary.shape)) expect(Report.shape.review.shape[key as keyof typeof ReviewSummary.shape], key).toBe(schema);
    expect((detail("Analysis Completed").stages as z.ZodRecord).valueType).toBe(StageReportStatus);
    expect(Report.shape.stages.valueType.shape.status).toBe(StageReportStatus);
    const answer = element(Report.shape.moderation.shape.labels).shape.review.unwrap();
    expect(answer.shape.outcome).toBe(SegmentOutcome);
  });
});
