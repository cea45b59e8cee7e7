import type { BlobStore, TranscribeInput, VisionInput } from "../ports.js";
import type { EngineInfo, ObjectRef } from "../results/common.js";
import type { FrameDetections, FrameModeration, FrameText, LabelsDocument, ModerationThresholds } from "../results/documents.js";
import { expectEvent, type StageHandler } from "./common.js";
import { labelsResult, moderationResult, textResult, transcriptResult } from "./results.js";
import { completeOnce, startOnce, type StageContext, type StageDeps } from "./run-once.js";
import { analysisFromRecords, onUploadClock, visionTrigger } from "./video-stages.js";

/*
 * Stages whose engine is an asynchronous cloud job: the trigger starts the job under a deterministic
 * name and the stage stays running; the job's completion notice (SNS for Rekognition, the forwarded
 * state-change event for Transcribe) collects the result through the same builders the local
 * engines use, so documents and events are identical in shape.
 */

/** How long a started job may run before a duplicate trigger may start it again (the job APIs dedupe). */
export const JOB_LEASE_MS = 6 * 3600_000;

/**
 * detect-shots / detect-labels / moderate in the cloud: a video ready for the vision stages (`Media
 * Probed`, or `Video Prepared` with a rendition) → a video job is started on `input.analysis.video`,
 * the upload or the rendition.
 * @example createStartVisionJob({ state, publish, stage: "detect-labels", start: (input) => rekognition.startLabels(input) })
 */
export function createStartVisionJob(
  deps: StageDeps & { stage: "detect-shots" | "detect-labels" | "moderate" | "detect-text"; start: (input: VisionInput & { analysis: NonNullable<VisionInput["analysis"]> }) => Promise<void> },
): StageHandler {
  return async (raw, ctx) => {
    const { mediaId, correlationId, source, durationMs, trigger, analysis } = visionTrigger(raw, deps.stage);
    await startOnce({ ...deps, leaseMs: deps.leaseMs ?? JOB_LEASE_MS }, {
      mediaId, correlationId, stage: deps.stage, trigger, ctx,
      start: () => deps.start({ mediaId, source, durationMs, analysis }),
    });
  };
}

/** What a collected job analysed (the upload or the rendition, and why), from the stage records. */
async function analysisOf(deps: StageDeps, mediaId: string, video: ObjectRef) {
  const records = await deps.state.list(mediaId);
  return analysisFromRecords(Object.fromEntries(records.map((r) => [r.stage, r])), video);
}

/**
 * What a finished job hands back, with the ids its notice carried: the result itself, or `load` to
 * fetch it (paging through a long job's results) as part of the stage's work, under its deadline.
 */
type Collected<T> = { mediaId: string; correlationId: string; source: ObjectRef } & ({ result: T } | { load: (signal: AbortSignal) => Promise<T> });

async function resultOf<T>(job: Collected<T>, signal: AbortSignal): Promise<T> {
  return "load" in job ? job.load(signal) : job.result;
}

/**
 * Collects a finished label job into `Labels Detected`.
 * @example await collectLabels({ mediaId, correlationId, source, load: () => getLabelFrames(client, jobId) }, ctx)
 */
export function createCollectLabels(deps: StageDeps & { blobs: BlobStore }) {
  return async (job: Collected<{ frames: FrameDetections[]; faces?: LabelsDocument["faces"]; engine: EngineInfo }>, ctx: StageContext) =>
    completeOnce(deps, {
      mediaId: job.mediaId, correlationId: job.correlationId, stage: "detect-labels", trigger: "Media Probed", ctx,
      work: async (signal) => {
        const analysis = await analysisOf(deps, job.mediaId, job.source);
        const result = await resultOf(job, signal);
        return labelsResult(deps.blobs, { mediaId: job.mediaId, source: job.source, analysis, ...result, frames: onUploadClock(result.frames, analysis) });
      },
    });
}

/** Collects a finished moderation job into `Moderation Completed`. */
export function createCollectModeration(deps: StageDeps & { blobs: BlobStore; thresholds: ModerationThresholds }) {
  return async (job: Collected<{ frames: FrameModeration[]; engine: EngineInfo }>, ctx: StageContext) =>
    completeOnce(deps, {
      mediaId: job.mediaId, correlationId: job.correlationId, stage: "moderate", trigger: "Media Probed", ctx,
      work: async (signal) => {
        const analysis = await analysisOf(deps, job.mediaId, job.source);
        const result = await resultOf(job, signal);
        return moderationResult(deps.blobs, deps.thresholds, { mediaId: job.mediaId, source: job.source, analysis, ...result, frames: onUploadClock(result.frames, analysis) });
      },
    });
}

/** Collects a finished text detection job into `Text Detected`. */
export function createCollectText(deps: StageDeps & { blobs: BlobStore }) {
  return async (job: Collected<{ frames: FrameText[]; engine: EngineInfo }>, ctx: StageContext) =>
    completeOnce(deps, {
      mediaId: job.mediaId, correlationId: job.correlationId, stage: "detect-text", trigger: "Media Probed", ctx,
      work: async (signal) => {
        const analysis = await analysisOf(deps, job.mediaId, job.source);
        const result = await resultOf(job, signal);
        return textResult(deps.blobs, { mediaId: job.mediaId, source: job.source, analysis, ...result, frames: onUploadClock(result.frames, analysis) });
      },
    });
}

/**
 * transcribe in the cloud: `Audio Extracted` → a transcription job is started.
 * @example createStartTranscription({ state, publish, maxSpeakers: 4, language: "en-US", start: (input) => transcribe.start(input) })
 */
export function createStartTranscription(
  deps: StageDeps & { maxSpeakers: number; language: string; start: (input: TranscribeInput) => Promise<void> },
): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "transcribe", "Audio Extracted");
    const { mediaId, correlationId, audio, durationMs } = event.detail;
    await startOnce({ ...deps, leaseMs: deps.leaseMs ?? JOB_LEASE_MS }, {
      mediaId, correlationId, stage: "transcribe", trigger: "Audio Extracted", ctx,
      start: () => deps.start({ mediaId, audio, durationMs, maxSpeakers: deps.maxSpeakers, language: deps.language }),
    });
  };
}

/** Collects a finished transcription job (its document already parsed) into `Transcript Ready`. */
export function createCollectTranscript(deps: StageDeps & { blobs: BlobStore }) {
  return async (job: { mediaId: string; correlationId: string; audio: ObjectRef; document: unknown }, ctx: StageContext) =>
    completeOnce(deps, {
      mediaId: job.mediaId, correlationId: job.correlationId, stage: "transcribe", trigger: "Audio Extracted", ctx,
      work: () => transcriptResult(deps.blobs, job),
    });
}
