import {
  completeOnce, createCollectLabels, createCollectModeration, createCollectShots, createCollectText, createCollectTranscript, derivedKey, isRetryable,
  loadReviewOutcome,
  NonRetryableError, recordReviewDecision, recordReviewFailure, RetryableError, type StageContext,
} from "@media-pipeline/core";
import {
  loopOfName, mediaOfReviewTask, nextStepAfter, parseA2iOutput, parseA2iStatusEvent, ReviewOutputError,
} from "./adapters/a2i/index.js";
import { createDynamoBacklog, videoJobStarter } from "./adapters/rekognition/dynamodb-backlog.js";
import {
  getJobStatusMessage, getLabelFrames, getModerationFrames, getTextFrames, parseCompletionMessage, releaseOne, type RekognitionJobKind,
} from "./adapters/rekognition/index.js";
import {
  collectTranscript, ForeignTranscriptionJobError, parseTranscribeStateChange, type CollectedTranscript, type TranscriptionJobOutcome,
} from "./adapters/transcribe/index.js";
import { settings, type Cloud } from "./cloud.js";
import { cloudReviewQueue, loadStoredReviewTask } from "./cloud-review.js";
import { shotsFromSegmentJob } from "./cloud-video.js";
import { ConfigurationError } from "./errors.js";
import { stageContext, type LambdaContext } from "./lambda-deadline.js";

/*
 * The other half of the asynchronous stages: an AWS service says a job ended, and the stage it
 * belongs to completes — through core's `completeOnce`, so a duplicate notice neither redoes the
 * work nor publishes its events again (unless the first notice stopped before publishing them). Our ids are the mediaId, which is also the flow's correlationId (see ingest). Each
 * completion runs under its invocation's deadline (lambda-deadline.ts), read when the stage starts.
 */

/** The stage a Rekognition video job belongs to. */
const STAGE_OF_KIND = {
  labels: "detect-labels", moderation: "moderate", segments: "detect-shots", text: "detect-text",
} as const satisfies Record<RekognitionJobKind, string>;

/** Time keyframe extraction plans with when the invocation gives no deadline (a test calling the handler). */
const DEFAULT_COLLECT_BUDGET_MS = 10 * 60_000;

/** A job that ended badly settles its stage as failed, with AWS's reason. */
export function failStage(
  cloud: Cloud, mediaId: string, stage: "detect-shots" | "detect-labels" | "moderate" | "detect-text" | "transcribe", reason: string,
  ctx: StageContext = stageContext(),
) {
  return completeOnce({ state: cloud.state, publish: cloud.publish }, {
    mediaId, correlationId: mediaId, stage, trigger: stage === "transcribe" ? "Audio Extracted" : "Media Probed", ctx,
    work: async () => {
      throw new NonRetryableError(reason);
    },
  });
}

/**
 * Rekognition video job completion (SNS): fetch the paged results and complete labels, moderation,
 * text or shots (segment detection, with a keyframe per shot taken from the video: cloud-video.ts), then
 * release one start waiting in the backlog (see adapters/rekognition/backlog.ts). The paging and the
 * keyframes are part of the stage's work, so what cannot be done in time ends in `Stage Failed`. A job
 * that ended FAILED settles its stage as failed with Rekognition's own `StatusMessage` (read with the
 * job's Get… operation: the notice has only the status).
 * @example export const handler = createRekognitionCompletion(cloud)
 */
export function createRekognitionCompletion(cloud: Cloud) {
  const deps = { state: cloud.state, publish: cloud.publish, blobs: cloud.blobs };
  const labels = createCollectLabels(deps);
  const moderation = createCollectModeration({ ...deps, thresholds: cloud.thresholds });
  const shots = createCollectShots(deps);
  const text = createCollectText(deps);
  const backlog = createDynamoBacklog({ client: cloud.clients.dynamo, tableName: cloud.env.STATE_TABLE });
  const startReleased = videoJobStarter(cloud.clients.rekognition);
  return async (event: { Records?: unknown[] }, context?: LambdaContext): Promise<void> => {
    for (const record of event.Records ?? [event]) {
      const done = parseCompletionMessage(record);
      const stage = STAGE_OF_KIND[done.kind];
      const ctx = stageContext(context);
      if (done.status !== "SUCCEEDED") {
        const why = await getJobStatusMessage(cloud.clients.rekognition, done.api, done.jobId);
        await failStage(cloud, done.mediaId, stage, `Rekognition ${done.api} job ${done.jobId} ended ${done.status}${why ? `: ${why}` : " (no status message)"}`, ctx);
      } else {
        const job = { mediaId: done.mediaId, correlationId: done.mediaId, source: done.video };
        const options = { minConfidence: settings.minConfidence(cloud) };
        if (done.kind === "labels") await labels({ ...job, load: () => getLabelFrames(cloud.clients.rekognition, done.jobId, options) }, ctx);
        else if (done.kind === "moderation") await moderation({ ...job, load: () => getModerationFrames(cloud.clients.rekognition, done.jobId, options) }, ctx);
        else if (done.kind === "text") await text({ ...job, load: (signal) => getTextFrames(cloud.clients.rekognition, done.jobId, { minConfidence: settings.textMinConfidence(cloud), signal }) }, ctx);
        else {
          const budgetMs = ctx.timeoutMs ?? DEFAULT_COLLECT_BUDGET_MS;
          await shots({
            ...job, video: done.video,
            load: (signal) => shotsFromSegmentJob(cloud, { mediaId: done.mediaId, jobId: done.jobId, video: done.video }, { signal, budgetMs }),
          }, ctx);
        }
      }
      // This job's slot is free: start the oldest backlogged one (its own completion collects it). One
      // that can never start settles its stage as failed; a limit hit again leaves it queued.
      const released = await releaseOne(startReleased, backlog);
      if ("failed" in released) {
        const { mediaId, kind } = released.item;
        await failStage(cloud, mediaId, STAGE_OF_KIND[kind], released.failed.message, stageContext(context));
      }
    }
  };
}

