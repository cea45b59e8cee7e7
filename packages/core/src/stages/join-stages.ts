import { NonRetryableError } from "../errors.js";
import { buildReport } from "../policy/report.js";
import { buildScenes } from "../policy/scenes.js";
import type { BlobStore, ReviewQueue, SceneSummarizer, StageRecord } from "../ports.js";
import { buildReviewTask, reviewTaskId, ReviewTask, type ReviewOutcome, type SegmentVerdict } from "../review/contract.js";
import { loadReviewOutcome, reviewTaskRef } from "../review/record.js";
import type { ObjectRef, EngineInfo } from "../results/common.js";
import {
  ModerationDocument,
  type AnalysisInput, type LabelsDocument, type MediaSummaryDocument, type ProbeResult, type ScenesDocument, type ShotsDocument,
  type TextDocument, type TranscriptDocument,
} from "../results/documents.js";
import type { Report } from "../results/report.js";
import { StageName } from "../stage-names.js";
import { allSettled, byStage, stageOutcome, SUMMARY_INPUTS, type Records } from "./plan.js";
import { derivedRef, expectEvent, type StageHandler } from "./common.js";
import { runOnce, type StageDeps, type WorkResult } from "./run-once.js";

interface ProbeFacts { ref: ObjectRef; plan: StageName[]; filename?: string; source: ObjectRef; durationMs: number }

function probeFacts(records: Records): ProbeFacts | undefined {
  const probe = records.probe;
  if (probe?.status !== "done" || !probe.output?.facts?.plan) return undefined;
  return probe.output.facts as unknown as ProbeFacts;
}

/** Loads a done stage's document, or undefined when the stage did not produce one. */
async function load<T>(blobs: BlobStore, rec: StageRecord | undefined): Promise<T | undefined> {
  const ref = rec?.status === "done" ? (rec.output?.facts?.ref as ObjectRef | undefined) : undefined;
  return ref ? blobs.getJson<T>(ref) : undefined;
}

/**
 * summarize-scenes: a join. Every arrival of a summary input checks whether all the inputs this media
 * planned have settled; the state store's conditional start makes it fire exactly once.
 * @example const summarize = createSummarizeScenes({ state, publish, blobs, summarizer })
 */
export function createSummarizeScenes(deps: StageDeps & { blobs: BlobStore; summarizer: SceneSummarizer }): StageHandler {
  return async (event, ctx) => {
    const { mediaId, correlationId } = event.detail;
    const records = byStage(await deps.state.list(mediaId));
    const probe = probeFacts(records);
    if (!probe || !allSettled(probe.plan, SUMMARY_INPUTS, records)) return;
    await runOnce(deps, {
      mediaId, correlationId, stage: "summarize-scenes", trigger: event["detail-type"], ctx,
      work: async () => {
        const [shots, labels, transcript, moderation] = await Promise.all([
          load<ShotsDocument>(deps.blobs, records["detect-shots"]),
          load<LabelsDocument>(deps.blobs, records["detect-labels"]),
          load<TranscriptDocument>(deps.blobs, records.transcribe),
          load<ModerationDocument>(deps.blobs, records.moderate),
        ]);
        const inputs = buildScenes({ durationMs: probe.durationMs, shots, labels, transcript, moderation });
        const doc: ScenesDocument = await deps.summarizer.summarize(inputs);
        const ref = derivedRef(probe.source, mediaId, "scenes.json");
        await deps.blobs.putJson(ref, doc);
        return {
          emit: [{ type: "Scenes Summarized", detail: { scenes: ref, sceneCount: doc.scenes.length, engine: doc.engine } }],
          facts: { ref, engine: doc.engine },
        };
      },
    });
  };
}

/**
 * request-review: `Moderation Completed` (decision review) → the review task (stored beside the other
 * documents, then opened on the queue) → `Review Requested`. It does not wait for the verdict: the
 * first report shows the review pending, and finalize-analysis writes the final one.
 * @example const review = createRequestReview({ state, publish, blobs, queue, now: () => new Date() })
 */
