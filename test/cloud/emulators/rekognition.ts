import { createHash, randomBytes } from "node:crypto";
import type { EmulatorEngines } from "./engines.js";
import { AwsServiceError, jsonRpc, num, obj, str, type Handler } from "./http.js";
import type { MotoAccess } from "./moto-access.js";
import { imageOperations } from "./rekognition-image.js";
import { labelItems, moderationItems, pageOf, sortItems, type LabelItem, type ModerationItem } from "./rekognition-results.js";
import { blackRuns, shotSegments, technicalCueSegments, type SegmentDetection, type SegmentFilters } from "./rekognition-segments.js";
import { textFilters, textItems, type TextFilters } from "./rekognition-text.js";
import { inspectVideo, type AudioMetadata, type VideoMetadata } from "./video-facts.js";
import type { WorkQueue } from "./work-queue.js";

/*
 * Amazon Rekognition on the AWS JSON 1.1 protocol (`X-Amz-Target: RekognitionService.<Operation>`):
 * the stored-video jobs (label detection, content moderation, segment detection, text detection) with idempotent
 * starts, a concurrent-job limit, completion on SNS and paged Get* results; and the image operations.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/Welcome.html
 */

type Api = "LABEL_DETECTION" | "CONTENT_MODERATION" | "SEGMENT_DETECTION" | "TEXT_DETECTION";

interface VideoJob {
  jobId: string;
  api: Api;
  status: "IN_PROGRESS" | "SUCCEEDED" | "FAILED";
  statusMessage?: string;
  video: { bucket: string; key: string };
  jobTag?: string;
  topicArn?: string;
  minConfidence: number;
  metadata?: VideoMetadata;
  audio?: AudioMetadata[];
  durationMs: number;
  labels?: { frames: Parameters<typeof labelItems>[0]; version: string };
  moderation?: { frames: Parameters<typeof moderationItems>[0]; version: string };
  segments?: { items: SegmentDetection[]; selected: Array<{ Type: string; ModelVersion: string }> };
  text?: { frames: Parameters<typeof textItems>[0]; version: string };
  segmentTypes: string[];
  filters: SegmentFilters;
  /** StartTextDetection's `Filters`, applied when its results are read. */
  textFilters?: TextFilters;
}

export interface RekognitionEmulatorOptions {
  moto: MotoAccess;
  engines: EmulatorEngines;
  queue: WorkQueue;
  /** Concurrent stored-video jobs before LimitExceededException (Rekognition's default quota: 20). */
  concurrentJobs: number;
  log: (line: string) => void;
}

const TOKEN = /^[a-zA-Z0-9-_]+$/;
const JOB_TAG = /^[a-zA-Z0-9_.\-:+=/]+$/;
const SNS_TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]*:\d{12}:[\w-]+$/;
const ROLE = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
/** Rekognition Video takes files up to 10 GB. */
const MAX_VIDEO_BYTES = 10 * 1024 ** 3;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function segmentFilters(input: Record<string, unknown>): SegmentFilters {
  const filters = obj(input, "Filters");
  const cue = obj(filters, "TechnicalCueFilter");
  const black = obj(cue, "BlackFrame");
  return {
    shotMinConfidence: num(obj(filters, "ShotFilter"), "MinSegmentConfidence", { min: 50, max: 100 }) ?? 50,
    cueMinConfidence: num(cue, "MinSegmentConfidence", { min: 50, max: 100 }) ?? 50,
    blackPixelThreshold: num(black, "MaxPixelThreshold", { min: 0, max: 1 }) ?? 0.2,
    blackCoveragePercent: num(black, "MinCoveragePercentage", { min: 0, max: 100 }) ?? 99,
  };
}

