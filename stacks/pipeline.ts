import { Duration } from "aws-cdk-lib";
import type { EventPattern } from "aws-cdk-lib/aws-events";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Topic as SnsTopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { routes, type StageName } from "@media-pipeline/core";
import { Function as SstFunction, getStack, Topic, use, type StackContext } from "sst/constructs";
import {
  bedrockAccess,
  humanLoopAccess,
  objectAccess,
  publishAccess,
  queueSendAccess,
  rekognitionAccess,
  rekognitionImageAccess,
  stateAccess,
  transcribeAccess,
} from "./access.js";
import { TRANSCRIBE_JOB_PREFIX_ENV } from "../packages/functions/src/adapters/transcribe/job-name.js";
import { Bus, transcribeJobPrefix } from "./bus.js";
import { deadLetterQueue, functionDelivery, targetDelivery } from "./delivery.js";
import { HANDLERS, stageHandler } from "./handlers.js";
import { flowDefinitionArns, Review } from "./review.js";
import { readSettings } from "./settings.js";
import { SIZES, visionFramesDiskSize, type SizeName } from "./sizing.js";
import { FFMPEG_ENV, ffmpegLayer } from "./ffmpeg-layer.js";
import { DERIVED_PREFIX, Storage, UPLOAD_PREFIX } from "./storage.js";

/** The AWS services a stage calls beyond S3, DynamoDB and the bus. */
type Service =
  | "rekognition-labels" | "rekognition-moderation" | "rekognition-segments" | "rekognition-text"
  | "rekognition-image-labels" | "rekognition-image-moderation" | "rekognition-image-text"
  | "transcribe" | "bedrock" | "review";

/**
 * What each stage may touch and how big its function is, named per stage so that a new stage cannot
 * compile without a decision. `bind` is avoided on purpose: it grants s3:*, dynamodb:* and events:*.
 */
interface StageAccess {
  /** Reads the upload under media/. */
  readsUpload: boolean;
  /** Reads result documents and derived media under derived/. */
  readsDerived: boolean;
  /** Writes under derived/. */
  writesDerived: boolean;
  /**
   * Asks whether a derived document exists (the stored review task, the review outcome), which
   * needs s3:ListBucket for S3 to answer 404 rather than 403 (see objectAccess).
   */
  probesDerived: boolean;
  /** Services the stage starts work in (the completion handlers collect the results). */
  calls: readonly Service[];
  size: SizeName;
}

const ACCESS: Record<StageName, StageAccess> = {
  // probe stores probe.json under derived/ for the joins.
  probe: { readsUpload: true, readsDerived: false, writesDerived: true, probesDerived: false, calls: [], size: "probe" },
  // Reads the upload through a presigned URL and writes the rendition (derived/<mediaId>/rendition.mp4).
  "prepare-video": { readsUpload: true, readsDerived: false, writesDerived: true, probesDerived: false, calls: [], size: "rendition" },
  "extract-audio": { readsUpload: true, readsDerived: false, writesDerived: true, probesDerived: false, calls: [], size: "ffmpeg" },
  // Rekognition reads the video with the caller's credentials, hence the reads: the upload, or the
  // rendition under derived/. Shots are Rekognition's segment detection (the completion takes keyframes).
  "detect-shots": { readsUpload: true, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["rekognition-segments"], size: "startJob" },
  "detect-labels": { readsUpload: true, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["rekognition-labels"], size: "startJob" },
  moderate: { readsUpload: true, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["rekognition-moderation"], size: "startJob" },
  "detect-text": { readsUpload: true, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["rekognition-text"], size: "startJob" },
  // Transcribe reads the audio and writes the transcript with the caller's credentials.
  transcribe: { readsUpload: false, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["transcribe"], size: "startJob" },
  // Reads the transcript, writes captions.vtt and captions.srt beside it.
  "make-captions": { readsUpload: false, readsDerived: true, writesDerived: true, probesDerived: false, calls: [], size: "light" },
  "summarize-scenes": { readsUpload: false, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["bedrock"], size: "llm" },
  // Reads the scenes, transcript and text documents; one Converse call per chapter and one for the whole.
  "summarize-media": { readsUpload: false, readsDerived: true, writesDerived: true, probesDerived: false, calls: ["bedrock"], size: "llm" },
  // Reads the upload to presign it for the reviewer's player; stores the review task (review-task.json),
  // reusing one a crashed attempt already stored.
  "request-review": { readsUpload: true, readsDerived: true, writesDerived: true, probesDerived: true, calls: ["review"], size: "light" },
  // Both reports read the review outcome (review.json), which exists only once a review has ended.
  "complete-analysis": { readsUpload: false, readsDerived: true, writesDerived: true, probesDerived: true, calls: [], size: "light" },
  "finalize-analysis": { readsUpload: false, readsDerived: true, writesDerived: true, probesDerived: true, calls: [], size: "light" },
};

