import type { EventPattern } from "aws-cdk-lib/aws-events";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { routes, type StageName } from "@media-pipeline/core";
import { use, type StackContext } from "sst/constructs";
import { Bus } from "./bus.js";
import { deadLetterQueue, functionDelivery, targetDelivery } from "./delivery.js";
import { DERIVED_PREFIX, Storage, UPLOAD_PREFIX } from "./storage.js";

/**
 * What each stage may touch, named per stage so that a new stage cannot compile without a decision.
 * `bind` is avoided on purpose: it grants s3:*, dynamodb:* and events:* on whole resources.
 * Service permissions (Rekognition, Transcribe, Bedrock, A2I, iam:PassRole for their roles) arrive
 * with the adapters in the cloud-wiring issue.
 */
interface StageAccess {
  /** Reads the upload under media/. */
  readsUpload: boolean;
  /** Reads result documents and derived media under derived/. */
  readsDerived: boolean;
  /** Writes under derived/. */
  writesDerived: boolean;
}

const ACCESS: Record<StageName, StageAccess> = {
  probe: { readsUpload: true, readsDerived: false, writesDerived: false },
  "extract-audio": { readsUpload: true, readsDerived: false, writesDerived: true },
  "detect-shots": { readsUpload: true, readsDerived: false, writesDerived: true },
  "detect-labels": { readsUpload: true, readsDerived: false, writesDerived: true },
  moderate: { readsUpload: true, readsDerived: false, writesDerived: true },
  transcribe: { readsUpload: false, readsDerived: true, writesDerived: true },
  "summarize-scenes": { readsUpload: false, readsDerived: true, writesDerived: true },
  "request-review": { readsUpload: true, readsDerived: true, writesDerived: false },
  "complete-analysis": { readsUpload: false, readsDerived: true, writesDerived: true },
};

/** PascalCase construct ids from kebab-case route names. */
const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/**
 * One EventBridge rule per route in core's table, with exactly the route's pattern and one Lambda
 * target running the route's stage. The route table is the only source of wiring: a new route shows
 * up here (and in the local runtime) without touching this file.
 */
export function Pipeline({ stack }: StackContext) {
  const { bucket, table } = use(Storage);
  const { bus } = use(Bus);

  const objects = (prefix: string) => `${bucket.bucketArn}/${prefix}*`;

  for (const route of routes) {
    const access = ACCESS[route.stage];
    const dlq = deadLetterQueue(stack, `${pascal(route.name)}DeadLetters`);
    const reads = [
      ...(access.readsUpload ? [objects(UPLOAD_PREFIX)] : []),
      ...(access.readsDerived ? [objects(DERIVED_PREFIX)] : []),
    ];
    const permissions = [
      // Every stage publishes its outcome (or Stage Failed) on the media bus…
      new PolicyStatement({ actions: ["events:PutEvents"], resources: [bus.eventBusArn] }),
      // …and records (mediaId, stage) progress with conditional writes.
      new PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        resources: [table.tableArn],
      }),
      ...(reads.length ? [new PolicyStatement({ actions: ["s3:GetObject"], resources: reads })] : []),
      ...(access.writesDerived
        ? [new PolicyStatement({ actions: ["s3:PutObject"], resources: [objects(DERIVED_PREFIX)] })]
        : []),
    ];

    bus.addRules(stack, {
      [route.name]: {
        cdk: {
          rule: {
            description: route.description,
            // Passed through verbatim (CDK renders unknown keys such as "detail-type" and "$or" as
            // given); a copy, because CDK merges patterns in place.
            eventPattern: structuredClone(route.pattern) as EventPattern,
          },
        },
        targets: {
          [route.stage]: {
            function: {
              handler: `packages/functions/src/handlers/${route.stage}.handler`,
              description: `${route.name}: ${route.description}`.slice(0, 256),
              environment: {
                EVENT_BUS_NAME: bus.eventBusName,
                MEDIA_BUCKET: bucket.bucketName,
                STATE_TABLE: table.tableName,
              },
              permissions,
              ...functionDelivery(dlq),
            },
            cdk: { target: targetDelivery(dlq) },
          },
        },
      },
    });
    stack.addOutputs({ [`${pascal(route.name)}DeadLetterQueue`]: dlq.queueUrl });
  }
}