/**
 * Transcribe job state change (forwarded from the default bus): collect the transcript. The rule
 * passes only this deployment's job names; a job of another prefix that gets here anyway (a rule
 * edited by hand, a replayed archive) is logged and dropped, never collected nor retried.
 * @example export const handler = createTranscribeCompletion(cloud)
 */
export function createTranscribeCompletion(cloud: Cloud) {
  const settle = createSettleTranscription(cloud);
  const jobNamePrefix = settings.transcribeJobPrefix(cloud);
  return async (event: unknown, context?: LambdaContext): Promise<void> => {
    let change: TranscriptionJobOutcome;
    try {
      change = parseTranscribeStateChange(event, { jobNamePrefix });
    } catch (error) {
      if (!(error instanceof ForeignTranscriptionJobError)) throw error;
      console.warn(JSON.stringify({ message: "transcription job of another deployment ignored", jobName: error.jobName, jobNamePrefix }));
      return;
    }
    const result = await settle(change.mediaId, change.jobName, context);
    if (result.status === "in-progress") throw new RetryableError(`Transcription ${change.jobName} is still running`);
  };
}

/**
 * Looks a transcription job up and, once it has ended, settles the transcribe stage: `Transcript
 * Ready` or `Stage Failed`. Shared by the state-change event and the delayed check (transcribe-check).
 * The deadline is what `context` has left once the job's outcome and transcript are read.
 */
export function createSettleTranscription(cloud: Cloud) {
  const collect = createCollectTranscript({ state: cloud.state, publish: cloud.publish, blobs: cloud.blobs });
  return async (mediaId: string, jobName: string, context?: LambdaContext): Promise<CollectedTranscript> => {
    const bucket = cloud.env.MEDIA_BUCKET;
    const result = await collectTranscript(
      { transcribe: cloud.clients.transcribe, s3: cloud.clients.s3 },
      jobName,
      { outputBucket: bucket, maxSpeakers: settings.maxSpeakers(cloud), language: settings.language(cloud) },
    );
    if (result.status === "in-progress") return result;
    const ctx = stageContext(context);
    if (result.status === "failed") await failStage(cloud, mediaId, "transcribe", `Transcribe job ${jobName} failed: ${result.reason}`, ctx);
    else {
      await collect({
        mediaId, correlationId: mediaId,
        audio: { bucket, key: derivedKey(mediaId, "audio.wav") }, document: result.document,
      }, ctx);
    }
    return result;
  };
}

/** A status event names a human loop we cannot map back to a review task of ours. */
export class UnknownHumanLoopError extends NonRetryableError {}

/**
 * A2I human loop status change (forwarded from the default bus), under the re-queue policy of
 * adapters/a2i/requeue.ts:
 * - `Completed`: the output document becomes core's review decision, recorded with
 *   `recordReviewDecision` (derived/<id>/review.json, then `Review Completed`).
 * - `Failed` before the last allowed attempt: the next loop (`<taskId>-2`, `-3` …) is started from the
 *   stored task, with the input built as request-review built the first one.
 * - `Stopped`, or `Failed` on the last attempt (or on its input): `recordReviewFailure` (review.json
 *   failed, `Stage Failed` for request-review); the final report keeps the model's decision.
 *
 * Loops of any flow definition of ours count (FLOW_DEFINITION_ARN_PREFIX; by default the current
 * FLOW_DEFINITION_ARN alone): a deploy that changes the template or work team replaces the flow
 * definition, and loops still running on the older one must still complete. Re-queued loops always
 * start on the current one, and a loop stopped on an older one (A2I stops the unstarted loops of a
 * deleted flow definition) is re-queued there too.
 *
 * Delivery is at least once. A repeated `Failed` starts the same deterministic loop name, which A2I
 * answers with ConflictException (one loop). A repeated `Completed`, or a repeated give-up, writes the
 * same review.json and publishes the same event under the same dedupe key (EventBridge ignores the
 * key and consumers dedupe: finalize-analysis runs once per media). A notice that arrives after a
 * verdict, or an earlier loop's `Failed` after the review was recorded as failed, changes nothing.
 * @example export const handler = createReviewCompletion(cloud)
 */
