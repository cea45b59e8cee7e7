import {
  createCompleteAnalysis, createDetectLabels, createDetectShots, createExtractAudio, createFinalizeAnalysis, createModerate, createProbe,
  createRequestReview, createStartTranscription, createStartVisionJob, createSummarizeScenes, NonRetryableError,
  type AudioExtractor, type MediaProber, type ObjectRef, type ShotDetector, type StageHandler, type StageName, type VisionInput,
} from "@media-pipeline/core";
import {
  createFfmpegAudioExtractor, createFfmpegFrameSource, createFfmpegShotDetector, createFfprobeProber, type FrameSource,
} from "@media-pipeline/local/media";
import { createExtractiveSummarizer } from "@media-pipeline/local/summarize";
import { createBedrockSummarizer } from "./adapters/bedrock/index.js";
import { createDynamoBacklog, videoJobStarter } from "./adapters/rekognition/dynamodb-backlog.js";
import { createImageLabelDetector, createImageModerationDetector, startOrBacklog } from "./adapters/rekognition/index.js";
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

/** Frames mode's frames stay in /tmp: the shot pass already keeps the keyframes people look at. */
export const VISION_FRAMES_PREFIX = "derived/vision-frames";

/** Wider than the 640 px the local models take: Rekognition finds smaller objects; a JPEG stays far under 5 MB. */
export const VISION_FRAME_MAX_WIDTH = 1280;

/**
 * The longest media frames mode takes. At the default sampling a 60-minute 720p video is, by estimate
 * (not measured in Lambda), a ~4 min download and decode plus ~2,100 frames, one API call each per
 * Lambda, ~2 min at 4 in flight: well inside Lambda's 15 minutes, where a timeout would be retried and
 * dead-lettered without `Stage Failed`.
 */
export const FRAMES_MODE_MAX_DURATION_MS = 60 * 60_000;

/**
 * detect-labels / moderate in frames mode: the upload streamed to /tmp, one ffmpeg pass (a keyframe
 * at each cut, then one every FRAME_SAMPLE_SECONDS, the local engines' rule), the Rekognition Image
 * API on each frame, and core's own stages and result builders, so `Labels Detected` and `Moderation
 * Completed` are the video jobs' in shape (engine `amazon-rekognition-image`).
 */
function imageVisionStage(cloud: Cloud, stage: "detect-labels" | "moderate"): StageHandler {
  const pass = createFfmpegFrameSource({
    pathOf: cloud.workspace.pathOf, bucket: cloud.env.MEDIA_BUCKET, prefix: VISION_FRAMES_PREFIX,
    sampleEveryMs: settings.frameSampleMs(cloud), maxWidth: VISION_FRAME_MAX_WIDTH,
  });
  const frames: FrameSource = {
    async frames(mediaId, source, onProgress) {
      await cloud.workspace.fetch(source);
      return pass.frames(mediaId, source, onProgress);
    },
  };
  const options = { client: cloud.clients.rekognition, frames, pathOf: cloud.workspace.pathOf, minConfidence: settings.minConfidence(cloud) };
  const guard = (input: VisionInput) => {
    if (input.durationMs > FRAMES_MODE_MAX_DURATION_MS) {
      throw new NonRetryableError(
        `frames mode analyses media up to ${FRAMES_MODE_MAX_DURATION_MS / 60_000} minutes inside one Lambda; this one is ` +
          `${Math.round(input.durationMs / 60_000)} minutes (deploy with MEDIA_VISION_MODE=video for longer media)`,
      );
    }
  };
  const deps = { state: cloud.state, publish: cloud.publish, blobs: cloud.blobs };
  if (stage === "detect-labels") {
    const detector = createImageLabelDetector(options);
    return createDetectLabels({ ...deps, detector: { detect: async (input, p) => (guard(input), detector.detect(input, p)) } });
  }
  const detector = createImageModerationDetector(options);
  return createModerate({ ...deps, thresholds: cloud.thresholds, detector: { detect: async (input, p) => (guard(input), detector.detect(input, p)) } });
}

/** What both reports need: the first (complete-analysis) and the final one (finalize-analysis). */
function reportDeps(cloud: Cloud) {
  return {
    state: cloud.state, publish: cloud.publish, blobs: cloud.blobs, now: () => new Date(),
    keyframeUri: (ref: ObjectRef) => `s3://${ref.bucket}/${ref.key}`,
  };
}

/**
 * One stage's handler for its Lambda, built from core's factory and the cloud adapters. Vision (in
 * the default video mode) and transcription start asynchronous jobs here; their completion handlers
 * collect the results. In frames mode, vision runs here to the end (imageVisionStage).
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
      // Frames mode: the same route and trigger, another engine (the choice is this Lambda's).
      if (settings.visionMode(cloud) === "frames") return imageVisionStage(cloud, stage);
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