export function createRequestReview(deps: StageDeps & { queue: ReviewQueue; blobs: BlobStore; now: () => Date }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "request-review", "Moderation Completed");
    const { mediaId, correlationId, moderation } = event.detail;
    const records = byStage(await deps.state.list(mediaId));
    const probe = probeFacts(records);
    await runOnce(deps, {
      mediaId, correlationId, stage: "request-review", trigger: "Moderation Completed", ctx,
      work: async () => {
        // Moderation only runs on probed media, so missing probe facts mean a broken state store.
        if (!probe) throw new NonRetryableError(`No probe result recorded for ${mediaId}; cannot open a review task`);
        const doc = ModerationDocument.safeParse(await deps.blobs.getJson(moderation));
        if (!doc.success) {
          throw new NonRetryableError(`${moderation.key} is not a moderation document: ${doc.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
        }
        const taskId = reviewTaskId(mediaId);
        const taskRef = reviewTaskRef(probe.source, mediaId);
        // A retry after a crash reuses the stored task, so the queue sees the same input twice.
        const stored = (await deps.blobs.size(taskRef)) !== undefined ? ReviewTask.safeParse(await deps.blobs.getJson(taskRef)) : undefined;
        const task = stored?.success
          ? stored.data
          : buildReviewTask({ taskId, mediaId, source: probe.source, moderationRef: moderation, moderation: doc.data, createdAt: deps.now() });
        if (!stored?.success) await deps.blobs.putJson(taskRef, task);
        await deps.queue.open(task);
        const segments = task.segments.slice(0, 100).map((s) => ({
          index: s.index, startMs: s.startMs, endMs: s.endMs, category: s.category, name: s.name, confidence: s.confidence, decision: s.decision,
        }));
        return {
          emit: [{
            type: "Review Requested",
            detail: { taskId, moderation, task: taskRef, segmentCount: task.segments.length, segments, modelDecision: task.modelDecision },
          }],
          facts: { taskId, task: taskRef },
        };
      },
    });
  };
}

function durationOf(rec: StageRecord | undefined): number | null {
  if (!rec?.startedAt || !rec.finishedAt) return null;
  return Math.max(0, Date.parse(rec.finishedAt) - Date.parse(rec.startedAt));
}

type ReportDeps = StageDeps & { blobs: BlobStore; keyframeUri: (ref: ObjectRef) => string; now: () => Date };

/** The review's state for the report: not asked, pending, decided or ended without a verdict. */
function reviewState(records: Records, outcome: ReviewOutcome | undefined): { review: Report["review"]; verdicts?: SegmentVerdict[] } {
  const reviewRec = records["request-review"];
  const taskId = reviewRec?.status === "done" ? String(reviewRec.output?.facts?.taskId) : undefined;
  if (outcome?.status === "decided") {
    const d = outcome.decision;
    return {
      review: { status: d.verdict, taskId: d.taskId, reviewer: d.reviewer, decidedAt: d.decidedAt, ...(d.comment ? { comment: d.comment } : {}) },
      verdicts: d.segments,
    };
  }
  if (outcome?.status === "failed") return { review: { status: "failed", taskId: outcome.taskId, reason: outcome.reason } };
  if (taskId) return { review: { status: "pending", taskId } };
  if (reviewRec?.status === "failed") return { review: { status: "failed", ...(reviewRec.error ? { reason: reviewRec.error.message } : {}) } };
  return { review: { status: "not-required" } };
}

/**
 * Builds and stores the report from every stage's document and the review's outcome, and returns the
 * `Analysis Completed` to emit. complete-analysis and finalize-analysis share it, so the final report
 * differs from the first only in what the review added.
 */
async function writeReport(deps: ReportDeps, mediaId: string, probe: ProbeFacts, records: Records, outcome: ReviewOutcome | undefined): Promise<WorkResult> {
  const [probeDoc, shots, labels, moderation, transcript, scenes, text, summary] = await Promise.all([
    load<ProbeResult>(deps.blobs, records.probe),
    load<ShotsDocument>(deps.blobs, records["detect-shots"]),
    load<LabelsDocument>(deps.blobs, records["detect-labels"]),
    load<ModerationDocument>(deps.blobs, records.moderate),
    load<TranscriptDocument>(deps.blobs, records.transcribe),
    load<ScenesDocument>(deps.blobs, records["summarize-scenes"]),
    load<TextDocument>(deps.blobs, records["detect-text"]),
    load<MediaSummaryDocument>(deps.blobs, records["summarize-media"]),
  ]);
  const captionFacts = records["make-captions"]?.status === "done" ? records["make-captions"].output?.facts : undefined;
  const captions = captionFacts?.vtt
    ? { vtt: captionFacts.vtt as ObjectRef, srt: captionFacts.srt as ObjectRef, cueCount: Number(captionFacts.cueCount ?? 0), ...(captionFacts.note ? { note: String(captionFacts.note) } : {}) }
    : undefined;
  const stages: Report["stages"] = {};
  for (const stage of StageName.options) {
    if (stage === "complete-analysis" || stage === "finalize-analysis") continue;
    const rec = records[stage];
    stages[stage] = {
      status: stageOutcome(stage, probe.plan, records),
      durationMs: durationOf(rec),
      engine: (rec?.output?.facts?.engine as EngineInfo | undefined) ?? null,
      ...(rec?.error ? { error: `${rec.error.name}: ${rec.error.message}` } : {}),
      ...(rec?.output?.facts?.analysis ? { analysis: rec.output.facts.analysis as AnalysisInput } : {}),
    };
  }
  const { review, verdicts } = reviewState(records, outcome);
  const report = buildReport({
    mediaId, filename: probe.filename, generatedAt: deps.now(), probe: probeDoc!, shots, labels, moderation,
    transcript, scenes, text, captions, summary, review, stages, keyframeUri: deps.keyframeUri, ...(verdicts ? { segmentVerdicts: verdicts } : {}),
  });
  const ref = derivedRef(probe.source, mediaId, "report.json");
  await deps.blobs.putJson(ref, report);
  const stageStatus: Record<string, "done" | "failed" | "skipped" | "pending"> = {};
  for (const [k, v] of Object.entries(stages)) stageStatus[k] = v.status;
  const { reviewer, decidedAt, taskId } = review;
  return {
    emit: [{
      type: "Analysis Completed",
      detail: {
        report: ref, status: report.status, decision: report.decision.value, decidedBy: report.decision.by,
        modelDecision: moderation?.decision ?? null,
        review: { status: review.status, ...(taskId ? { taskId } : {}), ...(reviewer ? { reviewer } : {}), ...(decidedAt ? { decidedAt } : {}) },
        final: review.status !== "pending", stages: stageStatus, durationMs: probe.durationMs,
      },
    }],
    facts: { ref, reviewStatus: review.status },
  };
}

/**
 * complete-analysis: a join over every planned stage; writes the report and emits `Analysis Completed`.
 * A review never holds it up: while one is open the report says pending and `final` is false.
 * @example const complete = createCompleteAnalysis({ state, publish, blobs, keyframeUri: (r) => r.key, now: () => new Date() })
 */
export function createCompleteAnalysis(deps: ReportDeps): StageHandler {
  return async (event, ctx) => {
    const { mediaId, correlationId } = event.detail;
    const records = byStage(await deps.state.list(mediaId));
    const probe = probeFacts(records);
    if (!probe) return;
    const owed = probe.plan.filter((s) => s !== "complete-analysis");
    if (!allSettled(probe.plan, owed, records)) return;
    await runOnce(deps, {
      mediaId, correlationId, stage: "complete-analysis", trigger: event["detail-type"], ctx,
      // The outcome is read inside the run: a verdict that landed before it is in the first report.
      work: async () => writeReport(deps, mediaId, probe, records, await loadReviewOutcome(deps.blobs, probe.source, mediaId)),
    });
  };
}

/**
 * finalize-analysis: the second, final `Analysis Completed` once a pending review has ended.
 *
 * It needs both the first report (complete-analysis done with review pending) and the review outcome
 * (review.json, written before `Review Completed` or the review's `Stage Failed` is published), and it
 * is triggered by either arriving. Whichever comes second finds the other: if the verdict lands while
 * complete-analysis runs, either complete-analysis read it (its report is already final, so nothing
 * is left to do here) or its pending `Analysis Completed` triggers this stage, which then reads it.
 * @example const finalize = createFinalizeAnalysis({ state, publish, blobs, keyframeUri: (r) => r.key, now: () => new Date() })
 */
export function createFinalizeAnalysis(deps: ReportDeps): StageHandler {
  return async (event, ctx) => {
    const { mediaId, correlationId } = event.detail;
    const records = byStage(await deps.state.list(mediaId));
    const probe = probeFacts(records);
    const first = records["complete-analysis"];
    if (!probe || first?.status !== "done" || first.output?.facts?.reviewStatus !== "pending") return;
    const outcome = await loadReviewOutcome(deps.blobs, probe.source, mediaId);
    if (!outcome) return;
    // Re-read: a stage can have settled late (a retried branch) since the first report.
    await runOnce(deps, {
      mediaId, correlationId, stage: "finalize-analysis", trigger: event["detail-type"], ctx,
      work: async () => writeReport(deps, mediaId, probe, byStage(await deps.state.list(mediaId)), outcome),
    });
  };
}
