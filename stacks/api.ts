import { DERIVED_PREFIX, UPLOAD_PREFIX } from "@media-pipeline/core";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Api, use, type ApiAuthorizer, type ApiRouteProps, type FunctionProps, type StackContext } from "sst/constructs";
import { objectAccess } from "./access.js";
import { HANDLERS } from "./handlers.js";
import { reviewerNotices, reviewSweep } from "./review-api.js";
import { Review, type ReviewerAuth } from "./review.js";
import { readSettings } from "./settings.js";
import { SIZES } from "./sizing.js";
import { Storage } from "./storage.js";
import { Bus } from "./bus.js";

/**
 * How callers authenticate, from the synthesizing process's environment:
 *
 * | variable              | meaning                                                            |
 * |-----------------------|--------------------------------------------------------------------|
 * | MEDIA_API_AUTH        | `iam` (default): SigV4-signed requests; `jwt`: bearer tokens       |
 * | MEDIA_API_JWT_ISSUER  | with `jwt`: the issuer URL (e.g. a Cognito user pool, Auth0)       |
 * | MEDIA_API_JWT_AUDIENCE| with `jwt`: comma-separated audiences (the app client ids)         |
 *
 * IAM suits callers holding AWS credentials (a backend, another service); JWT suits a browser app
 * signed in through an identity provider. There is no anonymous option: every route presigns with
 * the function's credentials.
 */
export type ApiAuth = { type: "iam" } | { type: "jwt"; issuer: string; audience: string[] };

export function readApiAuth(env: Record<string, string | undefined> = process.env): ApiAuth {
  const type = env.MEDIA_API_AUTH?.trim() || "iam";
  if (type === "iam") return { type };
  const issues: string[] = [];
  if (type !== "jwt") issues.push(`MEDIA_API_AUTH: "${type}" is neither iam nor jwt`);
  const issuer = env.MEDIA_API_JWT_ISSUER?.trim() ?? "";
  const audience = (env.MEDIA_API_JWT_AUDIENCE ?? "").split(",").map((a) => a.trim()).filter(Boolean);
  if (type === "jwt" && !/^https:\/\/\S+$/.test(issuer)) issues.push(`MEDIA_API_JWT_ISSUER: "${issuer}" is not an https URL`);
  if (type === "jwt" && !audience.length) issues.push("MEDIA_API_JWT_AUDIENCE: at least one audience is required");
  if (issues.length) throw new Error(`Invalid API settings: ${issues.join("; ")}`);
  return { type: "jwt", issuer, audience };
}

/** DynamoDB actions on the state table, exactly those a route uses (`stateAccess` grants writes too). */
const tableAccess = (tableArn: string, actions: string[]) =>
  new PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [tableArn] });

/**
 * The HTTP API: request an upload and follow a media item. One function per route, each with only its
 * own permissions. Presigning signs with the function's credentials, so a presigned URL can do
 * exactly what the role can: s3:PutObject under media/ only (presigned POST, CreateMultipartUpload,
 * UploadPart and CompleteMultipartUpload are all authorized as s3:PutObject), AbortMultipartUpload for
 * the abort route, s3:GetObject under derived/ for the result links and the report.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuAndPermissions.html
 */
