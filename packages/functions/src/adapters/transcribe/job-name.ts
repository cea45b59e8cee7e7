import { MediaId } from "@media-pipeline/core";
import { TranscribeRequestError } from "./errors.js";

/*
 * Transcription job names, apart from the SDK so that the stacks can import them: the stage names
 * jobs, the completions parse them, the stacks' rule filters on them, all from this one module.
 * Transcribe reports every job of the account and region on the default bus, so the name is what
 * keeps two deployments (two SST stages, or two apps) from collecting each other's transcripts.
 */

/** Every pipeline job name ends with this. */
export const TRANSCRIPTION_JOB_SUFFIX = "-transcript";

/** The environment variable the stacks set to the deployment's prefix (see `transcriptionJobPrefix`). */
export const TRANSCRIBE_JOB_PREFIX_ENV = "TRANSCRIBE_JOB_PREFIX";

/** `TranscriptionJobName`: 1–200 characters matching `^[0-9a-zA-Z._-]+`, unique per account and region. */
const JOB_NAME_MAX = 200;
const JOB_NAME_CHARS = /^[0-9a-zA-Z._-]*$/;
/** What a prefix may use of the 200: the rest is the 26-character mediaId and the suffix. */
export const TRANSCRIPTION_JOB_PREFIX_MAX = JOB_NAME_MAX - 26 - TRANSCRIPTION_JOB_SUFFIX.length;

/**
 * The job-name prefix of one deployment: `<app>.<stage>.`. The dots keep it unambiguous: app and
 * stage names are CloudFormation stack-name parts (letters, digits and hyphens), so no other
 * app/stage pair yields a prefix that starts with this one (with hyphens, stage `prod` would match
 * the jobs of a stage `prod-eu`). Characters outside `[0-9A-Za-z-]` become `-`. Deterministic: a
 * redeploy keeps the names of running jobs.
 * @example transcriptionJobPrefix("media-pipeline", "prod") === "media-pipeline.prod."
 */
export function transcriptionJobPrefix(app: string, stage: string): string {
  const part = (value: string, what: string) => {
    const clean = value.trim().replace(/[^0-9A-Za-z-]/g, "-");
    if (!clean) throw new TranscribeRequestError(`Cannot build a transcription job prefix from an empty ${what} name.`);
    return clean;
  };
  const prefix = `${part(app, "app")}.${part(stage, "stage")}.`;
  if (prefix.length > TRANSCRIPTION_JOB_PREFIX_MAX) {
    throw new TranscribeRequestError(
      `The app and stage names make a transcription job prefix of ${prefix.length} characters ("${prefix}"); ` +
        `Transcribe's 200-character job names leave room for ${TRANSCRIPTION_JOB_PREFIX_MAX}: use a shorter stage name.`,
    );
  }
  return prefix;
}

/**
 * The job name for a media item: `<jobNamePrefix><mediaId>-transcript`.
 * @example transcriptionJobName("01jd8x7k2m4n6p8q0r2s4t6v8w", "media-pipeline.prod.") === "media-pipeline.prod.01jd8x7k2m4n6p8q0r2s4t6v8w-transcript"
 */
export function transcriptionJobName(mediaId: string, jobNamePrefix = ""): string {
  if (!MediaId.safeParse(mediaId).success) {
    throw new TranscribeRequestError(`Cannot name a transcription job for "${mediaId}": not a mediaId (26-character lower-case ULID).`);
  }
  checkPrefix(jobNamePrefix);
  return `${jobNamePrefix}${mediaId}${TRANSCRIPTION_JOB_SUFFIX}`;
}

/**
 * The mediaId inside one of our job names, or undefined for any other name (another prefix included).
 * @example parseTranscriptionJobName("media-pipeline.prod.01jd8x7k2m4n6p8q0r2s4t6v8w-transcript", "media-pipeline.prod.") === "01jd8x7k2m4n6p8q0r2s4t6v8w"
 */
export function parseTranscriptionJobName(jobName: string, jobNamePrefix = ""): string | undefined {
  if (!jobName.startsWith(jobNamePrefix) || !jobName.endsWith(TRANSCRIPTION_JOB_SUFFIX)) return undefined;
  const mediaId = jobName.slice(jobNamePrefix.length, jobName.length - TRANSCRIPTION_JOB_SUFFIX.length);
  return MediaId.safeParse(mediaId).success ? mediaId : undefined;
}

/**
 * The EventBridge pattern value for `detail.TranscriptionJobName` that selects our jobs. Without a
 * prefix a suffix match; with one, a wildcard (EventBridge cannot AND a prefix and a suffix matcher on
 * one field). Prefix characters are limited to `[0-9a-zA-Z._-]`, so nothing needs escaping.
 * @example transcriptionJobNameFilter("media-pipeline.prod.") // [{ wildcard: "media-pipeline.prod.*-transcript" }]
 */
export function transcriptionJobNameFilter(jobNamePrefix = ""): Array<{ suffix: string } | { wildcard: string }> {
  checkPrefix(jobNamePrefix);
  return jobNamePrefix ? [{ wildcard: `${jobNamePrefix}*${TRANSCRIPTION_JOB_SUFFIX}` }] : [{ suffix: TRANSCRIPTION_JOB_SUFFIX }];
}

/** Throws `TranscribeRequestError` for a prefix Transcribe's name rules cannot take. */
export function checkPrefix(prefix: string): void {
  if (!JOB_NAME_CHARS.test(prefix) || prefix.length > TRANSCRIPTION_JOB_PREFIX_MAX) {
    throw new TranscribeRequestError(`Invalid transcription job name prefix "${prefix}": at most ${TRANSCRIPTION_JOB_PREFIX_MAX} of [0-9a-zA-Z._-].`);
  }
}
