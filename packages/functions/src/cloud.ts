import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SageMakerA2IRuntimeClient } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { TranscribeClient } from "@aws-sdk/client-transcribe";
import {
  DEFAULT_FRAME_SAMPLE_SECONDS, DEFAULT_THRESHOLDS, MAX_MEDIA_DURATION_MS, MAX_UPLOAD_BYTES, parseThresholds, transcodeBudgetCpuMs, TRANSCRIBE_MAX_DURATION_MS,
  type BlobStore, type ModerationThresholds, type Publish, type StateStore, type TextFileStore, type VisionMode,
} from "@media-pipeline/core";
import { DEFAULT_REVIEW_MAX_ATTEMPTS, REVIEW_MAX_ATTEMPTS_LIMIT } from "./adapters/a2i/requeue.js";
import { createDynamoStateStore } from "./adapters/dynamodb-state-store.js";
import { createEventBridgePublish } from "./adapters/eventbridge-publish.js";
import { createS3BlobStore } from "./adapters/s3-blob-store.js";
import { createS3Workspace, type S3Workspace } from "./adapters/s3-workspace.js";
import { checkPrefix } from "./adapters/transcribe/job-name.js";
import { ConfigurationError } from "./errors.js";

/**
 * The functions' environment, set by `stacks/`. Every function needs the first three; the others
 * only where a stage uses them, and a stage that needs one that is missing fails at cold start.
 */
export interface CloudEnv {
  EVENT_BUS_NAME: string;
  MEDIA_BUCKET: string;
  STATE_TABLE: string;
  REKOGNITION_TOPIC_ARN?: string;
  REKOGNITION_ROLE_ARN?: string;
  REKOGNITION_MIN_CONFIDENCE?: string;
  /**
   * How detect-labels and moderate see the video: `video` (default) starts Rekognition Video jobs;
   * `frames` samples frames with ffmpeg in the stage's Lambda and calls the Rekognition Image APIs.
   */
  VISION_MODE?: string;
  /** Frames mode: one frame every this many seconds inside a shot (0.5–60, default 2), plus each cut's keyframe. */
  FRAME_SAMPLE_SECONDS?: string;
  BEDROCK_MODEL_ID?: string;
  BEDROCK_ACCEPTS_IMAGES?: string;
  /** Where request-review opens a task: `builtin` (default, REVIEW_TABLE) or `a2i` (FLOW_DEFINITION_ARN). */
  REVIEW_BACKEND?: string;
  /** The built-in review's table (adapters/review-table). */
  REVIEW_TABLE?: string;
  FLOW_DEFINITION_ARN?: string;
  /**
   * The review completion: the ARN prefix of every flow definition of this app and stage
   * (`…:flow-definition/<stage>-<app>-review-flow-`), so loops on a replaced one still complete.
   */
  FLOW_DEFINITION_ARN_PREFIX?: string;
  /** Human loops a review may use in all before a failed one ends it (see adapters/a2i/requeue.ts). */
  REVIEW_MAX_ATTEMPTS?: string;
  MAX_SPEAKERS?: string;
  LANGUAGE?: string;
  REVIEW_MIN?: string;
  FLAG_MIN?: string;
  MAX_BYTES?: string;
  MAX_DURATION_SECONDS?: string;
  /** The delayed-check queue of the transcribe stage (the state-change event is best effort). */
  TRANSCRIBE_CHECK_QUEUE_URL?: string;
  /** Seconds between checks of a running transcription job (0–900, SQS's DelaySeconds range). */
  TRANSCRIBE_CHECK_DELAY_SECONDS?: string;
  /** Seconds after the job started at which a still-running job fails the stage as timed out. */
  TRANSCRIBE_CHECK_MAX_AGE_SECONDS?: string;
  /**
   * The deployment's transcription job-name prefix (`<app>.<stage>.`, adapters/transcribe/job-name.ts):
   * the transcribe stage names its jobs with it, and both completions drop jobs without it.
   */
  TRANSCRIBE_JOB_PREFIX?: string;
}

/** The AWS clients, injectable so handler tests can run with mocked ones. */
export interface CloudClients {
  s3: S3Client;
  dynamo: DynamoDBClient;
  events: EventBridgeClient;
  rekognition: RekognitionClient;
  transcribe: TranscribeClient;
  bedrock: BedrockRuntimeClient;
  a2i: SageMakerA2IRuntimeClient;
  /** Only the transcribe stage and its delayed check use SQS. */
  sqs?: SQSClient;
}