/**
 * Frames mode (MEDIA_VISION_MODE=frames): detect-labels and moderate download the upload, sample it
 * with ffmpeg and call the Rekognition Image APIs themselves, so they are sized and layered like the
 * ffmpeg stages and may call only the image API they use. Same routes, same events.
 */
const FRAMES_ACCESS: Partial<Record<StageName, StageAccess>> = {
  "detect-labels": { readsUpload: true, readsDerived: false, writesDerived: true, probesDerived: false, calls: ["rekognition-image-labels"], size: "visionFrames" },
  moderate: { readsUpload: true, readsDerived: false, writesDerived: true, probesDerived: false, calls: ["rekognition-image-moderation"], size: "visionFrames" },
  "detect-text": { readsUpload: true, readsDerived: false, writesDerived: true, probesDerived: false, calls: ["rekognition-image-text"], size: "visionFrames" },
};

/** Sizes whose functions run ffmpeg/ffprobe, so get the layer and its architecture. */
const FFMPEG_SIZES: ReadonlySet<SizeName> = new Set(["ffmpeg", "probe", "visionFrames", "rendition"]);

/** PascalCase construct ids from kebab-case route names. */
const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/**
 * One EventBridge rule per route in core's table, with exactly the route's pattern and one Lambda
 * target running the route's stage. The route table is the only source of wiring: a new route shows
 * up here (and in the local runtime) without touching this file.
 *
 * Also the Rekognition side of the video jobs: the SNS topic Rekognition reports completion to, the
 * role it assumes to publish there, and the function that collects the results. They stay in frames
 * mode too, unused, so that video jobs started before a switch of mode still complete.
 */
