import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import { BlockPublicAccess, BucketEncryption } from "aws-cdk-lib/aws-s3";
import { Bucket, Table, type StackContext } from "sst/constructs";

// The key layout lives in core (uploads under media/, stage outputs under derived/).
export { DERIVED_PREFIX, UPLOAD_PREFIX } from "@media-pipeline/core";

export function Storage({ stack }: StackContext) {
  const bucket = new Bucket(stack, "Media", {
    // SST's default CORS allows every origin and method; the upload and review origins are added by
    // the API and review stacks when they exist.
    cors: false,
    cdk: {
      bucket: {
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
