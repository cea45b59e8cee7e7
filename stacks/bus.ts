import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { DERIVED_PREFIX, EVENT_SOURCE } from "@media-pipeline/core";
import { EventBus, use, type FunctionProps, type StackContext } from "sst/constructs";
import { humanLoopAccess, objectAccess, publishAccess, stateAccess, transcribeAccess } from "./access.js";
import { deadLetterQueue, functionDelivery, targetDelivery } from "./delivery.js";
import { HANDLERS } from "./handlers.js";
import { Review } from "./review.js";
import { eventSchemaRegistry } from "./schema-registry.js";
import { readSettings } from "./settings.js";
import { SIZES } from "./sizing.js";
import { REVIEW_OUTPUT_PREFIX, Storage, UPLOAD_PREFIX } from "./storage.js";

/** Transcribe job names end with this (the adapter names jobs `<mediaId>-transcript`). */
export const TRANSCRIPTION_JOB_SUFFIX = "-transcript";

export function Bus({ stack, app }: StackContext) {
  const { bucket, table } = use(Storage);
  const { flowDefinitionArn } = use(Review);
  const settings = readSettings(stack);

  // The media bus: every pipeline event, and the only place consumers subscribe.
  const bus = new EventBus(stack, "Media");

  // Everything the pipeline publishes, kept for replay after a bug fix or a new consumer.
  new events.Archive(stack, "MediaArchive", {
    sourceEventBus: bus.cdk.eventBus,
    description: "Every media-pipeline event, for replay",
    eventPattern: { source: [EVENT_SOURCE] },
    retention: Duration.days(90),
  });

  // The catalog's schemas, for consumers' code bindings.
  eventSchemaRegistry(stack, app.logicalPrefixedName("events"));

  // AWS services publish on the default bus only. These rules bring their events to a function that
  // turns each into a media-pipeline event on the media bus.
  const defaultBus = new EventBus(stack, "DefaultBus", {
    cdk: { eventBus: events.EventBus.fromEventBusName(stack, "Default", "default") },
  });
  const environment = { EVENT_BUS_NAME: bus.eventBusName, MEDIA_BUCKET: bucket.bucketName, STATE_TABLE: table.tableName };
  // Construct ids are kept as first deployed (the ingest rule predates the others): a changed id
  // replaces the function and its queue.
  const forward = (
    ids: { rule: string; target: string; deadLetters: string },
    pattern: { source: string[]; detailType: string[]; detail: Record<string, unknown> },
    fn: FunctionProps & { handler: string; description: string },
  ) => {
    const dlq = deadLetterQueue(stack, ids.deadLetters);
    defaultBus.addRules(stack, {
      [ids.rule]: {
        pattern,
        targets: { [ids.target]: { function: { ...fn, ...functionDelivery(dlq) }, cdk: { target: targetDelivery(dlq) } } },
      },
    });
    return dlq;
  };

  // S3 publishes "Object Created" for uploads; ingest forwards them as Media Received.
  const ingestDlq = forward(
    { rule: "ingest-uploads", target: "ingest", deadLetters: "IngestDeadLetters" },
    {
      source: ["aws.s3"],
      detailType: ["Object Created"],
      detail: { bucket: { name: [bucket.bucketName] }, object: { key: [{ prefix: UPLOAD_PREFIX }] } },
    },
    {
      handler: HANDLERS.ingest,
      description: "S3 Object Created (default bus) → Media Received (media bus)",
      environment: { EVENT_BUS_NAME: bus.eventBusName },
      ...SIZES.light,
      // Not `bind`: that grants events:* on the bus.
      permissions: [publishAccess(bus.eventBusArn)],
    },
  );

  // Transcribe reports COMPLETED/FAILED for every job in the account; ours end in "-transcript".
  const transcribeDlq = forward(
    { rule: "transcribe-complete", target: "transcribeComplete", deadLetters: "TranscribeCompleteDeadLetters" },
    {
      source: ["aws.transcribe"],
      detailType: ["Transcribe Job State Change"],
      detail: { TranscriptionJobName: [{ suffix: TRANSCRIPTION_JOB_SUFFIX }] },
    },
    {
      handler: HANDLERS.transcribeComplete,
      description: "Transcribe Job State Change (default bus) → Transcript Ready (media bus)",
      environment,
      ...SIZES.collect,
      permissions: [
        publishAccess(bus.eventBusArn),
        stateAccess(table.tableArn),
        transcribeAccess({ start: false, get: true }),
        // Transcribe writes the transcript under derived/; the document built from it goes there too.
        ...objectAccess(bucket.bucketArn, { read: [DERIVED_PREFIX], write: [DERIVED_PREFIX] }),
      ],
    },
  );

  // A2I reports every human loop in the account; ours run on our flow definition.
  const reviewDlq = forward(
    { rule: "review-complete", target: "reviewComplete", deadLetters: "ReviewCompleteDeadLetters" },
    {
      source: ["aws.sagemaker"],
      detailType: ["SageMaker A2I HumanLoop Status Change"],
      detail: { flowDefinitionArn: [flowDefinitionArn] },
    },
    {
      handler: HANDLERS.reviewComplete,
      description: "A2I HumanLoop Status Change (default bus) → Review Completed / re-queued loop / Stage Failed (media bus)",
      // The handler re-checks the flow definition (a second guard behind the rule's filter).
      environment: { ...environment, FLOW_DEFINITION_ARN: flowDefinitionArn, REVIEW_MAX_ATTEMPTS: String(settings.reviewMaxAttempts) },
      ...SIZES.light,
      permissions: [
        publishAccess(bus.eventBusArn),
        stateAccess(table.tableArn),
        // The reviewer's answers (output.json), the stored review task, and the outcome it writes
        // (review.json, probed for a stale notice). A re-queued loop's input presigns the upload
        // and the keyframes, which only works for objects this role may read.
        ...objectAccess(bucket.bucketArn, {
          read: [REVIEW_OUTPUT_PREFIX, DERIVED_PREFIX, UPLOAD_PREFIX], write: [DERIVED_PREFIX], probe: true,
        }),
        // Re-queues a failed loop (adapters/a2i/requeue.ts), on our flow definition only.
        humanLoopAccess(flowDefinitionArn),
      ],
    },
  );

  stack.addOutputs({
    EventBusName: bus.eventBusName,
    IngestDeadLetterQueue: ingestDlq.queueUrl,
    TranscribeCompleteDeadLetterQueue: transcribeDlq.queueUrl,
    ReviewCompleteDeadLetterQueue: reviewDlq.queueUrl,
  });
  return { bus };
}
