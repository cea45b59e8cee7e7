import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { EVENT_SOURCE } from "@media-pipeline/core";
import { EventBus, use, type StackContext } from "sst/constructs";
import { deadLetterQueue, functionDelivery, targetDelivery } from "./delivery.js";
import { Storage, UPLOAD_PREFIX } from "./storage.js";

export function Bus({ stack }: StackContext) {
  const { bucket } = use(Storage);

  // The media bus: every pipeline event, and the only place consumers subscribe.
  const bus = new EventBus(stack, "Media");

  // Everything the pipeline publishes, kept for replay after a bug fix or a new consumer.
  new events.Archive(stack, "MediaArchive", {
    sourceEventBus: bus.cdk.eventBus,
    description: "Every media-pipeline event, for replay",
    eventPattern: { source: [EVENT_SOURCE] },
    retention: Duration.days(90),
  });

  // S3 publishes "Object Created" on the default bus only; ingest forwards uploads as Media Received.
  const ingestDlq = deadLetterQueue(stack, "IngestDeadLetters");
  const defaultBus = new EventBus(stack, "DefaultBus", {
    cdk: { eventBus: events.EventBus.fromEventBusName(stack, "Default", "default") },
  });
  defaultBus.addRules(stack, {
    "ingest-uploads": {
      pattern: {
        source: ["aws.s3"],
        detailType: ["Object Created"],
        detail: {
          bucket: { name: [bucket.bucketName] },
          object: { key: [{ prefix: UPLOAD_PREFIX }] },
        },
      },
      targets: {
        ingest: {
          function: {
            handler: "packages/functions/src/handlers/ingest.handler",
            description: "S3 Object Created (default bus) → Media Received (media bus)",
            environment: { EVENT_BUS_NAME: bus.eventBusName },
            // Not `bind`: that grants events:* on the bus.
            permissions: [new PolicyStatement({ actions: ["events:PutEvents"], resources: [bus.eventBusArn] })],
            ...functionDelivery(ingestDlq),
          },
          cdk: { target: targetDelivery(ingestDlq) },
        },
      },
    },
  });

  stack.addOutputs({ EventBusName: bus.eventBusName, IngestDeadLetterQueue: ingestDlq.queueUrl });
  return { bus };
}
