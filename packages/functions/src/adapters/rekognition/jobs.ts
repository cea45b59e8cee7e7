import {
  StartContentModerationCommand,
  StartLabelDetectionCommand,
  StartSegmentDetectionCommand,
  StartTextDetectionCommand,
  type RekognitionClient,
} from "@aws-sdk/client-rekognition";
import { MediaId, ObjectRef } from "@media-pipeline/core";
import { z } from "zod";
import { classifyRekognitionError, RekognitionRequestError } from "./errors.js";

/**
 * Every Rekognition Video job the adapters start and read back: labels, moderation, shot segments
 * (detect-shots) and text in the video (detect-text).
 */
export const RekognitionVideoJobKind = z.enum(["labels", "moderation", "segments", "text"]);
export type RekognitionVideoJobKind = z.infer<typeof RekognitionVideoJobKind>;

/** The jobs whose completions the pipeline collects (completions.ts) and whose starts the backlog holds: all of them. */
export const RekognitionJobKind = RekognitionVideoJobKind;
export type RekognitionJobKind = z.infer<typeof RekognitionJobKind>;

/** What a Rekognition adapter needs of the client; `RekognitionClient` (or its mock) satisfies it. */
export type RekognitionSender = Pick<RekognitionClient, "send">;

/**
 * Where Rekognition reports completion. The role must let Rekognition publish to the topic; with the
 * managed AmazonRekognitionServiceRole policy the topic name has to begin with `AmazonRekognition`.
 * https://docs.aws.amazon.com/rekognition/latest/dg/api-video-roles.html
 */
export const RekognitionNotification = z.object({
  snsTopicArn: z.string().startsWith("arn:"),
  roleArn: z.string().startsWith("arn:"),
});
export type RekognitionNotification = z.infer<typeof RekognitionNotification>;

/**
 * A start request. Validated strictly so a typo in the caller fails loudly before any AWS call.
 * @example { mediaId: "01jd8x7k2m4n6p8q0r2s4t6v8w", source: { bucket: "media", key: "media/01jd8x7k2m4n6p8q0r2s4t6v8w/talk.mp4" },
 *            minConfidence: 50, notification: { snsTopicArn, roleArn } }
 */
export const StartVideoJobInput = z.strictObject({
  mediaId: MediaId,
  // Rekognition's S3Object: Bucket 3–255 characters, Name 1–1024.
  source: ObjectRef.extend({ bucket: z.string().min(3).max(255) }),
  minConfidence: z.number().min(0).max(100),
  notification: RekognitionNotification,
});
export type StartVideoJobInput = z.infer<typeof StartVideoJobInput>;

// ClientRequestToken: 1–64 characters of ^[a-zA-Z0-9-_]+$. JobTag: 1–1024 of [a-zA-Z0-9_.\-:+=\/]+.
// https://docs.aws.amazon.com/rekognition/latest/APIReference/API_StartLabelDetection.html
const CLIENT_REQUEST_TOKEN = /^[a-zA-Z0-9_-]{1,64}$/;
const JOB_TAG = /^[a-zA-Z0-9_.\-:+=/]{1,1024}$/;
const TOKEN_PREFIX = "media-pipeline";

function validMediaId(mediaId: string): MediaId {
  const parsed = MediaId.safeParse(mediaId);
  if (!parsed.success) throw new RekognitionRequestError(`Not a mediaId: ${JSON.stringify(mediaId)}`, { code: "InvalidMediaId", cause: parsed.error });
  return parsed.data;
}

/**
 * The idempotency token of a media item's job: the same for every retry or replay, so a second
 * start returns the first job's `JobId` instead of running (and paying for) the job twice.
 * A 26-character mediaId gives 48 characters, inside Rekognition's 64.
 * @example jobToken("01jd8x7k2m4n6p8q0r2s4t6v8w", "labels") === "media-pipeline-01jd8x7k2m4n6p8q0r2s4t6v8w-labels"
 */