export function rekognitionHandler(options: RekognitionEmulatorOptions): Handler {
  const { moto, engines, queue, log } = options;
  const jobs = new Map<string, VideoJob>();
  const tokens = new Map<string, { jobId: string; fingerprint: string }>();

  async function start(operation: string, api: Api, input: Record<string, unknown>): Promise<{ JobId: string }> {
    const s3 = obj(obj(input, "Video", { required: true }), "S3Object", { required: true });
    const bucket = str(s3, "Bucket", { required: true, min: 3, max: 255 })!;
    const key = str(s3, "Name", { required: true, min: 1, max: 1024 })!;
    const token = str(input, "ClientRequestToken", { pattern: TOKEN, min: 1, max: 64 });
    const jobTag = str(input, "JobTag", { pattern: JOB_TAG, min: 1, max: 1024 });
    const channel = input.NotificationChannel === undefined ? undefined : obj(input, "NotificationChannel");
    const topicArn = channel ? str(channel, "SNSTopicArn", { required: true, pattern: SNS_TOPIC }) : undefined;
    if (channel) str(channel, "RoleArn", { required: true, pattern: ROLE });
    const minConfidence = num(input, "MinConfidence", { min: 0, max: 100 }) ?? 50;
    const segmentTypes = api === "SEGMENT_DETECTION" ? validSegmentTypes(input.SegmentTypes) : [];
    const filters = segmentFilters(input);
    const wordFilters = api === "TEXT_DETECTION" ? textFilters(input) : undefined;

    // Same token and parameters: the same job; the token with other parameters is refused.
    const { ClientRequestToken: _token, ...rest } = input;
    const fingerprint = stableJson(rest);
    const tokenKey = token === undefined ? undefined : `${operation}\0${token}`;
    const earlier = tokenKey ? tokens.get(tokenKey) : undefined;
    if (earlier) {
      if (earlier.fingerprint === fingerprint) return { JobId: earlier.jobId };
      throw new AwsServiceError("IdempotentParameterMismatchException", "ClientRequestToken was already used for a request with different parameters.");
    }

    const head = await moto.head(bucket, key);
    if (!head) throw new AwsServiceError("InvalidS3ObjectException", "Unable to get object metadata from S3. Check object key, region and/or access permissions.");
    if (head.size > MAX_VIDEO_BYTES) throw new AwsServiceError("VideoTooLargeException", "Video size in bytes exceeds the limit of 10 GB.");
    const running = [...jobs.values()].filter((j) => j.status === "IN_PROGRESS").length;
    if (running >= options.concurrentJobs) {
      throw new AwsServiceError("LimitExceededException", `Limit exceeded: ${running} stored video jobs are in progress (concurrent job limit ${options.concurrentJobs}).`);
    }

    const job: VideoJob = {
      jobId: createHash("sha256").update(randomBytes(32)).digest("hex"),
      api, status: "IN_PROGRESS", video: { bucket, key }, minConfidence, durationMs: 0, segmentTypes, filters,
      ...(jobTag ? { jobTag } : {}), ...(topicArn ? { topicArn } : {}), ...(wordFilters ? { textFilters: wordFilters } : {}),
    };
    jobs.set(job.jobId, job);
    if (tokenKey) tokens.set(tokenKey, { jobId: job.jobId, fingerprint });
    log(`rekognition: ${operation} ${job.jobId.slice(0, 12)}… on s3://${bucket}/${key}`);
    void queue.push(() => runJob(job, head.etag)).catch((error: unknown) => log(`rekognition: job ${job.jobId} crashed: ${(error as Error).message}`));
    return { JobId: job.jobId };
  }

  async function runJob(job: VideoJob, etag: string): Promise<void> {
    try {
      const media = await engines.materialize(job.video.bucket, job.video.key, etag);
      const facts = await inspectVideo(await engines.ffprobePath(), media.file);
      if (!facts.supported) {
        log(`rekognition: ${job.jobId.slice(0, 12)}… cannot read the video (${facts.detail})`);
        job.status = "FAILED";
        job.statusMessage = facts.reason;
      } else {
        job.metadata = facts.metadata;
        job.audio = facts.audio;
        job.durationMs = facts.durationMs;
        if (job.api === "TEXT_DETECTION") {
          // The OCR reads the video on its own: the shared decode pass of analyzeVideo has no text.
          const { frames, engine } = await engines.recognizeText(media);
          job.text = { frames, version: `emulated: ${engine.name} ${engine.version}` };
        } else {
          const analysis = await engines.analyzeVideo(media);
          const settled = job.api === "LABEL_DETECTION" ? analysis.labels : job.api === "CONTENT_MODERATION" ? analysis.moderation : analysis.shots;
          if (settled.status === "rejected") throw settled.reason;
          if (job.api === "LABEL_DETECTION" && analysis.labels.status === "fulfilled") {
            const { frames, engine } = analysis.labels.value;
            job.labels = { frames, version: `emulated: ${engine.name} ${engine.version}` };
          } else if (job.api === "CONTENT_MODERATION" && analysis.moderation.status === "fulfilled") {
            const { frames, engine } = analysis.moderation.value;
            job.moderation = { frames, version: `emulated: ${engine.name} ${engine.version}` };
          } else if (analysis.shots.status === "fulfilled") {
            job.segments = await segmentsOf(job, analysis.shots.value, media.file, facts.fps, facts.durationMs);
          }
        }
        job.status = "SUCCEEDED";
      }
    } catch (error) {
      log(`rekognition: ${job.jobId.slice(0, 12)}… failed: ${(error as Error).message}`);
      job.status = "FAILED";
      job.statusMessage = `The emulated engine could not analyse the video: ${(error as Error).message}`;
    }
    await notify(job);
  }

  async function segmentsOf(job: VideoJob, shots: Parameters<typeof shotSegments>[0], file: string, fps: number, durationMs: number) {
    const ffmpeg = await engines.ffmpegVersion();
    const items: SegmentDetection[] = [];
    const selected: Array<{ Type: string; ModelVersion: string }> = [];
    // Sorted by the requested types' order, then by time within each type, as GetSegmentDetection documents.
    for (const type of job.segmentTypes) {
      if (type === "SHOT") {
        items.push(...shotSegments(shots, fps, job.filters.shotMinConfidence));
        selected.push({ Type: "SHOT", ModelVersion: `emulated: ffmpeg ${ffmpeg} scene score (${shots.engine.name})` });
      } else {
        const black = await blackRuns(await engines.ffmpegPath(), file, job.filters);
        items.push(...technicalCueSegments(black, durationMs, fps, job.filters.cueMinConfidence));
        selected.push({ Type: "TECHNICAL_CUE", ModelVersion: `emulated: ffmpeg ${ffmpeg} blackdetect` });
      }
    }
    return { items, selected };
  }

  async function notify(job: VideoJob): Promise<void> {
    if (!job.topicArn) return;
    const message = {
      JobId: job.jobId, Status: job.status, API: job.api, ...(job.jobTag ? { JobTag: job.jobTag } : {}), Timestamp: Date.now(),
      Video: { S3ObjectName: job.video.key, S3Bucket: job.video.bucket },
    };
    try {
      await moto.publishSns(job.topicArn, JSON.stringify(message));
    } catch (error) {
      log(`rekognition: completion of ${job.jobId.slice(0, 12)}… not published: ${(error as Error).message}`);
    }
  }

  function jobFor(input: Record<string, unknown>, api: Api): VideoJob {
    const jobId = str(input, "JobId", { required: true, pattern: TOKEN, min: 1, max: 64 })!;
    const job = jobs.get(jobId);
    if (!job || job.api !== api) throw new AwsServiceError("ResourceNotFoundException", `The job ${jobId} was not found.`);
    return job;
  }

  function common(job: VideoJob) {
    return {
      JobStatus: job.status, JobId: job.jobId,
      Video: { S3Object: { Bucket: job.video.bucket, Name: job.video.key } },
      ...(job.jobTag ? { JobTag: job.jobTag } : {}),
      ...(job.statusMessage ? { StatusMessage: job.statusMessage } : {}),
    };
  }

  function getOptions(input: Record<string, unknown>) {
    const sortBy = str(input, "SortBy") ?? "TIMESTAMP";
    const aggregateBy = str(input, "AggregateBy") ?? "TIMESTAMPS";
    if (!["TIMESTAMP", "NAME"].includes(sortBy)) throw new AwsServiceError("InvalidParameterException", `SortBy must be TIMESTAMP or NAME, got ${sortBy}.`);
    if (!["TIMESTAMPS", "SEGMENTS"].includes(aggregateBy)) throw new AwsServiceError("InvalidParameterException", `AggregateBy must be TIMESTAMPS or SEGMENTS, got ${aggregateBy}.`);
    return { sortBy, aggregateBy };
  }

  return jsonRpc("RekognitionService", {
    StartLabelDetection: (input) => start("StartLabelDetection", "LABEL_DETECTION", input),
    StartContentModeration: (input) => start("StartContentModeration", "CONTENT_MODERATION", input),
    StartSegmentDetection: (input) => start("StartSegmentDetection", "SEGMENT_DETECTION", input),
    StartTextDetection: (input) => start("StartTextDetection", "TEXT_DETECTION", input),

    async GetLabelDetection(input) {
      const job = jobFor(input, "LABEL_DETECTION");
      const { sortBy, aggregateBy } = getOptions(input);
      if (job.status !== "SUCCEEDED" || !job.labels) return { ...common(job), Labels: [] };
      const items = sortItems(labelItems(job.labels.frames, job.minConfidence, aggregateBy, job.durationMs), sortBy, (i: LabelItem) => i.Label.Name);
      const { page, NextToken } = pageOf(items, `${job.jobId}/${sortBy}/${aggregateBy}`, input);
      return {
        ...common(job), VideoMetadata: job.metadata, Labels: page, ...(NextToken ? { NextToken } : {}),
        LabelModelVersion: job.labels.version, GetRequestMetadata: { SortBy: sortBy, AggregateBy: aggregateBy },
      };
    },

    async GetContentModeration(input) {
      const job = jobFor(input, "CONTENT_MODERATION");
      const { sortBy, aggregateBy } = getOptions(input);
      if (job.status !== "SUCCEEDED" || !job.moderation) return { ...common(job), ModerationLabels: [] };
      const items = sortItems(moderationItems(job.moderation.frames, job.minConfidence, aggregateBy, job.durationMs), sortBy, (i: ModerationItem) => i.ModerationLabel.Name);
      const { page, NextToken } = pageOf(items, `${job.jobId}/${sortBy}/${aggregateBy}`, input);
      return {
        ...common(job), VideoMetadata: job.metadata, ModerationLabels: page, ...(NextToken ? { NextToken } : {}),
        ModerationModelVersion: job.moderation.version, GetRequestMetadata: { SortBy: sortBy, AggregateBy: aggregateBy },
      };
    },

    async GetSegmentDetection(input) {
      const job = jobFor(input, "SEGMENT_DETECTION");
      if (job.status !== "SUCCEEDED" || !job.segments) return { ...common(job), Segments: [] };
      const { page, NextToken } = pageOf(job.segments.items, job.jobId, input);
      return {
        ...common(job), VideoMetadata: [job.metadata], AudioMetadata: job.audio ?? [], Segments: page,
        SelectedSegmentTypes: job.segments.selected, ...(NextToken ? { NextToken } : {}),
      };
    },

    // Time-ordered, as GetTextDetection documents; it takes no SortBy or AggregateBy.
    async GetTextDetection(input) {
      const job = jobFor(input, "TEXT_DETECTION");
      if (job.status !== "SUCCEEDED" || !job.text || !job.textFilters) return { ...common(job), TextDetections: [] };
      const { page, NextToken } = pageOf(textItems(job.text.frames, job.textFilters), job.jobId, input);
      return {
        ...common(job), VideoMetadata: job.metadata, TextDetections: page, ...(NextToken ? { NextToken } : {}),
        TextModelVersion: job.text.version,
      };
    },

    ...imageOperations(moto, engines),
  });
}

function validSegmentTypes(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new AwsServiceError("InvalidParameterException", "1 validation error detected: Value at 'segmentTypes' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  const types = [...new Set(value.map(String))];
  const bad = types.filter((t) => t !== "SHOT" && t !== "TECHNICAL_CUE");
  if (bad.length) throw new AwsServiceError("InvalidParameterException", `SegmentTypes must be SHOT or TECHNICAL_CUE, got ${bad.join(", ")}.`);
  return types;
}