export function ApiStack({ stack }: StackContext) {
  const { bucket, table } = use(Storage);
  const { bus } = use(Bus);
  const review = use(Review);
  const auth = readApiAuth();
  const authorizers: Record<string, ApiAuthorizer> = {
    ...(auth.type === "jwt" ? { jwt: { type: "jwt", jwt: { issuer: auth.issuer, audience: auth.audience } } } : {}),
    // Reviewers' tokens: a separate authorizer (and audience) from the upload API's, so neither kind of
    // caller can use the other's routes (IAM upload routes refuse a bearer token outright).
    ...(review.backend === "builtin" ? { reviewers: { type: "jwt", jwt: { issuer: review.auth.issuer, audience: review.auth.audience } } } : {}),
  };

  const putUploads = objectAccess(bucket.bucketArn, { write: [UPLOAD_PREFIX] });
  const readDerived = objectAccess(bucket.bucketArn, { read: [DERIVED_PREFIX] });
  const route = (handler: string, description: string, permissions: PolicyStatement[]): { function: FunctionProps } => ({
    function: { handler, description, permissions },
  });

  const api = new Api(stack, "Api", {
    authorizers,
    defaults: {
      authorizer: auth.type === "jwt" ? "jwt" : "iam",
      function: {
        environment: { MEDIA_BUCKET: bucket.bucketName, STATE_TABLE: table.tableName },
        ...SIZES.light,
      },
    },
    routes: {
      "POST /uploads": route(HANDLERS.apiUploads, "Assigns a mediaId; presigns a POST under media/, or starts a multipart upload", [
        ...putUploads,
        tableAccess(table.tableArn, ["PutItem"]),
      ]),
      "POST /uploads/{mediaId}/parts": route(HANDLERS.apiUploadParts, "Presigns UploadPart URLs of a multipart upload", [
        ...putUploads,
        tableAccess(table.tableArn, ["GetItem"]),
      ]),
      "POST /uploads/{mediaId}/complete": route(HANDLERS.apiUploadComplete, "Completes a multipart upload with its parts' ETags", [
        ...putUploads,
        tableAccess(table.tableArn, ["GetItem", "UpdateItem"]),
      ]),
      "DELETE /uploads/{mediaId}": route(HANDLERS.apiUploadAbort, "Aborts a multipart upload", [
        new PolicyStatement({ actions: ["s3:AbortMultipartUpload"], resources: [`${bucket.bucketArn}/${UPLOAD_PREFIX}*`] }),
        tableAccess(table.tableArn, ["GetItem", "UpdateItem"]),
      ]),
      "GET /media/{mediaId}": route(HANDLERS.apiMedia, "Status per stage of a media item, with presigned links to its results", [
        ...readDerived,
        tableAccess(table.tableArn, ["GetItem", "Query"]),
      ]),
      "GET /media/{mediaId}/report": route(HANDLERS.apiMediaReport, "The report of a media item, once analysis completed", [
        ...readDerived,
        tableAccess(table.tableArn, ["GetItem", "Query"]),
      ]),
      "GET /media/{mediaId}/report.html": route(HANDLERS.apiMediaReportHtml, "The report page of a media item, keyframes inlined", [
        ...readDerived,
        tableAccess(table.tableArn, ["GetItem", "Query"]),
      ]),
      "GET /media/{mediaId}/captions.vtt": route(HANDLERS.apiMediaCaptions("vtt"), "The WebVTT captions of a media item", [
        ...readDerived,
        tableAccess(table.tableArn, ["GetItem", "Query"]),
      ]),
      "GET /media/{mediaId}/captions.srt": route(HANDLERS.apiMediaCaptions("srt"), "The SRT captions of a media item", [
        ...readDerived,
        tableAccess(table.tableArn, ["GetItem", "Query"]),
      ]),
    },
  });

  if (review.backend === "builtin") {
    api.addRoutes(stack, reviewRoutes(review.table.tableArn, review.table.tableName, review.auth, bus.eventBusName, bus.eventBusArn, bucket.bucketArn, bucket.bucketName));
    const pageUrl = `${api.url}/review`;
    const notices = reviewerNotices(stack, { bus, pageUrl, bucket, emails: readSettings(stack).reviewerEmails });
    reviewSweep(stack, { bus, bucket, table: review.table, timeoutMinutes: readSettings(stack).reviewTimeoutMinutes });
    stack.addOutputs({ ReviewPageUrl: pageUrl, ReviewerTopicArn: notices.topicArn });
  }

  stack.addOutputs({ ApiUrl: api.url });
  return { api };
}

/**
 * The built-in review's page and /reviews API (packages/functions/src/reviews): the page loads
 * without sign-in (it holds no data); every /reviews route needs a reviewer's token. Media and
 * keyframes go to the browser as presigned GETs, so the routes that answer a task may read them.
 */
function reviewRoutes(
  tableArn: string, tableName: string, auth: ReviewerAuth, busName: string, busArn: string, bucketArn: string, bucketName: string,
): Record<string, ApiRouteProps<string>> {
  const environment = { REVIEW_TABLE: tableName, MEDIA_BUCKET: bucketName, ...(auth.group ? { REVIEWER_GROUP: auth.group } : {}) };
  const readTasks = new PolicyStatement({ actions: ["dynamodb:GetItem", "dynamodb:Query"], resources: [tableArn, `${tableArn}/index/*`] });
  // Claims, releases and verdicts are conditional writes, a task and its audit entry in one transaction.
  const writeTasks = new PolicyStatement({ actions: ["dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"], resources: [tableArn] });
  const presignMedia = objectAccess(bucketArn, { read: [UPLOAD_PREFIX, DERIVED_PREFIX] });
  const reviewer = (handler: string, description: string, permissions: PolicyStatement[], env: Record<string, string> = {}): ApiRouteProps<string> => ({
    authorizer: "reviewers",
    function: { handler, description, permissions, environment: { ...environment, ...env } },
  });
  return {
    "GET /review": {
      authorizer: "none",
      function: {
        handler: HANDLERS.apiReviewPage,
        description: "The review page (sign-in against the reviewers' pool)",
        environment: { MEDIA_BUCKET: bucketName, ...(auth.clientId ? { USER_POOL_CLIENT_ID: auth.clientId } : {}) },
        // Presigns nothing for a reader: only to learn the bucket's origin for the page's CSP.
        permissions: [],
      },
    },
    "GET /reviews/me": reviewer(HANDLERS.apiReviews("me"), "The signed-in reviewer's name", []),
    "GET /reviews": reviewer(HANDLERS.apiReviews("list"), "Review tasks, oldest open first", [readTasks, ...presignMedia]),
    "GET /reviews/{taskId}": reviewer(HANDLERS.apiReviews("get"), "One review task with its audit log", [readTasks, ...presignMedia]),
    "POST /reviews/{taskId}/claim": reviewer(HANDLERS.apiReviews("claim"), "Claims a review task (conditional: one reviewer wins)", [readTasks, writeTasks, ...presignMedia]),
    "POST /reviews/{taskId}/release": reviewer(HANDLERS.apiReviews("release"), "Gives a claim back", [readTasks, writeTasks, ...presignMedia]),
    "POST /reviews/{taskId}/verdict": reviewer(HANDLERS.apiReviews("verdict"), "Decides a review task; Review Completed on the media bus", [
      readTasks, writeTasks, ...presignMedia,
      // The outcome beside the media (review.json), then the event.
      ...objectAccess(bucketArn, { write: [DERIVED_PREFIX] }),
      new PolicyStatement({ actions: ["events:PutEvents"], resources: [busArn] }),
    ], { EVENT_BUS_NAME: busName }),
  };
}
