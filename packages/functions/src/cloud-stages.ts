import {
  createCompleteAnalysis, createDetectShots, createExtractAudio, createFinalizeAnalysis, createProbe, createRequestReview,
  createStartTranscription, createStartVisionJob, createSummarizeScenes,
  type AudioExtractor, type MediaProber, type ObjectRef, type ShotDetector, type StageHandler, type StageName,
} from "@media-pipeline/core";
import { createFfmpegAudioExtractor, createFfmpegFrameSource, createFfmpegShotDetector, createFfprobeProber } from "@media-pipeline/local/media";
import { createExtractiveSummarizer } from "@media-pipeline/local/summarize";
import { createBedrockSummarizer } from "./adapters/bedrock/index.js";
import { createDynamoBacklog, videoJobStarter } from "./adapters/rekognition/dynamodb-backlog.js";
import { startOrBacklog } from "./adapters/rekognition/index.js";
import { startTranscription } from "./adapters/transcribe/index.js";
import { settings, type Cloud } from "./cloud.js";
import { cloudReviewQueue } from "./cloud-review.js";
import { createSceneKeyframes, withSceneKeyframes } from "./scene-keyframes.js";
import { createTranscribeCheckSender } from "./transcribe-check.js";

/** Where the shot pass writes keyframes and samples: under derived/, which the lifecycle rule expires. */
export const FRAMES_PREFIX = "derived/frames";

/*
 * The ffmpeg stages run the same modules as the local runtime, on files: the S3 workspace streams the
 * source to /tmp first and streams what they write back to the same keys afterwards.
 */

function workspaceProber(cloud: Cloud): MediaProber {
  const prober = createFfprobeProber({ pathOf: cloud.workspace.pathOf });
  return {
    async probe(source, limits) {
      await cloud.workspace.fetch(source);
      return prober.probe(source, limits);
    },
  };
}

function workspaceExtractor(cloud: Cloud): AudioExtractor {
  const extractor = createFfmpegAudioExtractor({ pathOf: cloud.workspace.pathOf });
  return {
    async extract(source, target, onProgress) {
      await cloud.workspace.fetch(source);
      const result = await extractor.extract(source, target, onProgress);
      await cloud.workspace.push(target, "audio/wav");
      return result;
    },
  };
}

function workspaceShots(cloud: Cloud): ShotDetector {
  const bucket = cloud.env.MEDIA_BUCKET;
  const frames = createFfmpegFrameSource({ pathOf: cloud.workspace.pathOf, bucket, prefix: FRAMES_PREFIX });
  const detector = createFfmpegShotDetector({ frames });
  return {
    async detect(input, onProgress) {
      await cloud.workspace.fetch(input.source);
      const doc = await detector.detect(input, onProgress);
      await cloud.workspace.pushTree({ bucket, key: `${FRAMES_PREFIX}/${input.mediaId}` });
      return doc;
    },
  };
}

/** What both reports need: the first (complete-analysis) and the final one (finalize-analysis). */
function reportDeps(cloud: Cloud) {
  return {
    state: cloud.state, publish: cloud.publish, blobs: cloud.blobs, now: () => new Date(),
    keyframeUri: (ref: ObjectRef) => `s3://${ref.bucket}/${ref.key}`,
  };
}

/**
 * One stage's handler for its Lambda, built from core's factory and the cloud adapters. Vision and
 * transcription start asynchronous jobs here; their completion handlers collect the results.
 * @example export const handler = lambdaFor(createCloudStage(cloud, "probe"))
 */
export function createCloudStage(cloud: Cloud, stage: StageName): StageHandler {
  const deps = { state: cloud.state, publish: cloud.publish };
  const bucket = cloud.env.MEDIA_BUCKET;
  switch (stage) {
    case "probe":
      return createProbe({ ...deps, prober: workspaceProber(cloud), blobs: cloud.blobs, limits: settings.limits(cloud) });
    case "extract-audio":
      return createExtractAudio({ ...deps, extractor: workspaceExtractor(cloud) });
    case "detect-shots":
      return createDetectShots({ ...deps, detector: workspaceShots(cloud), blobs: cloud.blobs });
    case "detect-labels":
    case "moderate": {
      const notification = { snsTopicArn: cloud.require("REKOGNITION_TOPIC_ARN"), roleArn: cloud.require("REKOGNITION_ROLE_ARN") };
      const kind = stage === "detect-labels" ? "labels" : "moderation";
      // At Rekognition's concurrent-job limit the start waits in the backlog and the stage stays
      // running: a completion releases it (completions.ts), and its own completion collects it.
      const backlog = createDynamoBacklog({ client: cloud.clients.dynamo, tableName: cloud.env.STATE_TABLE });
      const start = videoJobStarter(cloud.clients.rekognition);
      return createStartVisionJob({
        ...deps, stage,
        start: async ({ mediaId, source }) => void (await startOrBacklog(start, backlog, { kind, mediaId, source, minConfidence: settings.minConfidence(cloud), notification })),
      });
    }
    case "transcribe": {
      const check = createTranscribeCheckSender(cloud);
      return createStartTranscription({
        ...deps, maxSpeakers: settings.maxSpeakers(cloud), language: settings.language(cloud),
        start: async (input) => {
          const { jobName } = await startTranscription(cloud.clients.transcribe, { ...input, outputBucket: bucket });
          // The state-change event is best effort: a delayed check looks the job up. Also sent for a
          // duplicate start, which is how a retry after a failed send gets its check.
          await check({ mediaId: input.mediaId, jobName, attempt: 1, startedAt: new Date().toISOString() });
        },
      });
    }
    case "summarize-scenes": {
      const modelId = cloud.require("BEDROCK_MODEL_ID");
      const acceptsImages = cloud.env.BEDROCK_ACCEPTS_IMAGES === "true";
      const fallback = createExtractiveSummarizer();
      // Built per event: the keyframe loader must know the media (summarize() gets scenes only), and
      // its cache of the shots document lives for one invocation.
      return (event, ctx) => {
        const load = createSceneKeyframes({ state: cloud.state, blobs: cloud.blobs, s3: cloud.clients.s3, mediaId: event.detail.mediaId });
        const summarizer = withSceneKeyframes(load, (keyframes) => createBedrockSummarizer({
          client: cloud.clients.bedrock, modelId, maxRetries: 3, acceptsImages, fallback, ...(acceptsImages ? { keyframes } : {}),
        }));
        return createSummarizeScenes({ ...deps, blobs: cloud.blobs, summarizer })(event, ctx);
      };
    }
    case "request-review":
      // Core builds the task and stores it at derived/<mediaId>/review-task.json before opening it,
      // which is where the review completion reads it back to re-queue a failed loop.
      return createRequestReview({ ...deps, blobs: cloud.blobs, now: () => new Date(), queue: cloudReviewQueue(cloud) });
    case "complete-analysis":
      return createCompleteAnalysis(reportDeps(cloud));
    case "finalize-analysis":
      return createFinalizeAnalysis(reportDeps(cloud));
  }
}
