import {
  completeOnce, createCollectLabels, createCollectModeration, createCollectTranscript, derivedKey, NonRetryableError,
  RetryableError, type StageContext,
} from "@media-pipeline/core";
import { parseA2iOutput, parseA2iStatusEvent } from "./adapters/a2i/index.js";
import { createDynamoBacklog, videoJobStarter } from "./adapters/rekognition/dynamodb-backlog.js";
import { getLabelFrames, getModerationFrames, parseCompletionMessage, releaseOne } from "./adapters/rekognition/index.js";
import { collectTranscript, parseTranscribeStateChange, type CollectedTranscript } from "./adapters/transcribe/index.js";
import { settings, type Cloud } from "./cloud.js";

/*
 * The other half of the asynchronous stages: an AWS service says a job ended, and the stage it
 * belongs to completes — through core's `completeOnce`, so a duplicate notice re-publishes instead
 * of redoing. Our ids are the mediaId, which is also the flow's correlationId (see ingest).
 */

const CTX: StageContext = { attempt: 1, finalAttempt: false };

/** A job that ended badly settles its stage as failed, with AWS's reason. */
export function failStage(cloud: Cloud, mediaId: string, stage: "detect-labels" | "moderate" | "transcribe", reason: string) {
  return completeOnce({ state: cloud.state, publish: cloud.publish }, {
    mediaId, correlationId: mediaId, stage, trigger: stage === "transcribe" ? "Audio Extracted" : "Media Probed", ctx: CTX,
    work: async () => {
      throw new NonRetryableError(reason);
    },
  });
}

/**
 * Rekognition video job completion (SNS): fetch the paged results and complete labels or moderation,
 * then release one start waiting in the backlog (see adapters/rekognition/backlog.ts).
 * @example export const handler = createRekognitionCompletion(cloud)
 */
export function createRekognitionCompletion(cloud: Cloud) {
  const deps = { state: cloud.state, publish: cloud.publish, blobs: cloud.blobs };
  const labels = createCollectLabels(deps);
  const moderation = createCollectModeration({ ...deps, thresholds: cloud.thresholds });
  const backlog = createDynamoBacklog({ client: cloud.clients.dynamo, tableName: cloud.env.STATE_TABLE });
  const startReleased = videoJobStarter(cloud.clients.rekognition);
  return async (event: { Records?: unknown[] }): Promise<void> => {
    for (const record of event.Records ?? [event]) {
      const done = parseCompletionMessage(record);
      const stage = done.kind === "labels" ? "detect-labels" : "moderate";
      if (done.status !== "SUCCEEDED") {
        await failStage(cloud, done.mediaId, stage, `Rekognition ${done.api} job ${done.jobId} ended ${done.status}`);
      } else {
        const job = { mediaId: done.mediaId, correlationId: done.mediaId, source: done.video };
        const options = { minConfidence: settings.minConfidence(cloud) };
        if (done.kind === "labels") await labels({ ...job, result: await getLabelFrames(cloud.clients.rekognition, done.jobId, options) }, CTX);
        else await moderation({ ...job, result: await getModerationFrames(cloud.clients.rekognition, done.jobId, options) }, CTX);
      }
      // This job's slot is free: start the oldest backlogged one (its own completion collects it). One
      // that can never start settles its stage as failed; a limit hit again leaves it queued.
      const released = await releaseOne(startReleased, backlog);
      if ("failed" in released) {
        const { mediaId, kind } = released.item;
        await failStage(cloud, mediaId, kind === "labels" ? "detect-labels" : "moderate", released.failed.message);
      }
    }
  };
}

/**
 * Transcribe job state change (forwarded from the default bus): collect the transcript.
 * @example export const handler = createTranscribeCompletion(cloud)
 */
export function createTranscribeCompletion(cloud: Cloud) {
  const settle = createSettleTranscription(cloud);
  return async (event: unknown): Promise<void> => {
    const change = parseTranscribeStateChange(event);
    const result = await settle(change.mediaId, change.jobName);
    if (result.status === "in-progress") throw new RetryableError(`Transcription ${change.jobName} is still running`);
  };
}

/**
 * Looks a transcription job up and, once it has ended, settles the transcribe stage: `Transcript
 * Ready` or `Stage Failed`. Shared by the state-change event and the delayed check (transcribe-check).
 */
export function createSettleTranscription(cloud: Cloud) {
  const collect = createCollectTranscript({ state: cloud.state, publish: cloud.publish, blobs: cloud.blobs });
  return async (mediaId: string, jobName: string): Promise<CollectedTranscript> => {
    const bucket = cloud.env.MEDIA_BUCKET;
    const result = await collectTranscript(
      { transcribe: cloud.clients.transcribe, s3: cloud.clients.s3 },
      jobName,
      { outputBucket: bucket, maxSpeakers: settings.maxSpeakers(cloud), language: settings.language(cloud) },
    );
    if (result.status === "in-progress") return result;
    if (result.status === "failed") await failStage(cloud, mediaId, "transcribe", `Transcribe job ${jobName} failed: ${result.reason}`);
    else {
      await collect({
        mediaId, correlationId: mediaId,
        audio: { bucket, key: derivedKey(mediaId, "audio.wav") }, document: result.document,
      }, CTX);
    }
    return result;
  };
}

/** The mediaId inside our review task id (`<mediaId>-review`, see core's reviewTaskId). */
function mediaOfTask(taskId: string): string {
  return taskId.replace(/-review$/, "");
}

/**
 * A2I human loop status change (forwarded): a completed loop becomes `Review Completed`; a failed or
 * stopped one becomes `Stage Failed` for request-review.
 * @example export const handler = createReviewCompletion(cloud)
 */
export function createReviewCompletion(cloud: Cloud) {
  return async (event: unknown): Promise<void> => {
    const status = parseA2iStatusEvent(event, { flowDefinitionArn: cloud.require("FLOW_DEFINITION_ARN") });
    if (!status) return; // another flow definition's loop: not ours
    const taskId = status.humanLoopName;
    const mediaId = mediaOfTask(taskId);
    const base = { version: 1, mediaId, correlationId: mediaId };
    if (status.status === "Completed" && status.outputRef) {
      const decision = parseA2iOutput(await cloud.blobs.getJson(status.outputRef), { taskId });
      await cloud.publish("Review Completed", { ...base, ...decision }, { dedupeKey: `${mediaId}/review/Review Completed` });
      return;
    }
    await cloud.publish("Stage Failed", {
      ...base, stage: "request-review", attempts: 1, trigger: "Review Requested",
      error: { name: "HumanLoopEndedError", message: `Human loop ${taskId} ended ${status.status}${status.failureReason ? `: ${status.failureReason}` : ""}` },
    });
  };
}
