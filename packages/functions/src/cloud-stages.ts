import {
  createCompleteAnalysis, createDetectLabels, createDetectText, createExtractAudio, createFinalizeAnalysis, createMakeCaptions, createModerate,
  createPrepareVideo, createProbe, createRequestReview, createStartTranscription, createStartVisionJob, createSummarizeMedia,
  createSummarizeScenes, NonRetryableError, VISION_FRAMES,
  type AnalysisInput, type AudioExtractor, type MediaProber, type ObjectRef, type StageHandler, type StageName, type VisionInput,
} from "@media-pipeline/core";
import { createFfmpegAudioExtractor, createFfmpegFrameSource, createFfprobeProber, type FrameSource } from "@media-pipeline/media";
import { createExtractiveSummarizer } from "@media-pipeline/core";
import { createBedrockSummarizer } from "./adapters/bedrock/index.js";
import { createBedrockMediaSummarizer } from "./adapters/bedrock/media-summary.js";
import { createDynamoBacklog, videoJobStarter } from "./adapters/rekognition/dynamodb-backlog.js";
import {
  createImageLabelDetector, createImageModerationDetector, createImageTextDetector, startOrBacklog, type RekognitionJobKind,
} from "./adapters/rekognition/index.js";
import { mediaUrl, s3RemoteInput } from "./adapters/s3-media.js";
import { startTranscription } from "./adapters/transcribe/index.js";
import { settings, type Cloud } from "./cloud.js";
import { requestReviewQueue } from "./cloud-review.js";
import { cloudVideoPreparer } from "./cloud-video.js";
import { createSceneKeyframes, withSceneKeyframes } from "./scene-keyframes.js";
import { createTranscribeCheckSender } from "./transcribe-check.js";

export { FRAMES_PREFIX } from "./cloud-video.js";

/*
 * The ffmpeg stages run the same modules as the local runtime. They read the upload where it is
 * stored, through a presigned URL (ffprobe and ffmpeg read HTTP ranges), so none of them copies it to
 * /tmp: probe reads the header, the index and the last seconds; extract-audio streams the file once
 * and writes only the WAV to /tmp, which then goes to the same key in S3.
 */

function remoteProber(cloud: Cloud): MediaProber {
  return createFfprobeProber({
    pathOf: cloud.workspace.pathOf,
    remote: (source) => s3RemoteInput(cloud.clients.s3, source, (ref) => cloud.blobs.size(ref)),
  });
}

function streamingExtractor(cloud: Cloud): AudioExtractor {
  const extractor = createFfmpegAudioExtractor({ pathOf: cloud.workspace.pathOf, inputOf: (source) => mediaUrl(cloud.clients.s3, source) });
  return {
    async extract(source, target, onProgress, options) {
      const result = await extractor.extract(source, target, onProgress, options);
      await cloud.workspace.push(target, "audio/wav");
      return result;
    },
  };
}

/** Frames mode's frames stay in /tmp: the shot pass already keeps the keyframes people look at. */
export const VISION_FRAMES_PREFIX = "derived/vision-frames";

/** Wider than the 640 px the local models take: Rekognition finds smaller objects; a JPEG stays far under 5 MB. */
export const VISION_FRAME_MAX_WIDTH = VISION_FRAMES.maxWidth;

/**
 * The longest media frames mode takes. At the default sampling a 60-minute 720p video is, by estimate
 * (not measured in Lambda), a ~4 min download and decode plus ~2,100 frames, one API call each per
 * Lambda, ~2 min at 4 in flight: well inside Lambda's 15 minutes, where a timeout would be retried and
 * dead-lettered without `Stage Failed`.
 */
export const FRAMES_MODE_MAX_DURATION_MS = VISION_FRAMES.maxDurationMs;

/**
 * detect-labels / moderate in frames mode: the upload streamed to /tmp, one ffmpeg pass (a keyframe
 * at each cut, then one every FRAME_SAMPLE_SECONDS, the local engines' rule), the Rekognition Image
 * API on each frame, and core's own stages and result builders, so `Labels Detected` and `Moderation
 * Completed` are the video jobs' in shape (engine `amazon-rekognition-image`).
 */
