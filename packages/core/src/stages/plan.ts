import type { ProbeResult } from "../results/documents.js";
import type { StageRecord } from "../ports.js";
import type { StageName } from "../stage-names.js";

/** The stages a probed media item will go through; video Rekognition cannot read is prepared first. */
export function planStages(probe: Pick<ProbeResult, "kind" | "hasAudio" | "video">): StageName[] {
  const plan: StageName[] = ["probe"];
  if (probe.kind === "video" && probe.video?.rekognitionReady === false) plan.push("prepare-video");
  if (probe.hasAudio) plan.push("extract-audio", "transcribe", "make-captions");
  if (probe.kind === "video") plan.push("detect-shots", "detect-labels", "moderate", "detect-text", "request-review");
  plan.push("summarize-scenes", "summarize-media", "complete-analysis");
  return plan;
}

/** Stages that cannot run when another has failed (their trigger is never emitted). */
const DEPENDS_ON: Partial<Record<StageName, StageName>> = {
  transcribe: "extract-audio",
  "make-captions": "transcribe",
  "summarize-media": "summarize-scenes",
  // Only when planned: a video Rekognition reads as uploaded starts them from `Media Probed`.
  "detect-shots": "prepare-video",
  "detect-labels": "prepare-video",
  moderate: "prepare-video",
  "detect-text": "prepare-video",
};

/** Inputs of the scene summary join. */
export const SUMMARY_INPUTS: readonly StageName[] = ["detect-shots", "detect-labels", "detect-text", "transcribe"];

export type Records = Partial<Record<StageName, StageRecord>>;

export function byStage(records: StageRecord[]): Records {
  const out: Records = {};
  for (const r of records) out[r.stage] = r;
  return out;
}

/** A stage that will never produce output: failed itself, or waits on one that did. */
function isDead(stage: StageName, records: Records): boolean {
  if (records[stage]?.status === "failed") return true;
  const dep = DEPENDS_ON[stage];
  return dep !== undefined && isDead(dep, records);
}

/**
 * Whether a stage has reached its end for this media: done, failed or skipped, or unable to run
 * because what it depends on failed. Review is only owed when moderation asked for it.
 */
export function isSettled(stage: StageName, records: Records): boolean {
  const rec = records[stage];
  if (rec && rec.status !== "running") return true;
  if (isDead(stage, records)) return true;
  if (stage === "request-review") {
    const mod = records.moderate;
    if (!mod) return isDead("moderate", records);
    if (mod.status === "running") return false;
    return mod.status !== "done" || mod.output?.facts?.decision !== "review";
  }
  return false;
}

/** True when every stage in `stages` that is part of the plan has settled. */
export function allSettled(plan: readonly StageName[], stages: readonly StageName[], records: Records): boolean {
  return stages.filter((s) => plan.includes(s)).every((s) => isSettled(s, records));
}

/** The settled status a report shows for a stage. */
export function stageOutcome(stage: StageName, plan: readonly StageName[], records: Records): "done" | "failed" | "skipped" | "pending" {
  if (!plan.includes(stage)) return "skipped";
  const rec = records[stage];
  if (rec?.status === "done" || rec?.status === "failed" || rec?.status === "skipped") return rec.status;
  if (isDead(stage, records)) return "failed";
  if (stage === "request-review" && isSettled(stage, records)) return "skipped";
  return "pending";
}
