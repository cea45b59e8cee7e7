import { NonRetryableError } from "../errors.js";
import { buildReport } from "../policy/report.js";
import { buildScenes } from "../policy/scenes.js";
import type { BlobStore, ReviewQueue, SceneSummarizer, StageRecord } from "../ports.js";
import type { ObjectRef, EngineInfo } from "../results/common.js";
import type {
  LabelsDocument, ModerationDocument, ProbeResult, ScenesDocument, ShotsDocument, TranscriptDocument,
} from "../results/documents.js";
import type { Report } from "../results/report.js";
import { StageName } from "../stage-names.js";
import { allSettled, byStage, stageOutcome, SUMMARY_INPUTS, type Records } from "./plan.js";
import { derivedRef, expectEvent, type StageHandler } from "./common.js";
import { runOnce, type StageDeps } from "./run-once.js";

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

/** The deterministic review task id: one per media, within A2I's HumanLoopName rules. */
export function reviewTaskId(mediaId: string): string {
  return `${mediaId}-review`;
}

/**
 * request-review: `Moderation Completed` (decision review) → a review task → `Review Requested`.
 * @example const review = createRequestReview({ state, publish, queue })
 */
export function createRequestReview(deps: StageDeps & { queue: ReviewQueue }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "request-review", "Moderation Completed");
    const { mediaId, correlationId, moderation, segmentCount } = event.detail;
    const records = byStage(await deps.state.list(mediaId));
    const probe = probeFacts(records);
    await runOnce(deps, {
      mediaId, correlationId, stage: "request-review", trigger: "Moderation Completed", ctx,
      work: async () => {
        // Moderation only runs on probed media, so missing probe facts mean a broken state store.
        if (!probe) throw new NonRetryableError(`No probe result recorded for ${mediaId}; cannot open a review task`);
        const taskId = reviewTaskId(mediaId);
        await deps.queue.open({ taskId, mediaId, source: probe.source, moderation });
        return { emit: [{ type: "Review Requested", detail: { taskId, moderation, segmentCount } }], facts: { taskId } };
      },
    });
  };
}

function durationOf(rec: StageRecord | undefined): number | null {
  if (!rec?.startedAt || !rec.finishedAt) return null;
  return Math.max(0, Date.parse(rec.finishedAt) - Date.parse(rec.startedAt));
}

/**
 * complete-analysis: a join over every planned stage; writes the report and emits `Analysis Completed`.
 * @example const complete = createCompleteAnalysis({ state, publish, blobs, keyframeUri: (r) => r.key, now: () => new Date() })
 */
export function createCompleteAnalysis(
  deps: StageDeps & { blobs: BlobStore; keyframeUri: (ref: ObjectRef) => string; now: () => Date },
): StageHandler {
  return async (event, ctx) => {
    const { mediaId, correlationId } = event.detail;
    const records = byStage(await deps.state.list(mediaId));
    const probe = probeFacts(records);
    if (!probe) return;
    const owed = probe.plan.filter((s) => s !== "complete-analysis");
    if (!allSettled(probe.plan, owed, records)) return;
    await runOnce(deps, {
      mediaId, correlationId, stage: "complete-analysis", trigger: event["detail-type"], ctx,
      work: async () => {
        const [probeDoc, shots, labels, moderation, transcript, scenes] = await Promise.all([
          load<ProbeResult>(deps.blobs, records.probe),
          load<ShotsDocument>(deps.blobs, records["detect-shots"]),
          load<LabelsDocument>(deps.blobs, records["detect-labels"]),
          load<ModerationDocument>(deps.blobs, records.moderate),
          load<TranscriptDocument>(deps.blobs, records.transcribe),
          load<ScenesDocument>(deps.blobs, records["summarize-scenes"]),
        ]);
        const stages: Report["stages"] = {};
        for (const stage of StageName.options) {
          if (stage === "complete-analysis") continue;
          const rec = records[stage];
          stages[stage] = {
            status: stageOutcome(stage, probe.plan, records),
            durationMs: durationOf(rec),
            engine: (rec?.output?.facts?.engine as EngineInfo | undefined) ?? null,
            ...(rec?.error ? { error: `${rec.error.name}: ${rec.error.message}` } : {}),
          };
        }
        const reviewRec = records["request-review"];
        const review: Report["review"] =
          reviewRec?.status === "done"
            ? { status: "pending", taskId: String(reviewRec.output?.facts?.taskId) }
            : reviewRec?.status === "failed" ? { status: "failed" } : { status: "not-required" };
        const report = buildReport({
          mediaId, filename: probe.filename, generatedAt: deps.now(), probe: probeDoc!, shots, labels, moderation,
          transcript, scenes, review, stages, keyframeUri: deps.keyframeUri,
        });
        const ref = derivedRef(probe.source, mediaId, "report.json");
        await deps.blobs.putJson(ref, report);
        const stageStatus: Record<string, "done" | "failed" | "skipped" | "pending"> = {};
        for (const [k, v] of Object.entries(stages)) stageStatus[k] = v.status;
        return {
          emit: [{
            type: "Analysis Completed",
            detail: {
              report: ref, status: report.status, decision: moderation?.decision ?? null, review: { status: review.status },
              stages: stageStatus, durationMs: probe.durationMs,
            },
          }],
          facts: { ref },
        };
      },
    });
  };
}
