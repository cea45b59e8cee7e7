import {
  LanguageCode,
  MediaFormat,
  StartTranscriptionJobCommand,
  type StartTranscriptionJobRequest,
  type TranscribeClient,
} from "@aws-sdk/client-transcribe";
import { derivedKey, type ObjectRef } from "@media-pipeline/core";
import { classifyTranscribeError, TranscribeRequestError } from "./errors.js";
import { transcriptionJobName } from "./job-name.js";

/*
 * Starting a Transcribe batch job under a name derived from the mediaId, so a duplicate delivery of
 * `Audio Extracted` asks for the same job and Transcribe's `ConflictException` dedupes it.
 * https://docs.aws.amazon.com/transcribe/latest/APIReference/API_StartTranscriptionJob.html
 */

export {
  checkPrefix,
  parseTranscriptionJobName,
  TRANSCRIBE_JOB_PREFIX_ENV,
  TRANSCRIPTION_JOB_PREFIX_MAX,
  TRANSCRIPTION_JOB_SUFFIX,
  transcriptionJobName,
  transcriptionJobNameFilter,
  transcriptionJobPrefix,
} from "./job-name.js";

/** Transcribe's `MaxSpeakerLabels` range (diarization tells apart at most 30 speakers, and needs 2 or more). */
export const MIN_SPEAKER_LABELS = 2;
export const MAX_SPEAKER_LABELS = 30;

/**
 * `MaxSpeakerLabels` for an upper bound on speakers. Transcribe accepts 2–30: a bound of 1 becomes 2
 * (diarization stays on, so the output keeps `speaker_labels` and the document its usual shape;
 * `parseTranscript` notes it when Transcribe then hears more speakers than were asked for).
 */
export function speakerLabelsFor(maxSpeakers: number): number {
  const n = Number.isFinite(maxSpeakers) ? Math.floor(maxSpeakers) : MAX_SPEAKER_LABELS;
  return Math.min(MAX_SPEAKER_LABELS, Math.max(MIN_SPEAKER_LABELS, n));
}

export interface StartTranscriptionInput {
  mediaId: string;
  /** The extracted audio (16 kHz mono WAV or FLAC) in our bucket. */
  audio: ObjectRef;
  /** Upper bound on distinct speakers; clamped to Transcribe's 2–30. */
  maxSpeakers: number;
  /** A Transcribe language code (`en-US`), or `auto` (also when absent) for language identification. */
  language?: string | "auto";
  /** Our bucket: Transcribe writes the transcript JSON there, not to a service bucket. */
  outputBucket: string;
  /** Folder for the transcript JSON; default `derived/<mediaId>/transcribe/`. Must end with `/`. */
  outputKeyPrefix?: string;
  /**
   * Candidate languages for `auto` (two or more; AWS advises five at most). Left out by default, as
   * AWS advises when the languages are unknown. A single entry is used as the `LanguageCode`.
   */
  languageOptions?: readonly string[];
  /** Prepended to every job name: the deployment's `transcriptionJobPrefix` (job-name.ts). */
  jobNamePrefix?: string;
}

/**
 * The exact `StartTranscriptionJob` request for a media item (exported so the request is reviewable
 * and testable on its own).
 */
export function startTranscriptionRequest(input: StartTranscriptionInput): StartTranscriptionJobRequest {
  const jobName = transcriptionJobName(input.mediaId, input.jobNamePrefix);
  const outputKey = input.outputKeyPrefix ?? derivedKey(input.mediaId, "transcribe/");
  if (!outputKey.endsWith("/")) {
    // Without the slash Transcribe would take the prefix as the output file name itself.
    throw new TranscribeRequestError(`outputKeyPrefix must end with "/": "${outputKey}"`);
  }
  const format = mediaFormatOf(input.audio.key);
  return {
    TranscriptionJobName: jobName,
    Media: { MediaFileUri: `s3://${input.audio.bucket}/${input.audio.key}` },
    ...(format ? { MediaFormat: format } : {}),
    ...languageFields(input.language, input.languageOptions),
    Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: speakerLabelsFor(input.maxSpeakers) },
    OutputBucketName: input.outputBucket,
    OutputKey: outputKey,
  };
}

/**
 * Starts the transcription job for a media item. A job that already exists under the name (a
 * duplicate or replayed delivery) is not an error: the same name comes back with `duplicate: true`.
 * Throws `TranscribeUnavailableError` (retryable) on throttling, `LimitExceededException` or a 5xx,
 * and `TranscribeRequestError` on `BadRequestException` or an invalid input.
 * @example const { jobName } = await startTranscription(new TranscribeClient({}), { mediaId, audio, maxSpeakers: 4, language: "en-US", outputBucket })
 */
export async function startTranscription(
  client: Pick<TranscribeClient, "send">,
  input: StartTranscriptionInput,
): Promise<{ jobName: string; duplicate: boolean }> {
  const request = startTranscriptionRequest(input);
  const jobName = request.TranscriptionJobName!;
  try {
    await client.send(new StartTranscriptionJobCommand(request));
    return { jobName, duplicate: false };
  } catch (error) {
    if ((error as { name?: string })?.name === "ConflictException") return { jobName, duplicate: true };
    throw classifyTranscribeError(error, `StartTranscriptionJob ${jobName}`);
  }
}

const LANGUAGE_CODES = new Set<string>(Object.values(LanguageCode));

function languageCode(code: string): LanguageCode {
  if (!LANGUAGE_CODES.has(code)) {
    throw new TranscribeRequestError(`"${code}" is not a Transcribe language code (for example en-US), nor "auto".`);
  }
  return code as LanguageCode;
}

function languageFields(language: string | undefined, options: readonly string[] = []): Partial<StartTranscriptionJobRequest> {
  if (language && language !== "auto") return { LanguageCode: languageCode(language) };
  const codes = [...new Set(options)].map(languageCode);
  if (codes.length === 1) return { LanguageCode: codes[0] };
  return { IdentifyLanguage: true, ...(codes.length ? { LanguageOptions: codes } : {}) };
}

const MEDIA_FORMATS = new Set<string>(Object.values(MediaFormat));

/** From the key's extension; left out when unknown (`MediaFormat` is optional in the request). */
function mediaFormatOf(key: string): MediaFormat | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase();
  return ext && MEDIA_FORMATS.has(ext) ? (ext as MediaFormat) : undefined;
}
