import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SageMakerA2IRuntimeClient } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { TranscribeClient } from "@aws-sdk/client-transcribe";
import { DEFAULT_FRAME_SAMPLE_SECONDS, DEFAULT_THRESHOLDS, parseThresholds, type BlobStore, type ModerationThresholds, type Publish, type StateStore, type VisionMode } from "@media-pipeline/core";
import { DEFAULT_REVIEW_MAX_ATTEMPTS, REVIEW_MAX_ATTEMPTS_LIMIT } from "./adapters/a2i/requeue.js";
import { createDynamoStateStore } from "./adapters/dynamodb-state-store.js";
import { createEventBridgePublish } from "./adapters/eventbridge-publish.js";
import { createS3BlobStore } from "./adapters/s3-blob-store.js";
import { createS3Workspace, type S3Workspace } from "./adapters/s3-workspace.js";
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
  FLOW_DEFINITION_ARN?: string;
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
  blobs: BlobStore;
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
  limits: (c: Cloud) => ({
    maxBytes: number(c.env, "MAX_BYTES", 10 * 1024 ** 3),
    maxDurationMs: number(c.env, "MAX_DURATION_SECONDS", 6 * 3600) * 1000,
  }),
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