export function jobToken(mediaId: MediaId, kind: RekognitionVideoJobKind): string {
  const token = `${TOKEN_PREFIX}-${validMediaId(mediaId)}-${kind}`;
  if (!CLIENT_REQUEST_TOKEN.test(token)) throw new RekognitionRequestError(`ClientRequestToken "${token}" breaks Rekognition's rules`, { code: "InvalidClientRequestToken" });
  return token;
}

/**
 * The tag Rekognition echoes in the completion message; `parseCompletionMessage` reads the mediaId
 * and kind back from it.
 * @example jobTag("01jd8x7k2m4n6p8q0r2s4t6v8w", "moderation") === "01jd8x7k2m4n6p8q0r2s4t6v8w-moderation"
 */
export function jobTag(mediaId: MediaId, kind: RekognitionVideoJobKind): string {
  const tag = `${validMediaId(mediaId)}-${kind}`;
  if (!JOB_TAG.test(tag)) throw new RekognitionRequestError(`JobTag "${tag}" breaks Rekognition's rules`, { code: "InvalidJobTag" });
  return tag;
}

const JOB_TAG_OF_OURS = /^([0-9a-z]{26})-(labels|moderation|segments|text)$/;

/** The mediaId and kind in one of our JobTags, or undefined for any other tag. */
export function parseJobTag(tag: string | undefined): { mediaId: MediaId; kind: RekognitionVideoJobKind } | undefined {
  const match = tag === undefined ? null : JOB_TAG_OF_OURS.exec(tag);
  return match ? { mediaId: match[1]!, kind: match[2] as RekognitionVideoJobKind } : undefined;
}

