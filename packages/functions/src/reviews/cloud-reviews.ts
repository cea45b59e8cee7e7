import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { S3Client } from "@aws-sdk/client-s3";
import { catalog, recordReviewDecision, ReviewTask, type ObjectRef } from "@media-pipeline/core";
import { renderReviewPage, reviewPageHeaders, type ReviewPageOptions } from "@media-pipeline/web";
import { PRESIGNING_S3_CONFIG } from "../api/cloud-api.js";
import { httpHandler, type ApiResult } from "../api/http.js";
import { createEventBridgePublish } from "../adapters/eventbridge-publish.js";
import { createDynamoReviewBoard } from "../adapters/review-table/index.js";
import { createS3BlobStore, presignedGetUrl } from "../adapters/s3-blob-store.js";
import { readConfig } from "../config.js";
import { ConfigurationError } from "../errors.js";
import { reviewNotice } from "./notify.js";
import { createReviewRoutes } from "./routes.js";
import { sweepReviews } from "./sweep.js";

/*
 * The built-in review's functions over real clients, built once per cold start: the /reviews API,
 * the page, the sweep and the notifier. Each reads only the variables it needs (stacks/api.ts,
 * stacks/review.ts set them).
 */

/** How long a media or keyframe link in a task answer works; the page asks for the task again after. */
export const REVIEW_LINK_SECONDS = 3600;

const presign = (s3: S3Client) => (ref: ObjectRef) => presignedGetUrl(s3, ref, REVIEW_LINK_SECONDS);

/** The /reviews routes. EVENT_BUS_NAME only on the verdict route, the one that publishes. */
export function createCloudReviewApi(env: Record<string, string | undefined>, clients: { s3?: S3Client; dynamo?: DynamoDBClient } = {}) {
  const config = readConfig(["REVIEW_TABLE"] as const, env);
  const s3 = clients.s3 ?? new S3Client(PRESIGNING_S3_CONFIG);
  const board = createDynamoReviewBoard({ client: clients.dynamo ?? new DynamoDBClient({}), tableName: config.REVIEW_TABLE });
  const blobs = createS3BlobStore(s3);
  const publish = env.EVENT_BUS_NAME ? createEventBridgePublish({ client: new EventBridgeClient({}), eventBusName: env.EVENT_BUS_NAME }) : undefined;
  return createReviewRoutes({
    board,
    presign: presign(s3),
    async announce(task, decision) {
      if (!publish) throw new ConfigurationError("EVENT_BUS_NAME is required to announce a verdict but not set", ["EVENT_BUS_NAME: missing"]);
      await recordReviewDecision({ blobs, publish }, { mediaId: task.mediaId, source: task.source }, decision);
    },
    identity: { group: env.REVIEWER_GROUP?.trim() || undefined },
  });
}

/**
 * The page's options: sign-in against the deployment's user pool (the SDK's endpoint override when
 * one is set, as offline), or a pasted token with an OIDC issuer; media from the bucket's origin as
 * the presigner writes it.
 */
export async function reviewPageOptions(env: Record<string, string | undefined>, s3: S3Client): Promise<ReviewPageOptions> {
  const config = readConfig(["MEDIA_BUCKET"] as const, env);
  const region = env.AWS_REGION ?? "us-east-1";
  const media = [new URL(await presignedGetUrl(s3, { bucket: config.MEDIA_BUCKET, key: "media/origin" }, 60)).origin];
  const clientId = env.USER_POOL_CLIENT_ID?.trim();
  if (!clientId) return { signIn: { kind: "token", hint: "Paste an ID token from your identity provider." }, media };
  const endpoint = env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER?.trim() || `https://cognito-idp.${region}.amazonaws.com/`;
  return { signIn: { kind: "cognito", endpoint: endpoint.endsWith("/") ? endpoint : `${endpoint}/`, clientId }, media };
}

/** `GET /review`: the page itself, no sign-in needed to load it (it holds no data). */
export function createReviewPageRoute(env: Record<string, string | undefined>, s3 = new S3Client(PRESIGNING_S3_CONFIG)) {
  let options: Promise<ReviewPageOptions> | undefined;
  return httpHandler(async (): Promise<ApiResult> => {
    options ??= reviewPageOptions(env, s3);
    const resolved = await options;
    return { statusCode: 200, headers: reviewPageHeaders(resolved), body: renderReviewPage(resolved) };
  });
}

/** The scheduled sweep: expires undecided tasks, announces what a lost publish left unannounced. */
export function createReviewSweep(env: Record<string, string | undefined>, clients: { s3?: S3Client; dynamo?: DynamoDBClient } = {}) {
  const config = readConfig(["REVIEW_TABLE", "EVENT_BUS_NAME", "REVIEW_TIMEOUT_MINUTES"] as const, env);
  const minutes = Number(config.REVIEW_TIMEOUT_MINUTES);
  if (!(minutes >= 1)) throw new ConfigurationError(`REVIEW_TIMEOUT_MINUTES must be at least 1, got "${config.REVIEW_TIMEOUT_MINUTES}"`, ["REVIEW_TIMEOUT_MINUTES: below 1"]);
  const dynamo = clients.dynamo ?? new DynamoDBClient({});
  const blobs = createS3BlobStore(clients.s3 ?? new S3Client({}));
  const publish = createEventBridgePublish({ client: new EventBridgeClient({}), eventBusName: config.EVENT_BUS_NAME });
  // The schedule's own time is the sweep's clock: a late or replayed invocation judges by when it was due.
  return async (event: { time?: string }) => {
    const at = event?.time && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : new Date();
    const board = createDynamoReviewBoard({ client: dynamo, tableName: config.REVIEW_TABLE, now: () => at });
    const result = await sweepReviews({ board, blobs, publish, undecidedForMs: minutes * 60_000 });
    console.log(JSON.stringify({ message: "review sweep", at: at.toISOString(), ...result }));
    return result;
  };
}

/** `Review Requested` → one SNS message to the reviewers' topic, linking to the task. */
export function createReviewNotifier(env: Record<string, string | undefined>, clients: { s3?: S3Client; sns?: SNSClient } = {}) {
  const config = readConfig(["REVIEWER_TOPIC_ARN", "REVIEW_PAGE_URL"] as const, env);
  const sns = clients.sns ?? new SNSClient({});
  const blobs = createS3BlobStore(clients.s3 ?? new S3Client({}));
  return async (event: { detail: unknown }) => {
    const detail = catalog["Review Requested"].detail.parse(event.detail);
    // The file name is the task's source key's last part; the task may be gone (expired derived/), which costs only the name.
    const task = await blobs.getJson(detail.task).then((t) => ReviewTask.safeParse(t).data, () => undefined);
    const notice = reviewNotice(detail, config.REVIEW_PAGE_URL, task?.source.key.split("/").pop());
    await sns.send(new PublishCommand({ TopicArn: config.REVIEWER_TOPIC_ARN, Subject: notice.subject, Message: notice.message }));
  };
}
