import type { EmulatorEngines } from "./engines.js";
import { AwsServiceError, jsonRpc, num, obj, str, type Handler } from "./http.js";
import type { MotoAccess } from "./moto-access.js";
import { toTranscribeOutput } from "./transcript-output.js";
import type { WorkQueue } from "./work-queue.js";

/*
 * Amazon Transcribe batch jobs on the AWS JSON 1.1 protocol (`X-Amz-Target: Transcribe.<Operation>`),
 * transcribed by the local speech engines. The transcript JSON goes to the output bucket and key in
 * moto's S3, then a "Transcribe Job State Change" event goes to the default bus, as AWS sends it.
 * https://docs.aws.amazon.com/transcribe/latest/APIReference/API_StartTranscriptionJob.html
 */

type Status = "QUEUED" | "IN_PROGRESS" | "COMPLETED" | "FAILED";

interface TranscriptionJob {
  name: string;
  status: Status;
  media: { uri: string; bucket: string; key: string };
  mediaFormat?: string;
  languageCode: string;
  identifyLanguage: boolean;
  showSpeakerLabels: boolean;
  maxSpeakerLabels?: number;
  output: { bucket: string; key: string };
  settings: Record<string, unknown>;
  creationTime: number;
  startTime?: number;
  completionTime?: number;
  failureReason?: string;
  sampleRate?: number;
}

export interface TranscribeEmulatorOptions {
  moto: MotoAccess;
  engines: EmulatorEngines;
  queue: WorkQueue;
  region: string;
  account: string;
  log: (line: string) => void;
}

