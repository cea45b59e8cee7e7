import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { DERIVED_PREFIX, EVENT_SOURCE } from "@media-pipeline/core";
import { EventBus, getStack, use, type FunctionProps, type StackContext } from "sst/constructs";
import {
  TRANSCRIBE_JOB_PREFIX_ENV, transcriptionJobNameFilter, transcriptionJobPrefix,
} from "../packages/functions/src/adapters/transcribe/job-name.js";
import { humanLoopAccess, objectAccess, publishAccess, stateAccess, transcribeAccess } from "./access.js";
import { deadLetterQueue, functionDelivery, targetDelivery } from "./delivery.js";
import { HANDLERS } from "./handlers.js";
import { flowDefinitionArns, Review } from "./review.js";
import { eventSchemaRegistry } from "./schema-registry.js";
import { readSettings } from "./settings.js";
import { SIZES } from "./sizing.js";
import { REVIEW_OUTPUT_PREFIX, Storage, UPLOAD_PREFIX } from "./storage.js";

/**
 * The deployment's Transcribe job-name prefix (`<app>.<stage>.`): the transcribe stage names its jobs
 * with it, the completion rule selects them by it, and both completions drop other names.
 */
export const transcribeJobPrefix = (app: { name: string; stage: string }) => transcriptionJobPrefix(app.name, app.stage);

export function Bus({ stack, app }: StackContext) {
  const { bucket, table } = use(Storage);
  // Built here from the name known at synthesis, not imported: an import would pin the review stack's
  // export, and a changed template or work team could then never be deployed. Deployed after it, so
  // the flow definition the functions start loops on exists first.
  const review = use(Review);
  const flow = review.backend === "a2i" ? flowDefinitionArns(stack, review.names) : undefined;
  stack.addDependency(getStack(Review));
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

  // Transcribe reports COMPLETED/FAILED for every job in the account and region, other stages'
  // included: ours are `<app>.<stage>.<mediaId>-transcript`.
  const jobNamePrefix = transcribeJobPrefix(app);
  const transcribeDlq = forward(
    { rule: "transcribe-complete", target: "transcribeComplete", deadLetters: "TranscribeCompleteDeadLetters" },
    {
      source: ["aws.transcribe"],
      detailType: ["Transcribe Job State Change"],
      detail: { TranscriptionJobName: transcriptionJobNameFilter(jobNamePrefix) },
    },
    {
      handler: HANDLERS.transcribeComplete,
      description: "Transcribe Job State Change (default bus) → Transcript Ready (media bus)",
      // The handler re-checks the prefix (a second guard behind the rule's filter).
      environment: { ...environment, [TRANSCRIBE_JOB_PREFIX_ENV]: jobNamePrefix },
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

  // A2I reports every human loop in the account; ours run on a flow definition of this app and stage:
  // the current one, or one it replaced whose loops are still running (`prefix`, not the exact ARN).
  // Only with the A2I backend: the built-in review announces verdicts from its API (stacks/api.ts).
  const reviewDlq = flow && forward(
    { rule: "review-complete", target: "reviewComplete", deadLetters: "ReviewCompleteDeadLetters" },
    {
      source: ["aws.sagemaker"],
      detailType: ["SageMaker A2I HumanLoop Status Change"],
      detail: { flowDefinitionArn: [{ prefix: flow.arnPrefix }] },
    },
    {
      handler: HANDLERS.reviewComplete,
      description: "A2I HumanLoop Status Change (default bus) → Review Completed / re-queued loop / Stage Failed (media bus)",
      // The handler re-checks the prefix (a second guard behind the rule's filter), and re-queues a
      // failed loop on the current flow definition.
      environment: {
        ...environment, FLOW_DEFINITION_ARN: flow.arn, FLOW_DEFINITION_ARN_PREFIX: flow.arnPrefix,
        REVIEW_MAX_ATTEMPTS: String(settings.reviewMaxAttempts),
      },
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
        // Re-queues a failed loop (adapters/a2i/requeue.ts), on the current flow definition only.
        humanLoopAccess(flow.arn),
      ],
    },
  );

  stack.addOutputs({
    EventBusName: bus.eventBusName,
    IngestDeadLetterQueue: ingestDlq.queueUrl,
    TranscribeCompleteDeadLetterQueue: transcribeDlq.queueUrl,
    ...(reviewDlq ? { ReviewCompleteDeadLetterQueue: reviewDlq.queueUrl } : {}),
  });
  return { bus };
}