export function createReviewCompletion(cloud: Cloud) {
  const flowDefinitionArn = cloud.require("FLOW_DEFINITION_ARN");
  const flowDefinitionArnPrefix = cloud.env.FLOW_DEFINITION_ARN_PREFIX?.trim() || flowDefinitionArn;
  if (!flowDefinitionArn.startsWith(flowDefinitionArnPrefix)) {
    throw new ConfigurationError(`FLOW_DEFINITION_ARN ${flowDefinitionArn} does not start with FLOW_DEFINITION_ARN_PREFIX ${flowDefinitionArnPrefix}`, [
      "FLOW_DEFINITION_ARN: outside FLOW_DEFINITION_ARN_PREFIX",
    ]);
  }
  const maxAttempts = settings.reviewMaxAttempts(cloud);
  const queue = cloudReviewQueue(cloud);
  const deps = { blobs: cloud.blobs, publish: cloud.publish };
  return async (event: unknown): Promise<void> => {
    const status = parseA2iStatusEvent(event, { flowDefinitionArnPrefix });
    if (!status) return; // another app's or stage's flow definition: not ours
    const loop = loopOfName(status.humanLoopName);
    const mediaId = loop && mediaOfReviewTask(loop.taskId);
    if (!loop || !mediaId) throw new UnknownHumanLoopError(`Human loop ${status.humanLoopName} is not named after one of our review tasks`);
    const task = await loadStoredReviewTask(cloud, mediaId, loop.taskId);
    const media = { mediaId, correlationId: mediaId, source: task.source };
    const log = (message: string, extra: Record<string, unknown> = {}) =>
      console.info(JSON.stringify({
        message, humanLoopName: status.humanLoopName, status: status.status, flowDefinitionArn: status.flowDefinitionArn, mediaId, attempt: loop.attempt, ...extra,
      }));

    if (status.status === "Completed") {
      if (!status.outputRef) throw new ReviewOutputError(`Human loop ${status.humanLoopName} completed without an output location`);
      const decision = parseA2iOutput(await cloud.blobs.getJson(status.outputRef), { taskId: loop.taskId });
      await recordReviewDecision(deps, media, decision);
      log("review decided", { verdict: decision.verdict });
      return;
    }

    // The notice's own time, so that a repeated delivery records the very same outcome.
    const reported = new Date(status.time);
    const endedAt = Number.isNaN(reported.getTime()) ? new Date() : reported;
    const step = nextStepAfter(status, { attempt: loop.attempt, maxAttempts, replaced: status.flowDefinitionArn !== flowDefinitionArn });
    // A review with a verdict is over whatever else arrives; one recorded as failed is not restarted
    // by a late notice of an earlier loop. A repeated give-up is recorded again (same review.json,
    // same Stage Failed): if the first delivery wrote the outcome but failed to publish, this is
    // what publishes it.
    const outcome = await loadReviewOutcome(cloud.blobs, task.source, mediaId);
    if (outcome?.status === "decided" || (outcome && step.kind === "requeue")) {
      return log("review already ended; notice ignored", { outcome: outcome.status });
    }
    if (step.kind === "requeue") {
      try {
        const started = await queue.start(task, step.attempt);
        return log("human loop re-queued", { next: started.humanLoopName, started: started.started });
      } catch (error) {
        // Throttling and the like propagate for Lambda to retry; a start A2I refuses ends the review.
        if (isRetryable(error)) throw error;
        const reason = `Human loop ${status.humanLoopName} failed and its re-queue (attempt ${step.attempt}) was refused: ${(error as Error).message}`;
        await recordReviewFailure(deps, media, { taskId: loop.taskId, reason, endedAt, errorName: (error as Error).name || "HumanLoopRequestError", attempts: loop.attempt });
        return log("review failed: re-queue refused", { reason });
      }
    }
    await recordReviewFailure(deps, media, { taskId: loop.taskId, reason: step.reason, endedAt, errorName: step.errorName, attempts: loop.attempt });
    log("review failed", { reason: step.reason });
  };
}