export function Pipeline({ stack, app }: StackContext) {
  const { bucket, table } = use(Storage);
  const { bus } = use(Bus);
  // The flow definition request-review starts loops on, built here (not imported: see Bus), and
  // deployed after the review stack so that it exists before the functions use it.
  const review = use(Review);
  const flowDefinitionArn = review.backend === "a2i" ? flowDefinitionArns(stack, review.names).arn : undefined;
  stack.addDependency(getStack(Review));
  const settings = readSettings(stack);

  const baseEnv = {
    EVENT_BUS_NAME: bus.eventBusName, MEDIA_BUCKET: bucket.bucketName, STATE_TABLE: table.tableName,
    // The review band (MEDIA_REVIEW_MIN / MEDIA_FLAG_MIN), read by every function that decides moderation.
    REVIEW_MIN: String(settings.thresholds.reviewMin), FLAG_MIN: String(settings.thresholds.flagMin),
  };
  const ffmpeg = ffmpegLayer(stack);

  // Rekognition video jobs report completion on SNS (NotificationChannel), through a role it assumes.
  const rekognitionRole = new Role(stack, "RekognitionPublisher", {
    // Confused-deputy guard: only Rekognition acting for this account may assume it.
    assumedBy: new ServicePrincipal("rekognition.amazonaws.com", {
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
    description: "Assumed by Rekognition Video to publish job completion to the pipeline's topic",
  });
  // Created with CDK and handed to SST's Topic, so that the role can be granted on it first.
  const topic = new SnsTopic(stack, "RekognitionJobsTopic", { displayName: "Rekognition video job completions" });
  topic.grantPublish(rekognitionRole); // sns:Publish on this topic, nothing else
  const rekognitionEnv = { REKOGNITION_TOPIC_ARN: topic.topicArn, REKOGNITION_ROLE_ARN: rekognitionRole.roleArn };

  const rekognitionDlq = deadLetterQueue(stack, "RekognitionCompleteDeadLetters");
  new Topic(stack, "RekognitionJobs", {
    cdk: { topic },
    subscribers: {
      rekognitionComplete: {
        function: {
          handler: HANDLERS.rekognitionComplete,
          description: "Rekognition video job completion (SNS) → Labels Detected / Moderation Completed / Shots Detected",
          // ffmpeg takes the shots' keyframes from the video (seeking its presigned URL).
          environment: { ...baseEnv, ...rekognitionEnv, ...FFMPEG_ENV },
          permissions: [
            publishAccess(bus.eventBusArn),
            // Also takes the oldest start from the Rekognition backlog (Query + conditional DeleteItem;
            // PutItem when the limit is hit again).
            stateAccess(table.tableArn, { release: true }),
            // Collects results, and starts the backlogged job each completion releases (any kind).
            ...rekognitionAccess(["labels", "moderation", "segments", "text"], { start: true, get: true }, rekognitionRole),
            // Reads the probe and the video (upload or rendition) for keyframes, which it writes under derived/frames/.
            ...objectAccess(bucket.bucketArn, { read: [UPLOAD_PREFIX, DERIVED_PREFIX], write: [DERIVED_PREFIX] }),
          ],
          ...SIZES.videoCollect,
          architecture: "x86_64",
          layers: [ffmpeg],
          ...functionDelivery(rekognitionDlq),
        },
        // SNS retries delivery to Lambda, then keeps the message here.
        cdk: { subscription: { deadLetterQueue: rekognitionDlq } },
      },
    },
  });

  // Transcribe's state-change event is best effort: the transcribe stage also queues a delayed check
  // (DelaySeconds, default 900) that looks the job up, re-queues itself while the job runs and fails
  // the stage after the maximum age (default 5 h). Not a dead-letter queue: it has no alarm of its
  // own, but a message that fails maxReceiveCount times moves to one that has.
  const transcribeCheckDlq = deadLetterQueue(stack, "TranscribeCheckDeadLetters");
  const transcribeCheckQueue = new Queue(stack, "TranscribeCheckQueue", {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // AWS advises at least six times the consumer's timeout (SIZES.collect: 5 minutes).
    visibilityTimeout: Duration.minutes(30),
    deadLetterQueue: { queue: transcribeCheckDlq, maxReceiveCount: 5 },
  });
  // The stage names jobs with the deployment's prefix; the check drops a job without it.
  const transcribeCheckEnv = { TRANSCRIBE_CHECK_QUEUE_URL: transcribeCheckQueue.queueUrl, [TRANSCRIBE_JOB_PREFIX_ENV]: transcribeJobPrefix(app) };
  const transcribeCheck = new SstFunction(stack, "TranscribeCheck", {
    handler: HANDLERS.transcribeCheck,
    description: "Transcribe job check (SQS, delayed) → Transcript Ready / Stage Failed, or a later check",
    environment: { ...baseEnv, ...transcribeCheckEnv },
    permissions: [
      publishAccess(bus.eventBusArn),
      stateAccess(table.tableArn),
      transcribeAccess({ start: false, get: true }),
      // Reads the transcript Transcribe wrote under derived/; the document built from it goes there too.
      ...objectAccess(bucket.bucketArn, { read: [DERIVED_PREFIX], write: [DERIVED_PREFIX] }),
      // Re-queues the check while the job runs.
      queueSendAccess(transcribeCheckQueue.queueArn),
    ],
    ...SIZES.collect,
  });
  // One bad message is reported alone (batchItemFailures) instead of redelivering the whole batch.
  transcribeCheck.addEventSource(new SqsEventSource(transcribeCheckQueue, { batchSize: 10, reportBatchItemFailures: true }));

  const serviceAccess = (service: Service): PolicyStatement[] => {
    switch (service) {
      case "rekognition-labels":
        return rekognitionAccess(["labels"], { start: true, get: false }, rekognitionRole);
      case "rekognition-moderation":
        return rekognitionAccess(["moderation"], { start: true, get: false }, rekognitionRole);
      case "rekognition-segments":
        return rekognitionAccess(["segments"], { start: true, get: false }, rekognitionRole);
      case "rekognition-text":
        return rekognitionAccess(["text"], { start: true, get: false }, rekognitionRole);
      case "rekognition-image-labels":
        return [rekognitionImageAccess(["labels"])];
      case "rekognition-image-moderation":
        return [rekognitionImageAccess(["moderation"])];
      case "rekognition-image-text":
        return [rekognitionImageAccess(["text"])];
      case "transcribe":
        return [transcribeAccess({ start: true, get: false }), queueSendAccess(transcribeCheckQueue.queueArn)];
      case "bedrock":
        return [bedrockAccess(stack, settings.bedrockModelId)];
      case "review":
        // Opens the task: an A2I human loop, or a conditional put into the built-in review's table.
        return review.backend === "a2i"
          ? [humanLoopAccess(flowDefinitionArn!)]
          : [new PolicyStatement({ actions: ["dynamodb:PutItem"], resources: [review.table.tableArn] })];
    }
  };
  const serviceEnv = (service: Service): Record<string, string> => {
    switch (service) {
      case "rekognition-labels":
      case "rekognition-moderation":
      case "rekognition-segments":
      case "rekognition-text":
        return rekognitionEnv;
      case "rekognition-image-labels":
      case "rekognition-image-moderation":
      case "rekognition-image-text":
        return { VISION_MODE: "frames", FRAME_SAMPLE_SECONDS: String(settings.frameSampleSeconds) };
      case "transcribe":
        return transcribeCheckEnv;
      case "bedrock":
        // Keyframes go to the model only when it is on the image allow-list (stacks/settings.ts).
        return { BEDROCK_MODEL_ID: settings.bedrockModelId, BEDROCK_ACCEPTS_IMAGES: String(settings.bedrockAcceptsImages) };
      case "review":
        return review.backend === "a2i"
          ? { REVIEW_BACKEND: "a2i", FLOW_DEFINITION_ARN: flowDefinitionArn! }
          : { REVIEW_BACKEND: "builtin", REVIEW_TABLE: review.table.tableName };
    }
  };

  for (const route of routes) {
    const access = (settings.visionMode === "frames" && FRAMES_ACCESS[route.stage]) || ACCESS[route.stage];
    const ffmpegStage = FFMPEG_SIZES.has(access.size);
    const dlq = deadLetterQueue(stack, `${pascal(route.name)}DeadLetters`);
    const permissions = [
      // Every stage publishes its outcome (or Stage Failed) on the media bus…
      publishAccess(bus.eventBusArn),
      // …and records (mediaId, stage) progress with conditional writes.
      stateAccess(table.tableArn),
      ...objectAccess(bucket.bucketArn, {
        read: [...(access.readsUpload ? [UPLOAD_PREFIX] : []), ...(access.readsDerived ? [DERIVED_PREFIX] : [])],
        write: access.writesDerived ? [DERIVED_PREFIX] : [],
        probe: access.probesDerived,
      }),
      ...access.calls.flatMap(serviceAccess),
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
              handler: stageHandler(route.stage),
              description: `${route.name}: ${route.description}`.slice(0, 256),
              environment: { ...baseEnv, ...Object.assign({}, ...access.calls.map(serviceEnv)), ...(ffmpegStage ? FFMPEG_ENV : {}) },
              permissions,
              ...SIZES[access.size],
              // Frames mode's /tmp grows with the deployment's sampling interval (stacks/sizing.ts).
              ...(access.size === "visionFrames" ? { diskSize: visionFramesDiskSize(settings.frameSampleSeconds) } : {}),
              // The ffmpeg stages get the static binaries as a layer, on the architecture they are built for.
              ...(ffmpegStage ? { architecture: "x86_64" as const, layers: [ffmpeg] } : {}),
              ...functionDelivery(dlq),
            },
            cdk: { target: targetDelivery(dlq) },
          },
        },
      },
    });
    stack.addOutputs({ [`${pascal(route.name)}DeadLetterQueue`]: dlq.queueUrl });
  }

  stack.addOutputs({
    RekognitionTopicArn: topic.topicArn,
    RekognitionRoleArn: rekognitionRole.roleArn,
    RekognitionCompleteDeadLetterQueue: rekognitionDlq.queueUrl,
    TranscribeCheckQueue: transcribeCheckQueue.queueUrl,
    TranscribeCheckDeadLetterQueue: transcribeCheckDlq.queueUrl,
  });
  return { rekognitionTopic: topic, rekognitionRole };
}
