import { Duration } from "aws-cdk-lib";
import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import { BlockPublicAccess, BucketEncryption } from "aws-cdk-lib/aws-s3";
import { Bucket, Table, type StackContext } from "sst/constructs";
import { DERIVED_PREFIX } from "@media-pipeline/core";
import { readSettings } from "./settings.js";

// The key layout lives in core (uploads under media/, stage outputs under derived/).
export { DERIVED_PREFIX, UPLOAD_PREFIX } from "@media-pipeline/core";

/** Where A2I writes reviewers' answers (the flow definition's S3 output path). */
export const REVIEW_OUTPUT_PREFIX = "review-output/";

export function Storage({ stack }: StackContext) {
  const settings = readSettings(stack);
  const bucket = new Bucket(stack, "Media", {
    // Not SST's default (every origin, every method): only the A2I worker portal, only reads. The
    // review task's player needs none (a plain <video>, no `crossorigin`: see the task template);
    // the rule stays for what does: AWS requires it on buckets holding A2I image input (the
    // keyframes) for the portal (see workerPortalOrigin), and a page reading media from script.
    // The browser upload origin belongs to the upload issue; presigned PUTs from a server need none.
    cors: [
      {
        id: "review-portal-media",
        allowedMethods: ["GET", "HEAD"],
        allowedOrigins: settings.reviewOrigins,
        allowedHeaders: ["Range"],
        exposedHeaders: ["Accept-Ranges", "Content-Length", "Content-Range", "Content-Type", "ETag"],
        maxAge: "1 hour",
      },
      // Browser uploads: the presigned POST (one form) and multipart part PUTs, whose ETag the app
      // must read to complete the upload.
      ...(settings.uploadOrigins.length
        ? [{
            id: "app-uploads",
            allowedMethods: ["POST", "PUT"] as ("POST" | "PUT")[],
            allowedOrigins: settings.uploadOrigins,
            allowedHeaders: ["*"],
            exposedHeaders: ["ETag"],
            maxAge: "1 hour" as const,
          }]
        : []),
    ],
    cdk: {
      bucket: {
        lifecycleRules: [
          {
            id: "expire-derived",
            // Stage outputs can be rebuilt from the upload; the report's consumers copy what they keep.
            prefix: DERIVED_PREFIX,
            expiration: Duration.days(settings.derivedExpiryDays),
          },
          // Abandoned browser uploads otherwise bill forever, invisibly.
          { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ],
        // S3 → EventBridge (default bus) is how uploads enter the pipeline.
        eventBridgeEnabled: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        encryption: BucketEncryption.S3_MANAGED,
        enforceSSL: true,
      },
    },
  });

  // (mediaId, stage) progress with conditional writes: idempotency and the summary join.
  const table = new Table(stack, "State", {
    fields: { pk: "string", sk: "string" },
    primaryIndex: { partitionKey: "pk", sortKey: "sk" },
    // Finished media items expire; the state store sets the attribute (epoch seconds).
    timeToLiveAttribute: "expiresAt",
    cdk: {
      table: {
        // SST defaults to both; spelled out because the stack test and operators rely on them.
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecovery: true,
      },
    },
  });

  stack.addOutputs({ MediaBucket: bucket.bucketName, StateTable: table.tableName });
  return { bucket, table };
}