function imageVisionStage(cloud: Cloud, stage: "detect-labels" | "moderate" | "detect-text"): StageHandler {
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
  // What the result says was analysed: the frames, not the video a Rekognition Video job would read.
  const analysis = (input: VisionInput): AnalysisInput => ({
    input: "frames",
    video: input.source,
    reason: `frames sampled from the upload (a keyframe at each cut and one every ${settings.frameSampleMs(cloud) / 1000} s) for the ` +
      "Rekognition Image APIs: this deployment analyses frames (MEDIA_VISION_MODE=frames)",
  });
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
    return createDetectLabels({
      ...deps, detector: { detect: async (input, p) => (guard(input), { ...(await detector.detect(input, p)), analysis: analysis(input) }) },
    });
  }
  if (stage === "detect-text") {
    const detector = createImageTextDetector({ ...options, minConfidence: settings.textMinConfidence(cloud) });
    return createDetectText({
      ...deps, detector: { detect: async (input, p) => (guard(input), { ...(await detector.detect(input, p)), analysis: analysis(input) }) },
    });
  }
  const detector = createImageModerationDetector({ ...options, minConfidence: settings.moderationMinConfidence(cloud) });
  return createModerate({
    ...deps, thresholds: cloud.thresholds,
    detector: { detect: async (input, p) => (guard(input), { ...(await detector.detect(input, p)), analysis: analysis(input) }) },
  });
}

/** The Rekognition Video job each vision stage starts in video mode. */
const JOB_KIND = { "detect-shots": "segments", "detect-labels": "labels", moderate: "moderation", "detect-text": "text" } as const satisfies Record<string, RekognitionJobKind>;

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
      return createProbe({ ...deps, prober: remoteProber(cloud), blobs: cloud.blobs, limits: settings.limits(cloud) });
    case "prepare-video":
      return createPrepareVideo({ ...deps, preparer: cloudVideoPreparer(cloud) });
    case "extract-audio":
      return createExtractAudio({ ...deps, extractor: streamingExtractor(cloud) });
    case "detect-shots":
    case "detect-labels":
    case "moderate":
    case "detect-text": {
      // Frames mode: the same route and trigger, another engine (the choice is this Lambda's). Shots
      // come from segment detection in either mode: a decode of every frame does not fit a Lambda for
      // long media, and Rekognition's shots match the local detector's (adapters/rekognition/segments.ts).
      if (stage !== "detect-shots" && settings.visionMode(cloud) === "frames") return imageVisionStage(cloud, stage);
      const notification = { snsTopicArn: cloud.require("REKOGNITION_TOPIC_ARN"), roleArn: cloud.require("REKOGNITION_ROLE_ARN") };
      const kind = JOB_KIND[stage];
      // At Rekognition's concurrent-job limit the start waits in the backlog and the stage stays
      // running: a completion releases it (completions.ts), and its own completion collects it.
      const backlog = createDynamoBacklog({ client: cloud.clients.dynamo, tableName: cloud.env.STATE_TABLE });
      const start = videoJobStarter(cloud.clients.rekognition);
      // Every shot boundary Rekognition reports (its floor, 50), so the shots match the local detector's.
      const minConfidence = kind === "segments" ? 50 : kind === "moderation" ? settings.moderationMinConfidence(cloud) : kind === "text" ? settings.textMinConfidence(cloud) : settings.minConfidence(cloud);
      return createStartVisionJob({
        ...deps, stage,
        // The video Rekognition can read: the upload, or prepare-video's rendition of it.
        start: async ({ mediaId, analysis }) => void (await startOrBacklog(start, backlog, { kind, mediaId, source: analysis.video, minConfidence, notification })),
      });
    }
    case "transcribe": {
      const check = createTranscribeCheckSender(cloud);
      // The deployment's prefix: Transcribe reports every job of the account, and the completion
      // rule selects ours by name.
      const jobNamePrefix = settings.transcribeJobPrefix(cloud);
      return createStartTranscription({
        ...deps, maxSpeakers: settings.maxSpeakers(cloud), language: settings.language(cloud),
        start: async (input) => {
          const { jobName } = await startTranscription(cloud.clients.transcribe, { ...input, outputBucket: bucket, jobNamePrefix });
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
    case "make-captions":
      return createMakeCaptions({ ...deps, blobs: cloud.blobs, files: cloud.blobs });
    case "summarize-media": {
      const modelId = cloud.require("BEDROCK_MODEL_ID");
      return createSummarizeMedia({
        ...deps, blobs: cloud.blobs,
        summarizer: createBedrockMediaSummarizer({ client: cloud.clients.bedrock, modelId, maxRetries: 3 }),
      });
    }
    case "request-review":
      // Core builds the task and stores it at derived/<mediaId>/review-task.json before opening it,
      // which is where the review completion reads it back to re-queue a failed loop.
      return createRequestReview({ ...deps, blobs: cloud.blobs, now: () => new Date(), queue: requestReviewQueue(cloud) });
    case "complete-analysis":
      return createCompleteAnalysis(reportDeps(cloud));
    case "finalize-analysis":
      return createFinalizeAnalysis(reportDeps(cloud));
  }
}
