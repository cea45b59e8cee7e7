import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { workerPortalOrigin } from "../../stacks/settings.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf } from "../helpers/stack-templates.js";

/*
 * The storage stack: the media bucket (EventBridge notifications, no public access, CORS for the A2I
 * worker portal, lifecycle) and the state table.
 */

let storage: Template;

beforeAll(async () => {
  ({ Storage: storage } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

describe("storage", () => {
  it("sends bucket events to EventBridge and blocks public access", () => {
    const [bucketId] = Object.keys(storage.findResources("AWS::S3::Bucket"));
    // CDK turns EventBridge on through its bucket-notifications custom resource, not the bucket's own
    // NotificationConfiguration property.
    storage.hasResourceProperties("Custom::S3BucketNotifications", {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    storage.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    });
  });

  it("lets only the A2I worker portal GET the media by CORS, as AWS requires for A2I image input", () => {
    const [bucket] = resourcesOf(storage, "AWS::S3::Bucket");
    expect(bucket).toMatchObject({
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedMethods: ["GET", "HEAD"],
            AllowedOrigins: [workerPortalOrigin("us-east-1")],
            AllowedHeaders: ["Range"],
            ExposedHeaders: expect.arrayContaining(["Content-Range", "Accept-Ranges"]),
            MaxAge: 3600,
            Id: "review-portal-media",
          },
        ],
      },
    });
    expect(workerPortalOrigin("us-east-1")).toBe("https://*.labeling.us-east-1.sagemaker.aws");
  });

  it("expires derived outputs and abandoned multipart uploads", () => {
    const [bucket] = resourcesOf(storage, "AWS::S3::Bucket");
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      { Id: "expire-derived", Prefix: "derived/", ExpirationInDays: 30, Status: "Enabled" },
      { Id: "abort-incomplete-uploads", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: "Enabled" },
    ]);
  });

  it("keys the state table on pk/sk, on demand, with TTL and point-in-time recovery", () => {
    storage.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});
