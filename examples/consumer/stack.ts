import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { EventBus, type StackContext } from "sst/constructs";

/**
 * An example consumer: your own SST stack, in the media pipeline's account and region, subscribing to
 * `Analysis Completed` on the media bus. The bus is imported by name (the pipeline's `EventBusName`
 * output), so this stack deploys separately and owns only its rule, function and queue.
 *
 *   MEDIA_BUS_NAME=prod-media-pipeline-Media npx sst deploy --stage prod
 *
 * See README.md for another account.
 */
export const CONSUMER_HANDLER = "examples/consumer/on-analysis-completed.handler";

/** The events this consumer takes: version 1 of the detail (a v2 would be published beside it). */
export const ANALYSIS_COMPLETED_PATTERN = {
  source: ["media-pipeline"],
  detailType: ["Analysis Completed"],
  detail: { version: [1] },
};

export function MediaConsumer({ stack }: StackContext) {
  const busName = process.env.MEDIA_BUS_NAME?.trim();
  if (!busName) throw new Error("MEDIA_BUS_NAME is required: the media pipeline's EventBusName output");

  const mediaBus = new EventBus(stack, "MediaBus", {
    cdk: { eventBus: events.EventBus.fromEventBusName(stack, "ImportedMediaBus", busName) },
  });

  // Events EventBridge could not deliver after its retries, kept for a redrive.
  const deadLetters = new Queue(stack, "ConsumerDeadLetters", {
    retentionPeriod: Duration.days(14),
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });

  mediaBus.addRules(stack, {
    "analysis-completed": {
      pattern: ANALYSIS_COMPLETED_PATTERN,
      targets: {
        notify: {
          function: {
            handler: CONSUMER_HANDLER,
            description: "Example consumer: Analysis Completed (media bus)",
            memorySize: "256 MB",
            timeout: "30 seconds",
          },
          cdk: { target: { deadLetterQueue: deadLetters, retryAttempts: 185, maxEventAge: Duration.hours(24) } },
        },
      },
    },
  });

  stack.addOutputs({ ConsumerDeadLetterQueue: deadLetters.queueUrl });
}
