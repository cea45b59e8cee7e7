import { DERIVED_PREFIX, UPLOAD_PREFIX } from "@media-pipeline/core";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Api, use, type ApiAuthorizer, type FunctionProps, type StackContext } from "sst/constructs";
import { objectAccess } from "./access.js";
import { HANDLERS } from "./handlers.js";
import { SIZES } from "./sizing.js";
import { Storage } from "./storage.js";

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
  const auth = readApiAuth();
  const authorizers: Record<string, ApiAuthorizer> =
    auth.type === "jwt" ? { jwt: { type: "jwt", jwt: { issuer: auth.issuer, audience: auth.audience } } } : {};

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
    },
  });

  stack.addOutputs({ ApiUrl: api.url });
  return { api };
}