export interface Cloud {
  env: CloudEnv;
  clients: CloudClients;
  state: StateStore;
  blobs: BlobStore & TextFileStore;
  publish: Publish;
  workspace: S3Workspace;
  thresholds: ModerationThresholds;
  /** A setting a stage cannot run without. */
  require(name: keyof CloudEnv): string;
}

function number(env: CloudEnv, name: keyof CloudEnv, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigurationError(`${name} must be a number, got "${raw}"`, [`${name}: not a number`]);
  return n;
}

export const settings = {
  maxSpeakers: (c: Cloud) => number(c.env, "MAX_SPEAKERS", 4),
  language: (c: Cloud) => c.env.LANGUAGE || "en-US",
  minConfidence: (c: Cloud) => number(c.env, "REKOGNITION_MIN_CONFIDENCE", 50),
  /**
   * Moderation asks Rekognition down to the review band's floor: a band set below the labels' 50
   * (MEDIA_REVIEW_MIN) must see the segments it is meant to review, not have them cut at the source.
   */
  moderationMinConfidence: (c: Cloud) => Math.min(number(c.env, "REKOGNITION_MIN_CONFIDENCE", 50), c.thresholds.reviewMin),
  /**
   * Text: words read below 80 are mostly noise (Rekognition's own default for text filters); labels'
   * 50 would fill the report with misread background. The local OCR has its own floor.
   */
  textMinConfidence: (_c: Cloud) => 80,
  /** A typo must not silently fall back to the dearer video jobs (or to frames). */
  visionMode: (c: Cloud): VisionMode => {
    const mode = c.env.VISION_MODE?.trim() || "video";
    if (mode !== "video" && mode !== "frames") {
      throw new ConfigurationError(`VISION_MODE must be "video" or "frames", got "${mode}"`, ["VISION_MODE: not video or frames"]);
    }
    return mode;
  },
  /** Frames mode's sampling interval in ms; the same bounds stacks/settings.ts checks at synthesis. */
  frameSampleMs: (c: Cloud) => {
    const s = number(c.env, "FRAME_SAMPLE_SECONDS", DEFAULT_FRAME_SAMPLE_SECONDS);
    if (!(s >= 0.5 && s <= 60)) {
      throw new ConfigurationError(`FRAME_SAMPLE_SECONDS must be 0.5–60 seconds, got ${s}`, ["FRAME_SAMPLE_SECONDS: out of range"]);
    }
    return Math.round(s * 1000);
  },
  /**
   * Probe's limits: core's by default (packages/core/src/policy/limits.ts). A deployment may lower
   * them, never raise them: the functions' /tmp is sized for exactly these.
   */
  limits: (c: Cloud) => {
    const maxBytes = number(c.env, "MAX_BYTES", MAX_UPLOAD_BYTES);
    const maxDurationMs = number(c.env, "MAX_DURATION_SECONDS", MAX_MEDIA_DURATION_MS / 1000) * 1000;
    const issues = [
      ...(maxBytes > 0 && maxBytes <= MAX_UPLOAD_BYTES ? [] : [`MAX_BYTES: ${maxBytes} is not 1–${MAX_UPLOAD_BYTES} (the functions' /tmp is sized for ${MAX_UPLOAD_BYTES})`]),
      ...(maxDurationMs > 0 && maxDurationMs <= MAX_MEDIA_DURATION_MS ? [] : [`MAX_DURATION_SECONDS: ${maxDurationMs / 1000} is not 1–${MAX_MEDIA_DURATION_MS / 1000}`]),
    ];
    if (issues.length) throw new ConfigurationError(`Invalid limits: ${issues.join("; ")}`, issues);
    // The services' own limits (policy/rekognition-input.ts): Transcribe's 4 h per job, and the
    // transcode into a Rekognition-ready rendition that fits the prepare-video function.
    return { maxBytes, maxDurationMs, maxSpeechDurationMs: TRANSCRIBE_MAX_DURATION_MS, maxTranscodeCpuMs: transcodeBudgetCpuMs() };
  },
  /** Default 900 s, SQS's maximum DelaySeconds. */
  transcribeCheckDelaySeconds: (c: Cloud) => {
    const n = number(c.env, "TRANSCRIBE_CHECK_DELAY_SECONDS", 900);
    if (!Number.isInteger(n) || n < 0 || n > 900) {
      throw new ConfigurationError(`TRANSCRIBE_CHECK_DELAY_SECONDS must be a whole number of seconds 0–900, got ${n}`, ["TRANSCRIBE_CHECK_DELAY_SECONDS: out of range"]);
    }
    return n;
  },
  /** Default 3: the first loop and two re-queued ones. A typo must not silently disable re-queueing. */
  reviewMaxAttempts: (c: Cloud) => {
    const n = number(c.env, "REVIEW_MAX_ATTEMPTS", DEFAULT_REVIEW_MAX_ATTEMPTS);
    if (!Number.isInteger(n) || n < 1 || n > REVIEW_MAX_ATTEMPTS_LIMIT) {
      throw new ConfigurationError(`REVIEW_MAX_ATTEMPTS must be a whole number 1–${REVIEW_MAX_ATTEMPTS_LIMIT}, got ${n}`, ["REVIEW_MAX_ATTEMPTS: out of range"]);
    }
    return n;
  },
  /**
   * Required where jobs are named or collected: without it this deployment would name its jobs as
   * another one does, and collect the other's transcripts.
   */
  transcribeJobPrefix: (c: Cloud) => {
    const prefix = c.require("TRANSCRIBE_JOB_PREFIX");
    try {
      checkPrefix(prefix);
    } catch (cause) {
      throw new ConfigurationError(`TRANSCRIBE_JOB_PREFIX: ${(cause as Error).message}`, ["TRANSCRIBE_JOB_PREFIX: invalid"], { cause });
    }
    return prefix;
  },
  /** Default 5 h: Transcribe's 4 h job limit plus a margin. */
  transcribeCheckMaxAgeMs: (c: Cloud) => number(c.env, "TRANSCRIBE_CHECK_MAX_AGE_SECONDS", 5 * 3600) * 1000,
};

