import { EventValidationError, type MediaId, type ObjectRef } from "@media-pipeline/core";
import { z } from "zod";
import { ForeignJobTagError } from "./errors.js";
import { parseJobTag, RekognitionJobKind, type RekognitionVideoJobKind } from "./jobs.js";

/**
 * The message Rekognition Video publishes to SNS when a job ends; SNS carries it as a JSON string in
 * `Records[].Sns.Message`. `Message` appears in AWS's own example and is kept when present.
 * https://docs.aws.amazon.com/rekognition/latest/dg/video-notification-payload.html
 * @example { "JobId": "6de014b0-2121-4bf0-9e31-856a18719e22", "Status": "SUCCEEDED", "API": "LABEL_DETECTION",
 *            "JobTag": "01jd8x7k2m4n6p8q0r2s4t6v8w-labels", "Timestamp": 1763632800000,
 *            "Video": { "S3ObjectName": "media/01jd8x7k2m4n6p8q0r2s4t6v8w/talk.mp4", "S3Bucket": "media-bucket" } }
 */
export const RekognitionCompletionMessage = z.object({
  JobId: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  Status: z.enum(["SUCCEEDED", "FAILED", "ERROR"]),
  API: z.string().min(1),
  JobTag: z.string().optional(),
  Timestamp: z.number().nonnegative(),
  Message: z.string().optional(),
  Video: z.object({ S3ObjectName: z.string().min(1), S3Bucket: z.string().min(1) }),
});
export type RekognitionCompletionMessage = z.infer<typeof RekognitionCompletionMessage>;

/** The part of an SNS event record (as Lambda receives it) that matters here. */
export const SnsRecordWithMessage = z.object({ Sns: z.object({ Message: z.string() }) });

export type RekognitionApi = "LABEL_DETECTION" | "CONTENT_MODERATION" | "SEGMENT_DETECTION" | "TEXT_DETECTION";

/**
 * `API` names the operation. AWS documents `LABEL_DETECTION` for label detection; for content
 * moderation, segments and text it documents no example, so both the upper-snake form
 * (`TEXT_DETECTION`) and the operation names (`StartTextDetection`) are accepted and normalized.
 */
const API_NAMES: Record<string, RekognitionApi> = {
  LABEL_DETECTION: "LABEL_DETECTION",
  StartLabelDetection: "LABEL_DETECTION",
  CONTENT_MODERATION: "CONTENT_MODERATION",
  StartContentModeration: "CONTENT_MODERATION",
  SEGMENT_DETECTION: "SEGMENT_DETECTION",
  StartSegmentDetection: "SEGMENT_DETECTION",
  TEXT_DETECTION: "TEXT_DETECTION",
  StartTextDetection: "TEXT_DETECTION",
};
const API_OF_KIND: Record<RekognitionVideoJobKind, RekognitionApi> = {
  labels: "LABEL_DETECTION", moderation: "CONTENT_MODERATION", segments: "SEGMENT_DETECTION", text: "TEXT_DETECTION",
};

/**
 * A completed (or failed) job of ours, ready for the stage that reads its results. `K` is the kinds
 * it may be: those the pipeline collects (`RekognitionJobKind`), or any job of ours.
 */
export interface RekognitionCompletion<K extends RekognitionVideoJobKind = RekognitionJobKind> {
  jobId: string;
  status: "SUCCEEDED" | "FAILED" | "ERROR";
  api: RekognitionApi;
  mediaId: MediaId;
  kind: K;
  video: ObjectRef;
  /** When the job finished, Unix milliseconds. */
  completedAt: number;
}

/**
 * Parses a Rekognition completion from an SNS event record, the `Message` string itself, or the
 * already-parsed message, for a kind the pipeline collects (`RekognitionJobKind`). Throws
 * `EventValidationError` for anything malformed or for a job of ours no stage collects, and
 * `ForeignJobTagError` for a job this pipeline did not start.
 * @example
 * const { mediaId, kind, jobId, status } = parseCompletionMessage(event.Records[0]);
 */
export function parseCompletionMessage(input: unknown): RekognitionCompletion {
  const completion = parseVideoJobCompletion(input);
  const kind = RekognitionJobKind.safeParse(completion.kind);
  if (!kind.success) {
    throw new EventValidationError(`Rekognition completion for ${completion.jobId}: ${completion.api} jobs are not collected yet`, [`kind: ${completion.kind}`]);
  }
  return { ...completion, kind: kind.data };
}

/** `parseCompletionMessage` for any job of ours, whether or not a stage collects its kind. */
export function parseVideoJobCompletion(input: unknown): RekognitionCompletion<RekognitionVideoJobKind> {
  const message = validate(RekognitionCompletionMessage, unwrap(input), "Rekognition completion message");
  const ours = parseJobTag(message.JobTag);
  if (!ours) throw new ForeignJobTagError(message.JobId, message.JobTag);
  const api = API_NAMES[message.API];
  if (!api) throw new EventValidationError(`Rekognition completion for ${message.JobId} has an unknown API ${JSON.stringify(message.API)}`, [`API: ${message.API}`]);
  if (api !== API_OF_KIND[ours.kind]) {
    throw new EventValidationError(`Rekognition completion for ${message.JobId} reports ${api} but its JobTag ${message.JobTag} says ${ours.kind}`, [`API: ${message.API}`, `JobTag: ${message.JobTag}`]);
  }
  return {
    jobId: message.JobId,
    status: message.Status,
    api,
    mediaId: ours.mediaId,
    kind: ours.kind,
    video: { bucket: message.Video.S3Bucket, key: message.Video.S3ObjectName },
    completedAt: message.Timestamp,
  };
}

function unwrap(input: unknown): unknown {
  if (typeof input === "string") return parseJson(input);
  const record = SnsRecordWithMessage.safeParse(input);
  return record.success ? parseJson(record.data.Sns.Message) : input;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new EventValidationError("Rekognition completion message is not JSON", ["Sns.Message: not JSON"], { cause });
  }
}

function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`);
  throw new EventValidationError(`Invalid ${what}: ${issues.join("; ")}`, issues, { cause: parsed.error });
}