const JOB_NAME = /^[0-9a-zA-Z._-]+$/;
const OUTPUT_BUCKET = /^[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9]$/;
const OUTPUT_KEY = /^[a-zA-Z0-9-_.!*'()/]{1,1024}$/;
const MEDIA_FORMATS = new Set(["mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a"]);
/** Transcribe's batch limits: at least half a second, at most 4 hours. */
const MIN_AUDIO_MS = 500;
const MAX_AUDIO_MS = 4 * 3600 * 1000;

/** `s3://bucket/key` or an S3 https URL (path-style or virtual-hosted) → bucket and key. */
function parseMediaUri(uri: string): { bucket: string; key: string } | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (url.protocol === "s3:") return url.hostname && path ? { bucket: url.hostname, key: path } : undefined;
  if (url.protocol !== "https:") return undefined;
  const virtual = /^(.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$/.exec(url.hostname);
  if (virtual) return path ? { bucket: virtual[1]!, key: path } : undefined;
  if (!/^s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$/.test(url.hostname)) return undefined;
  const slash = path.indexOf("/");
  return slash > 0 ? { bucket: path.slice(0, slash), key: path.slice(slash + 1) } : undefined;
}

/**
 * Where the transcript goes: `OutputKey` ending in `.json` is the file; any other OutputKey is a
 * folder for `<job name>.json`; none puts `<job name>.json` at the bucket's root.
 */
function outputKeyFor(outputKey: string | undefined, jobName: string): string {
  if (!outputKey) return `${jobName}.json`;
  if (outputKey.endsWith(".json")) return outputKey;
  return `${outputKey.replace(/\/+$/, "")}/${jobName}.json`;
}

const epoch = () => Date.now() / 1000;

export function transcribeHandler(options: TranscribeEmulatorOptions): Handler {
  const { moto, engines, queue, log } = options;
  const jobs = new Map<string, TranscriptionJob>();
  const serviceBucket = `aws-transcribe-${options.region}-prod`;

  function describe(job: TranscriptionJob) {
    return {
      TranscriptionJobName: job.name,
      TranscriptionJobStatus: job.status,
      LanguageCode: job.languageCode,
      ...(job.identifyLanguage ? { IdentifyLanguage: true } : {}),
      ...(job.mediaFormat ? { MediaFormat: job.mediaFormat } : {}),
      ...(job.sampleRate ? { MediaSampleRateHertz: job.sampleRate } : {}),
      Media: { MediaFileUri: job.media.uri },
      ...(job.status === "COMPLETED" ? { Transcript: { TranscriptFileUri: `https://s3.${options.region}.amazonaws.com/${job.output.bucket}/${job.output.key}` } } : {}),
      CreationTime: job.creationTime,
      ...(job.startTime ? { StartTime: job.startTime } : {}),
      ...(job.completionTime ? { CompletionTime: job.completionTime } : {}),
      ...(job.failureReason ? { FailureReason: job.failureReason } : {}),
      Settings: job.settings,
    };
  }

  async function runJob(job: TranscriptionJob, etag: string): Promise<void> {
    job.status = "IN_PROGRESS";
    job.startTime = epoch();
    try {
      const media = await engines.materialize(job.media.bucket, job.media.key, etag);
      let audio: Awaited<ReturnType<EmulatorEngines["extractAudio"]>>;
      try {
        audio = await engines.extractAudio(media);
      } catch (error) {
        throw new JobFailure(`Unsupported media format: the media file could not be read as audio (${(error as Error).message.split("\n")[0]}). Check that the file is a supported media format and try your request again.`);
      }
      job.sampleRate = audio.sampleRate;
      if (audio.durationMs < MIN_AUDIO_MS) throw new JobFailure("Invalid file size: file size too small. Minimum audio duration is 0.500000 seconds.");
      if (audio.durationMs > MAX_AUDIO_MS) throw new JobFailure("Invalid file size: file size too large. Maximum audio duration is 4.000000 hours.");
      const document = await engines.transcribe(media, audio, {
        // Without speaker labels every word is one speaker's, as Transcribe writes no labels then.
        maxSpeakers: job.showSpeakerLabels ? job.maxSpeakerLabels ?? 2 : 1,
        language: job.languageCode,
      });
      const output = toTranscribeOutput(document, { jobName: job.name, accountId: options.account, speakerLabels: job.showSpeakerLabels });
      await moto.putJson(job.output.bucket, job.output.key, output);
      job.status = "COMPLETED";
    } catch (error) {
      job.status = "FAILED";
      job.failureReason = error instanceof JobFailure ? error.message : `Internal failure in the emulated engine: ${(error as Error).message}`;
      log(`transcribe: ${job.name} failed: ${job.failureReason}`);
    }
    job.completionTime = epoch();
    try {
      await moto.putDefaultBusEvent({
        source: "aws.transcribe",
        detailType: "Transcribe Job State Change",
        detail: { TranscriptionJobName: job.name, TranscriptionJobStatus: job.status, ...(job.failureReason ? { FailureReason: job.failureReason } : {}) },
      });
    } catch (error) {
      log(`transcribe: state change of ${job.name} not delivered: ${(error as Error).message}`);
    }
  }

  return jsonRpc("Transcribe", {
    async StartTranscriptionJob(input) {
      const name = str(input, "TranscriptionJobName", { required: true, min: 1, max: 200, pattern: JOB_NAME, code: "BadRequestException" })!;
      if (name === "." || name === "..") throw new AwsServiceError("BadRequestException", "The job name can't be '.' or '..'.");
      const uri = str(obj(input, "Media", { required: true, code: "BadRequestException" }), "MediaFileUri", { required: true, min: 1, max: 2000, code: "BadRequestException" })!;
      const media = parseMediaUri(uri);
      if (!media) throw new AwsServiceError("BadRequestException", "The URI that you provided doesn't point to an S3 object. Make sure that the object exists and try your request again.");
      const mediaFormat = str(input, "MediaFormat", { code: "BadRequestException" });
      if (mediaFormat && !MEDIA_FORMATS.has(mediaFormat)) throw new AwsServiceError("BadRequestException", `Unsupported MediaFormat ${mediaFormat}.`);
      const languageCode = str(input, "LanguageCode", { code: "BadRequestException" });
      const identifyLanguage = input.IdentifyLanguage === true || input.IdentifyMultipleLanguages === true;
      if (!languageCode && !identifyLanguage) {
        throw new AwsServiceError("BadRequestException", "You must specify a language code or enable automatic language identification (IdentifyLanguage or IdentifyMultipleLanguages).");
      }
      if (languageCode && identifyLanguage) throw new AwsServiceError("BadRequestException", "You can't specify a language code and enable automatic language identification in the same request.");
      const settings = obj(input, "Settings", { code: "BadRequestException" });
      const showSpeakerLabels = settings.ShowSpeakerLabels === true;
      const maxSpeakerLabels = num(settings, "MaxSpeakerLabels", { min: 2, max: 30, integer: true, code: "BadRequestException" });
      if (showSpeakerLabels !== (maxSpeakerLabels !== undefined)) {
        throw new AwsServiceError("BadRequestException", "ShowSpeakerLabels and MaxSpeakerLabels must be specified together.");
      }
      if (showSpeakerLabels && settings.ChannelIdentification === true) {
        throw new AwsServiceError("BadRequestException", "You can't use speaker identification (ShowSpeakerLabels) together with channel identification.");
      }
      const outputBucket = str(input, "OutputBucketName", { pattern: OUTPUT_BUCKET, max: 64, code: "BadRequestException" });
      const outputKey = str(input, "OutputKey", { pattern: OUTPUT_KEY, code: "BadRequestException" });
      if (outputKey && !outputBucket) throw new AwsServiceError("BadRequestException", "OutputKey requires OutputBucketName.");

      if (jobs.has(name)) throw new AwsServiceError("ConflictException", "The requested job name already exists. Use a different job name.");
      const head = await moto.head(media.bucket, media.key);
      if (!head) throw new AwsServiceError("BadRequestException", "The URI that you provided doesn't point to an S3 object. Make sure that the object exists and try your request again.");
      if (outputBucket && !(await moto.bucketExists(outputBucket))) {
        throw new AwsServiceError("BadRequestException", "The specified S3 bucket does not exist. Check the S3 bucket name and try your request again.");
      }
      if (!outputBucket) await moto.ensureBucket(serviceBucket);
      const output = outputBucket
        ? { bucket: outputBucket, key: outputKeyFor(outputKey, name) }
        : { bucket: serviceBucket, key: `${options.account}/${name}/asrOutput.json` };

      const job: TranscriptionJob = {
        name, status: "QUEUED", media: { uri, ...media }, languageCode: languageCode ?? "en-US", identifyLanguage, showSpeakerLabels,
        output, settings, creationTime: epoch(),
        ...(mediaFormat ? { mediaFormat } : {}), ...(maxSpeakerLabels !== undefined ? { maxSpeakerLabels } : {}),
      };
      jobs.set(name, job);
      log(`transcribe: ${name} on ${uri}`);
      void queue.push(() => runJob(job, head.etag)).catch((error: unknown) => log(`transcribe: ${name} crashed: ${(error as Error).message}`));
      return { TranscriptionJob: describe(job) };
    },

    async GetTranscriptionJob(input) {
      const name = str(input, "TranscriptionJobName", { required: true, min: 1, max: 200, code: "BadRequestException" })!;
      const job = jobs.get(name);
      // Transcribe answers BadRequestException (not its modelled NotFoundException) for an unknown name.
      if (!job) throw new AwsServiceError("BadRequestException", "The requested job couldn't be found. Check the job name and try your request again.");
      return { TranscriptionJob: describe(job) };
    },

    async DeleteTranscriptionJob(input) {
      const name = str(input, "TranscriptionJobName", { required: true, min: 1, max: 200, code: "BadRequestException" })!;
      if (!jobs.delete(name)) throw new AwsServiceError("BadRequestException", "The requested job couldn't be found. Check the job name and try your request again.");
      return {};
    },
  });
}

/** A job that ends FAILED with this message as its FailureReason. */
class JobFailure extends Error {}