function parseInput(input: StartVideoJobInput): StartVideoJobInput {
  const parsed = StartVideoJobInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`);
    throw new RekognitionRequestError(`Invalid Rekognition start request: ${issues.join("; ")}`, { code: "InvalidInput", cause: parsed.error });
  }
  return parsed.data;
}

function request(input: StartVideoJobInput, kind: RekognitionVideoJobKind) {
  return {
    Video: { S3Object: { Bucket: input.source.bucket, Name: input.source.key } },
    ClientRequestToken: jobToken(input.mediaId, kind),
    JobTag: jobTag(input.mediaId, kind),
    MinConfidence: input.minConfidence,
    NotificationChannel: { SNSTopicArn: input.notification.snsTopicArn, RoleArn: input.notification.roleArn },
  };
}

async function send<T extends { JobId?: string }>(operation: string, call: () => Promise<T>): Promise<{ jobId: string }> {
  let output: T;
  try {
    output = await call();
  } catch (error) {
    throw classifyRekognitionError(error, operation);
  }
  if (!output.JobId) throw new RekognitionRequestError(`Rekognition ${operation} returned no JobId`, { code: "MissingJobId" });
  return { jobId: output.JobId };
}

/**
 * Starts label detection on a stored video. Throws `RekognitionLimitError` when 20 jobs already run
 * (backlog it), `RekognitionUnavailableError` on throttling or 5xx, `RekognitionRequestError` for
 * requests Rekognition refuses.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_StartLabelDetection.html
 */
export async function startLabelDetection(client: RekognitionSender, input: StartVideoJobInput): Promise<{ jobId: string }> {
  const valid = parseInput(input);
  return send("StartLabelDetection", () => client.send(new StartLabelDetectionCommand(request(valid, "labels"))));
}

/**
 * Starts content moderation on a stored video; errors as `startLabelDetection`.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_StartContentModeration.html
 */
export async function startContentModeration(client: RekognitionSender, input: StartVideoJobInput): Promise<{ jobId: string }> {
  const valid = parseInput(input);
  return send("StartContentModeration", () => client.send(new StartContentModerationCommand(request(valid, "moderation"))));
}

/**
 * Starts shot detection (segment type SHOT only) on a stored video. Rekognition's shot confidence
 * floor is 50 (MinSegmentConfidence 50–100): the job takes `minConfidence` when it is at least that.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_StartSegmentDetection.html
 */
export async function startSegmentDetection(client: RekognitionSender, input: StartVideoJobInput): Promise<{ jobId: string }> {
  const valid = parseInput(input);
  const { MinConfidence, ...rest } = request(valid, "segments");
  return send("StartSegmentDetection", () =>
    client.send(new StartSegmentDetectionCommand({
      ...rest, SegmentTypes: ["SHOT"], Filters: { ShotFilter: { MinSegmentConfidence: Math.max(50, MinConfidence) } },
    })),
  );
}

/**
 * Words Rekognition keeps in a text detection job: StartTextDetection has no top-level MinConfidence,
 * its `Filters.WordFilter` holds the floor, applied to words (a line goes with its words).
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectionFilter.html
 */
export interface TextWordFilter {
  /** 0–100. Rekognition's default is 80; text in video returns nothing below 50. */
  minConfidence: number;
  /** 0–1 of the frame's height. */
  minBoundingBoxHeight: number;
  /** 0–1 of the frame's width. */
  minBoundingBoxWidth: number;
}

/** Text in video reports no word under 50 (DetectionFilter's note for video), so a lower floor asks for nothing more. */
export const TEXT_MIN_CONFIDENCE_FLOOR = 50;

/**
 * The word filter every text job (and every frames-mode DetectText call) starts with, but for the
 * confidence, which is the caller's `minConfidence` raised to the floor above.
 * - Height 0.02 (14 px on a 720p frame, 22 px on 1080p): titles, lower thirds, captions and slide text
 *   are taller; what is shorter is background (signs, screens in the shot, fine print), which OCR
 *   misreads more often than it reads, and which would flood the report with fragments.
 * - Width 0: a word's width says how many letters it has, not whether it is legible; a width floor
 *   would drop "A", "5" or "OK" and keep long words of the same size.
 */
export const TEXT_WORD_FILTER: Omit<TextWordFilter, "minConfidence"> = { minBoundingBoxHeight: 0.02, minBoundingBoxWidth: 0 };

/** The word filter a text job runs with for the caller's `minConfidence`. */
export function textWordFilter(minConfidence: number): TextWordFilter {
  return { minConfidence: Math.min(100, Math.max(TEXT_MIN_CONFIDENCE_FLOOR, minConfidence)), ...TEXT_WORD_FILTER };
}

/** Rekognition's `DetectionFilter` for a word filter. */
export function detectionFilter(filter: TextWordFilter) {
  return { MinConfidence: filter.minConfidence, MinBoundingBoxHeight: filter.minBoundingBoxHeight, MinBoundingBoxWidth: filter.minBoundingBoxWidth };
}

/**
 * Starts text detection (lines and words, with their boxes) on a stored video; errors as
 * `startLabelDetection`. `minConfidence` becomes `Filters.WordFilter.MinConfidence` (see
 * `textWordFilter`); no region of interest: text anywhere in the frame counts.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_StartTextDetection.html
 */
export async function startTextDetection(client: RekognitionSender, input: StartVideoJobInput): Promise<{ jobId: string }> {
  const valid = parseInput(input);
  const { MinConfidence, ...rest } = request(valid, "text");
  return send("StartTextDetection", () =>
    client.send(new StartTextDetectionCommand({ ...rest, Filters: { WordFilter: detectionFilter(textWordFilter(MinConfidence)) } })),
  );
}

/** Any start by kind: what the backlog calls when it releases a waiting item. */
export function startVideoJob(client: RekognitionSender, kind: RekognitionVideoJobKind, input: StartVideoJobInput): Promise<{ jobId: string }> {
  switch (kind) {
    case "labels":
      return startLabelDetection(client, input);
    case "moderation":
      return startContentModeration(client, input);
    case "segments":
      return startSegmentDetection(client, input);
    case "text":
      return startTextDetection(client, input);
  }
}