/**
 * Builds clients and adapters once per cold start (outside the handler), so warm invocations reuse
 * connections. Reading the environment here makes a missing variable fail at cold start.
 * @example const cloud = createCloud(process.env)
 */
export function createCloud(rawEnv: Record<string, string | undefined>, clients?: Partial<CloudClients>): Cloud {
  const missing = (["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE"] as const).filter((k) => !rawEnv[k]?.trim());
  if (missing.length) throw new ConfigurationError(`Invalid function environment: ${missing.join(", ")} missing`, missing.map((m) => `${m}: missing`));
  const env = rawEnv as unknown as CloudEnv;
  const all: CloudClients = {
    s3: clients?.s3 ?? new S3Client({}),
    dynamo: clients?.dynamo ?? new DynamoDBClient({}),
    events: clients?.events ?? new EventBridgeClient({}),
    rekognition: clients?.rekognition ?? new RekognitionClient({}),
    transcribe: clients?.transcribe ?? new TranscribeClient({}),
    bedrock: clients?.bedrock ?? new BedrockRuntimeClient({}),
    a2i: clients?.a2i ?? new SageMakerA2IRuntimeClient({}),
    sqs: clients?.sqs ?? new SQSClient({}),
  };
  let thresholds: ModerationThresholds;
  try {
    thresholds = parseThresholds({ reviewMin: env.REVIEW_MIN, flagMin: env.FLAG_MIN }, DEFAULT_THRESHOLDS);
  } catch (cause) {
    throw new ConfigurationError((cause as Error).message, [(cause as Error).message], { cause });
  }
  return {
    env,
    clients: all,
    state: createDynamoStateStore({ client: all.dynamo, tableName: env.STATE_TABLE }),
    blobs: createS3BlobStore(all.s3),
    publish: createEventBridgePublish({ client: all.events, eventBusName: env.EVENT_BUS_NAME }),
    workspace: createS3Workspace({ s3: all.s3 }),
    thresholds,
    require(name) {
      const v = env[name];
      if (!v) throw new ConfigurationError(`${name} is required by this function but not set`, [`${name}: missing`]);
      return v;
    },
  };
}
