import { primaryVideo, rekognitionReadiness } from "../policy/rekognition-input.js";
import type { AnyPipelineEvent, DetailType } from "../events/catalog.js";
import type { BlobStore, VideoPreparer } from "../ports.js";
import type { ObjectRef } from "../results/common.js";
import { ShotsDocument, type AnalysisInput, type ProbeResult } from "../results/documents.js";
import { NonRetryableError } from "../errors.js";
import type { StageName } from "../stage-names.js";
import { derivedRef, expectEvent, type StageHandler } from "./common.js";
import type { Records } from "./plan.js";
import { completeOnce, runOnce, type StageContext, type StageDeps, type WorkResult } from "./run-once.js";

/*
 * Video Rekognition cannot read as uploaded (policy/rekognition-input.ts) goes through prepare-video
 * first, and the vision stages start on what it hands them (`Video Prepared`); the rest start on
 * `Media Probed`. Either way each vision result says what was analysed and why (`analysis`).
 */

/** The rendition's key, beside the other derived documents. */
export const RENDITION_NAME = "rendition.mp4";

/**
 * prepare-video: `Media Probed` (video Rekognition cannot read) → `Video Prepared`, with the video the
 * vision stages should read.
 * @example const prepare = createPrepareVideo({ state, publish, preparer })
 */
export function createPrepareVideo(deps: StageDeps & { preparer: VideoPreparer }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "prepare-video", "Media Probed");
    const { mediaId, correlationId, source, durationMs } = event.detail;
    const readiness = event.detail.video ?? rekognitionReadiness(event.detail);
    const stream = primaryVideo(event.detail);
    await runOnce(deps, {
      mediaId, correlationId, stage: "prepare-video", trigger: "Media Probed", ctx,
      work: async (signal) => {
        const target = derivedRef(source, mediaId, RENDITION_NAME);
        const prepared = await deps.preparer.prepare(
          { mediaId, source, durationMs, readiness, target, ...(stream ? { streamIndex: stream.index } : {}) },
          { signal, ...(ctx.progress ? { onProgress: ctx.progress } : {}) },
        );
        const offset = prepared.offsetMs ? { offsetMs: Math.round(prepared.offsetMs) } : {};
        const analysis: AnalysisInput = { input: prepared.input, reason: prepared.reason, video: prepared.video, ...offset };
        return {
          emit: [{
            type: "Video Prepared",
            detail: { source, durationMs, input: prepared.input, video: prepared.video, reason: prepared.reason, engine: prepared.engine, ...offset },
          }],
          facts: { analysis, engine: prepared.engine },
        };
      },
    });
  };
}

/** What a vision stage reads from its trigger, whichever of the two it was. */
export interface VisionTrigger {
  mediaId: string;
  correlationId: string;
  source: ObjectRef;
  durationMs: number;
  trigger: DetailType;
  analysis: AnalysisInput;
}

/**
 * The vision stages' trigger: `Media Probed` for a video Rekognition reads as uploaded, or `Video
 * Prepared` for one prepare-video made ready. Anything else is a wiring bug.
 */
export function visionTrigger(raw: AnyPipelineEvent, stage: StageName): VisionTrigger {
  const event = expectEvent(raw, stage, "Media Probed", "Video Prepared");
  const { mediaId, correlationId, source, durationMs } = event.detail;
  if (event["detail-type"] === "Video Prepared") {
    const d = (event as Extract<AnyPipelineEvent, { "detail-type": "Video Prepared" }>).detail;
    const analysis: AnalysisInput = { input: d.input, reason: d.reason, video: d.video, ...(d.offsetMs ? { offsetMs: d.offsetMs } : {}) };
    return { mediaId, correlationId, source, durationMs, trigger: "Video Prepared", analysis };
  }
  const d = (event as Extract<AnyPipelineEvent, { "detail-type": "Media Probed" }>).detail;
  const readiness = d.video ?? rekognitionReadiness(d);
  if (!readiness.rekognitionReady && d.video) {
    // The route sends this video to prepare-video; reading the upload would fail in Rekognition.
    throw new NonRetryableError(`${stage} started on a video that needs prepare-video first (${readiness.reason})`);
  }
  return { mediaId, correlationId, source, durationMs, trigger: "Media Probed", analysis: { input: "upload", reason: readiness.reason, video: source } };
}

