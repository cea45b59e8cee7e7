import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetTranscriptionJobCommand, type TranscribeClient, type TranscriptionJob } from "@aws-sdk/client-transcribe";
import type { ObjectRef, TranscriptDocument } from "@media-pipeline/core";
import { classifyTranscribeError, TranscribeRequestError, TranscriptionJobNotFoundError, TranscriptUnreadableError } from "./errors.js";
import { parseTranscript } from "./parse-transcript.js";

/*
 * Collecting a transcription job: used both when its state-change event arrives and by the timeout
 * fallback (the event is best effort), so it always asks GetTranscriptionJob rather than trusting
 * the event. https://docs.aws.amazon.com/transcribe/latest/APIReference/API_GetTranscriptionJob.html
 */

export interface CollectClients {
  transcribe: Pick<TranscribeClient, "send">;
  s3: Pick<S3Client, "send">;
}

export interface CollectTranscriptOptions {
  /** Our bucket; a transcript anywhere else (a service-managed bucket) is refused. */
  outputBucket: string;
  /** The speaker bound the pipeline asked for, before clamping to 2–30 (noted when exceeded). */
  maxSpeakers?: number;
  /** Used when the job reports no language code. */
  language?: string;
  engineVersion?: string;
}

export type CollectedTranscript =
  | { status: "in-progress"; jobStatus: "QUEUED" | "IN_PROGRESS" }
  | { status: "failed"; reason: string }
  | { status: "completed"; document: TranscriptDocument; transcript: ObjectRef };

/**
 * Looks the job up; when it has completed, reads its transcript JSON from our bucket and parses it.
 * Throws `TranscribeUnavailableError` (retryable) on throttling or a 5xx from either service,
 * `TranscriptionJobNotFoundError` for an unknown job, and `TranscriptUnreadableError` for a missing,
 * misplaced or malformed transcript.
 * @example const result = await collectTranscript({ transcribe, s3 }, jobName, { outputBucket: "media", maxSpeakers: 4 })
 */
export async function collectTranscript(
  clients: CollectClients,
  jobName: string,
  options: CollectTranscriptOptions,
): Promise<CollectedTranscript> {
  const job = await getJob(clients.transcribe, jobName);
  switch (job.TranscriptionJobStatus) {
    case "QUEUED":
    case "IN_PROGRESS":
      return { status: "in-progress", jobStatus: job.TranscriptionJobStatus };
    case "FAILED":
      return { status: "failed", reason: job.FailureReason ?? "Transcribe gave no failure reason." };
    case "COMPLETED":
      break;
    default:
      throw new TranscribeRequestError(`Transcription job ${jobName} has an unknown status "${job.TranscriptionJobStatus}".`);
  }
  const uri = job.Transcript?.TranscriptFileUri;
  const transcript = uri ? transcriptRef(uri) : undefined;
  if (!transcript) throw new TranscriptUnreadableError(`Transcription job ${jobName} completed without a readable TranscriptFileUri ("${uri}").`);
  if (transcript.bucket !== options.outputBucket) {
    throw new TranscriptUnreadableError(
      `Transcription job ${jobName} wrote to bucket "${transcript.bucket}", not "${options.outputBucket}"; was it started without OutputBucketName?`,
    );
  }
  const json = await readJson(clients.s3, transcript, jobName);
  const document = parseTranscript(json, {
    jobName,
    language: job.LanguageCode ?? options.language,
    maxSpeakers: job.Settings?.MaxSpeakerLabels,
    requestedMaxSpeakers: options.maxSpeakers,
    engineVersion: options.engineVersion,
  });
  return { status: "completed", document, transcript };
}

async function getJob(client: CollectClients["transcribe"], jobName: string): Promise<TranscriptionJob> {
  try {
    const output = await client.send(new GetTranscriptionJobCommand({ TranscriptionJobName: jobName }));
    if (!output.TranscriptionJob) throw new TranscriptionJobNotFoundError(jobName);
    return output.TranscriptionJob;
  } catch (error) {
    if (error instanceof TranscriptionJobNotFoundError) throw error;
    // The model lists NotFoundException for an unknown name. (Transcribe has also been seen to answer
    // BadRequestException "couldn't be found"; that is classified non-retryable anyway.)
    const name = (error as { name?: string })?.name;
    if (name === "NotFoundException") throw new TranscriptionJobNotFoundError(jobName, { cause: error });
    throw classifyTranscribeError(error, `GetTranscriptionJob ${jobName}`);
  }
}

async function readJson(s3: CollectClients["s3"], ref: ObjectRef, jobName: string): Promise<unknown> {
  let text: string;
  try {
    const output = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    if (!output.Body) throw new TranscriptUnreadableError(`s3://${ref.bucket}/${ref.key} has no body.`);
    text = await output.Body.transformToString("utf-8");
  } catch (error) {
    if (error instanceof TranscriptUnreadableError) throw error;
    const name = (error as { name?: string })?.name;
    if (name === "NoSuchKey" || name === "NotFound" || name === "AccessDenied") {
      throw new TranscriptUnreadableError(`Transcript of ${jobName} at s3://${ref.bucket}/${ref.key} cannot be read: ${name}.`, { cause: error });
    }
    throw classifyTranscribeError(error, `GetObject s3://${ref.bucket}/${ref.key}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TranscriptUnreadableError(`Transcript of ${jobName} at s3://${ref.bucket}/${ref.key} is not JSON.`, { cause: error });
  }
}

/**
 * Bucket and key from a `TranscriptFileUri`. With `OutputBucketName` set, Transcribe reports a
 * path-style HTTPS URL (`https://s3.<region>.amazonaws.com/<bucket>/<key>`); `s3://` and
 * virtual-hosted URLs are read too. Undefined for anything else.
 * @example transcriptRef("https://s3.us-east-1.amazonaws.com/media/derived/x/transcribe/x-transcript.json")
 */
export function transcriptRef(uri: string): ObjectRef | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const path = url.pathname.replace(/^\//, "");
  const decode = (s: string) => s.split("/").map(decodeURIComponent).join("/");
  let bucket: string | undefined;
  let key: string | undefined;
  if (url.protocol === "s3:") {
    bucket = url.hostname;
    key = decode(path);
  } else if (url.protocol === "https:") {
    const host = url.hostname;
    const virtual = /^(.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?$/.exec(host);
    if (/^s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?$/.test(host)) {
      const slash = path.indexOf("/");
      if (slash > 0) {
        bucket = decodeURIComponent(path.slice(0, slash));
        key = decode(path.slice(slash + 1));
      }
    } else if (virtual) {
      bucket = virtual[1];
      key = decode(path);
    }
  }
  return bucket && key ? { bucket, key } : undefined;
}
