import { derivedKey, NonRetryableError, parseUploadKey, ReviewTask, reviewTaskRef, type ObjectRef } from "@media-pipeline/core";
import type { ReviewQueue } from "@media-pipeline/core";
import { createA2iReviewQueue } from "./adapters/a2i/index.js";
import { createDynamoReviewBoard } from "./adapters/review-table/index.js";
import { BlobNotFoundError, presignedGetUrl } from "./adapters/s3-blob-store.js";
import type { Cloud } from "./cloud.js";
import { ConfigurationError } from "./errors.js";

/**
 * How long the presigned media and keyframe URLs in a task input live. The template prefers the
 * `*S3Uri` fields (presigned at render time by `grant_read_access`), so these only matter as a
 * fallback; a Lambda role session's credentials end sooner anyway.
 */
export const TASK_URL_SECONDS = 12 * 3600;

/**
 * The A2I review queue as both request-review (the first loop) and the review completion (a re-queued
 * loop) build it, so a re-queued loop's input is built exactly as the first one's was.
 * @example await cloudReviewQueue(cloud).start(task, 2)
 */
export function cloudReviewQueue(cloud: Cloud) {
  return createA2iReviewQueue({
    client: cloud.clients.a2i,
    flowDefinitionArn: cloud.require("FLOW_DEFINITION_ARN"),
    mediaUrl: (ref) => presignedGetUrl(cloud.clients.s3, ref, TASK_URL_SECONDS),
  });
}

/**
 * Where request-review opens its task: the built-in review's table (REVIEW_BACKEND=builtin, the
 * default: reviewers decide it on the app's own review page), or an A2I human loop for accounts that
 * have A2I (REVIEW_BACKEND=a2i).
 */
export function requestReviewQueue(cloud: Cloud): ReviewQueue {
  const backend = cloud.env.REVIEW_BACKEND?.trim() || "builtin";
  if (backend === "a2i") return cloudReviewQueue(cloud);
  if (backend !== "builtin") throw new ConfigurationError(`REVIEW_BACKEND must be builtin or a2i, got "${backend}"`, ["REVIEW_BACKEND: unknown"]);
  const board = createDynamoReviewBoard({ client: cloud.clients.dynamo, tableName: cloud.require("REVIEW_TABLE") });
  // The reviewer sees the upload's file name (the last part of its key).
  return { open: (task) => board.open(task, parseUploadKey(task.source.key)?.filename ?? null) };
}

/** A human loop names a review task whose stored task cannot be read: nothing to settle it with. */
export class StoredReviewTaskError extends NonRetryableError {}

/**
 * The review task request-review stored for a media item. Core finds it beside the source
 * (`reviewTaskRef(source, mediaId)`), but a status event carries no source: in the cloud every
 * upload and its derived documents are in MEDIA_BUCKET, so the key is `derived/<mediaId>/review-task.json`
 * there, and the task read back must place itself at that same key.
 * @example const task = await loadStoredReviewTask(cloud, mediaId, taskId)
 */
export async function loadStoredReviewTask(cloud: Cloud, mediaId: string, taskId: string): Promise<ReviewTask> {
  const ref: ObjectRef = { bucket: cloud.env.MEDIA_BUCKET, key: derivedKey(mediaId, "review-task.json") };
  const where = `s3://${ref.bucket}/${ref.key}`;
  let json: unknown;
  try {
    json = await cloud.blobs.getJson(ref);
  } catch (error) {
    if (error instanceof BlobNotFoundError) throw new StoredReviewTaskError(`No review task stored at ${where} for human loop task ${taskId}`, { cause: error });
    throw error;
  }
  const parsed = ReviewTask.safeParse(json);
  if (!parsed.success) {
    throw new StoredReviewTaskError(`${where} is not a review task: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const task = parsed.data;
  const expected = reviewTaskRef(task.source, mediaId);
  if (task.taskId !== taskId || task.mediaId !== mediaId || expected.bucket !== ref.bucket || expected.key !== ref.key) {
    throw new StoredReviewTaskError(`${where} holds task ${task.taskId} of ${task.mediaId} (source in ${task.source.bucket}), not task ${taskId} of ${mediaId}`);
  }
  return task;
}