/**
 * What a collected Rekognition job analysed, from the state records: prepare-video's answer when it
 * ran, else the upload for the reason the probe gave. Only the job's notice reaches the collector, so
 * this is how `analysis` gets from the start to the result.
 */
export function analysisFromRecords(records: Records, video: ObjectRef): AnalysisInput {
  const prepared = records["prepare-video"]?.output?.facts?.analysis as AnalysisInput | undefined;
  if (prepared) return prepared;
  const readiness = records.probe?.output?.facts?.video as ProbeResult["video"];
  return { input: "upload", reason: readiness?.reason ?? "the upload, as probed", video };
}

/** Frames read from a rendition, on the upload's clock (see AnalysisInput.offsetMs). */
export function onUploadClock<T extends { timestampMs: number }>(frames: readonly T[], analysis: AnalysisInput | undefined): T[] {
  const offset = analysis?.offsetMs ?? 0;
  return offset ? frames.map((f) => ({ ...f, timestampMs: f.timestampMs + offset })) : [...frames];
}

/** A shots document read from a rendition, on the upload's clock; the last shot still ends with the media. */
export function shotsOnUploadClock(doc: ShotsDocument, analysis: AnalysisInput | undefined): ShotsDocument {
  const offset = analysis?.offsetMs ?? 0;
  if (!offset) return doc;
  const last = doc.shots.length - 1;
  const durationMs = Math.max(doc.durationMs, (doc.shots[last]?.startMs ?? 0) + offset);
  return {
    ...doc,
    durationMs,
    shots: doc.shots.map((s, i) => ({ ...s, startMs: s.startMs + offset, endMs: i === last ? Math.min(s.endMs + offset, durationMs) : s.endMs + offset })),
    frames: onUploadClock(doc.frames, analysis),
  };
}

/** A shots document: validated, stored beside the upload, announced with what was analysed. */
export async function shotsResult(
  blobs: BlobStore, input: { mediaId: string; source: ObjectRef; document: ShotsDocument; analysis?: AnalysisInput },
): Promise<WorkResult> {
  const parsed = ShotsDocument.safeParse({ ...input.document, ...(input.analysis ? { analysis: input.analysis } : {}) });
  if (!parsed.success) {
    throw new NonRetryableError(`Shots engine returned an invalid result: ${parsed.error.message.slice(0, 500)}`, { cause: parsed.error });
  }
  const doc = parsed.data;
  const ref = derivedRef(input.source, input.mediaId, "shots.json");
  await blobs.putJson(ref, doc);
  return {
    emit: [{
      type: "Shots Detected",
      detail: {
        shots: ref, shotCount: doc.shots.length, frameCount: doc.frames.length, engine: doc.engine,
        ...(doc.analysis ? { analysis: doc.analysis } : {}),
      },
    }],
    facts: { ref, engine: doc.engine, ...(doc.analysis ? { analysis: doc.analysis } : {}) },
  };
}

/**
 * Collects a finished shot-segment job (Rekognition segment detection, keyframes taken from the
 * video) into `Shots Detected`. `load` runs under the stage's deadline: keyframe extraction is part
 * of the work, and what does not fit ends in `Stage Failed`.
 * @example await collectShots({ mediaId, correlationId, source, video, load: (signal) => shotsFromSegments(jobId, signal) }, ctx)
 */
export function createCollectShots(deps: StageDeps & { blobs: BlobStore }) {
  return async (
    job: { mediaId: string; correlationId: string; source: ObjectRef; video: ObjectRef; load: (signal: AbortSignal) => Promise<ShotsDocument> },
    ctx: StageContext,
  ) =>
    completeOnce(deps, {
      mediaId: job.mediaId, correlationId: job.correlationId, stage: "detect-shots", trigger: "Media Probed", ctx,
      work: async (signal) => {
        const records = await deps.state.list(job.mediaId);
        const analysis = analysisFromRecords(Object.fromEntries(records.map((r) => [r.stage, r])), job.video);
        const document = shotsOnUploadClock(await job.load(signal), analysis);
        return shotsResult(deps.blobs, { mediaId: job.mediaId, source: job.source, document, analysis });
      },
    });
}
