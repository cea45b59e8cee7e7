import {
  StartContentModerationCommand,
  StartLabelDetectionCommand,
  StartSegmentDetectionCommand,
  type RekognitionClient,
} from "@aws-sdk/client-rekognition";
import { MediaId, ObjectRef } from "@media-pipeline/core";
import { z } from "zod";
import { classifyRekognitionError, RekognitionRequestError } from "./errors.js";

/** The Rekognition Video jobs the pipeline runs per video: labels, moderation, and shot segments (detect-shots). */
export const RekognitionJobKind = z.enum(["labels", "moderation", "segments"]);
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
export function jobToken(mediaId: MediaId, kind: RekognitionJobKind): string {
  const token = `${TOKEN_PREFIX}-${validMediaId(mediaId)}-${kind}`;
  if (!CLIENT_REQUEST_TOKEN.test(token)) throw new RekognitionRequestError(`ClientRequestToken "${token}" breaks Rekognition's rules`, { code: "InvalidClientRequestToken" });
  return token;
}

/**
 * The tag Rekognition echoes in the completion message; `parseCompletionMessage` reads the mediaId
 * and kind back from it.
 * @example jobTag("01jd8x7k2m4n6p8q0r2s4t6v8w", "moderation") === "01jd8x7k2m4n6p8q0r2s4t6v8w-moderation"
 */
export function jobTag(mediaId: MediaId, kind: RekognitionJobKind): string {
  const tag = `${validMediaId(mediaId)}-${kind}`;
  if (!JOB_TAG.test(tag)) throw new RekognitionRequestError(`JobTag "${tag}" breaks Rekognition's rules`, { code: "InvalidJobTag" });
  return tag;
}

const JOB_TAG_OF_OURS = /^([0-9a-z]{26})-(labels|moderation|segments)$/;

/** The mediaId and kind in one of our JobTags, or undefined for any other tag. */
export function parseJobTag(tag: string | undefined): { mediaId: MediaId; kind: RekognitionJobKind } | undefined {
  const match = tag === undefined ? null : JOB_TAG_OF_OURS.exec(tag);
  return match ? { mediaId: match[1]!, kind: match[2] as RekognitionJobKind } : undefined;
}

function parseInput(input: StartVideoJobInput): StartVideoJobInput {
  const parsed = StartVideoJobInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`);
    throw new RekognitionRequestError(`Invalid Rekognition start request: ${issues.join("; ")}`, { code: "InvalidInput", cause: parsed.error });
  }
  return parsed.data;
}

function request(input: StartVideoJobInput, kind: RekognitionJobKind) {
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

/** Any start by kind: what the backlog calls when it releases a waiting item. */
export function startVideoJob(client: RekognitionSender, kind: RekognitionJobKind, input: StartVideoJobInput): Promise<{ jobId: string }> {
  if (kind === "segments") return startSegmentDetection(client, input);
  return kind === "labels" ? startLabelDetection(client, input) : startContentModeration(client, input);
}
