/*
 * The largest media the pipeline accepts, and the disk each cloud function needs for it: one module,
 * so that the upload APIs (cloud and local), probe and the Lambda sizes (stacks/sizing.ts) cannot
 * disagree. A function either holds a copy of the upload in /tmp (downloads it, or writes something
 * as large, such as a remux) or reads it where it is stored (a presigned URL); either way it writes
 * its outputs there too. Lambda's /tmp is at most 10,240 MB, so the upload cap is what is left of it
 * beside the largest output of a function that holds the upload, and never more than Rekognition
 * Video takes.
 */

/** Lambda's "MB" in memory and ephemeral-storage sizes are MiB. */
export const MIB = 1024 ** 2;

/** Lambda's ephemeral storage (/tmp) range, in MB (MiB). https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html */
export const LAMBDA_TMP_MIN_MB = 512;
export const LAMBDA_TMP_MAX_MB = 10_240;
export const LAMBDA_TMP_MAX_BYTES = LAMBDA_TMP_MAX_MB * MIB;

/**
 * Rekognition Video's stored-video limit, "10 GB", taken as the smaller (decimal) reading.
 * https://docs.aws.amazon.com/rekognition/latest/dg/limits.html
 */
export const REKOGNITION_VIDEO_MAX_BYTES = 10_000_000_000;

/**
 * The longest media accepted (probe refuses longer: `MAX_DURATION_SECONDS` may lower it, not raise
 * it). Rekognition Video's 6 h; every duration-dependent output below is budgeted at this length.
 */
export const MAX_MEDIA_DURATION_MS = 6 * 3600_000;

/** What /tmp holds besides the upload and the outputs: ffmpeg's and the runtime's own files, a frame manifest. */
export const TMP_HEADROOM_BYTES = 64 * MIB;

/** extract-audio's output: 16 kHz mono 16-bit PCM WAV, 32,000 bytes per second of media. */
export const EXTRACTED_AUDIO_BYTES_PER_SECOND = 16_000 * 1 * 2;
/** ffmpeg's RIFF header with its LIST/INFO chunk is under 100 bytes; a page covers it. */
const WAV_HEADER_ALLOWANCE = 4096;

/** The extracted WAV of `durationMs` of media. */
export function extractedAudioBytes(durationMs: number): number {
  return WAV_HEADER_ALLOWANCE + Math.ceil((durationMs / 1000) * EXTRACTED_AUDIO_BYTES_PER_SECOND);
}

/**
 * A JPEG frame at ffmpeg's `-q:v 3` is budgeted at this many bytes per pixel: the most measured on
 * the photographs in Debian's python3-skimage data at 640 and 1280 px (0.32; random noise, which no
 * real video is, reaches 0.5–0.65).
 */
export const JPEG_BYTES_PER_PIXEL = 0.35;
/**
 * Cuts per minute, on average over a whole file, that the frame budgets allow for: a shot every 5 s
 * (feature films average 4–6 s per shot; talks, lectures and recordings far longer).
 */
export const ASSUMED_CUTS_PER_MINUTE = 12;

/** A frame pass as the ffmpeg frame source runs it: a keyframe per cut plus a frame every `sampleEveryMs`. */
export interface FramePass {
  sampleEveryMs: number;
  /** Frames are scaled to at most this width; the budget takes a 9:16 portrait frame (phones record those), the tallest common shape. */
  maxWidth: number;
}

/** Frames mode (detect-labels / moderate on the image APIs): the longest media it takes in one Lambda, and its frame width. */
export const VISION_FRAMES = { maxDurationMs: 60 * 60_000, maxWidth: 1280 } as const;

/** The bytes a frame pass writes for `durationMs` of media (JPEGs, plus a manifest line each). */
export function framePassBytes(durationMs: number, pass: FramePass): number {
  const minutes = durationMs / 60_000;
  const frames = Math.floor(durationMs / pass.sampleEveryMs) + 1 + Math.ceil(minutes * ASSUMED_CUTS_PER_MINUTE);
  const frameBytes = Math.ceil(pass.maxWidth * Math.ceil((pass.maxWidth * 16) / 9) * JPEG_BYTES_PER_PIXEL) + 256;
  return frames * frameBytes;
}

/** What one function keeps in /tmp at the longest media it takes. */
export interface TmpUse {
  /** A copy of the upload (downloaded), or an output as large as the upload (a remux of it). */
  holdsUpload: boolean;
  /** Everything else it writes there. */
  outputBytes: number;
}

/**
 * /tmp use of each cloud function that runs ffmpeg or ffprobe on the upload, by handler name
 * (`packages/functions/src/handlers/<name>.ts`; the stack test looks every such function up here, so
 * a new one needs an entry). probe and extract-audio read the upload through a presigned URL. Frames
 * mode's detect-labels and moderate are `visionFramesTmpUse`.
 */
export const TMP_USE: Readonly<Record<string, TmpUse>> = {
  probe: { holdsUpload: false, outputBytes: 0 },
  "extract-audio": { holdsUpload: false, outputBytes: extractedAudioBytes(MAX_MEDIA_DURATION_MS) },
  // The rendition of a video Rekognition cannot read: a remux is as large as the upload's video; a
  // transcode is capped far below it (5 Mb/s, and only what fits the function's time).
  "prepare-video": { holdsUpload: true, outputBytes: 0 },
  // Segment detection's keyframes, read from the video by seeking: one JPEG per shot, or, when one
  // pass over the key frames is cheaper, every key frame (phones write one a second) until the
  // shots' are picked.
  "rekognition-complete": { holdsUpload: false, outputBytes: framePassBytes(MAX_MEDIA_DURATION_MS, { sampleEveryMs: 1000, maxWidth: 640 }) },
};

/** The default frames-mode sampling interval (ms): a frame every 2 s inside a shot. */
export const DEFAULT_VISION_SAMPLE_MS = 2000;

/**
 * Frames mode's detect-labels and moderate download the upload and sample an hour of frames beside
 * it: more frames at a shorter interval.
 */
export function visionFramesTmpUse(sampleEveryMs = DEFAULT_VISION_SAMPLE_MS): TmpUse {
  return { holdsUpload: true, outputBytes: framePassBytes(VISION_FRAMES.maxDurationMs, { sampleEveryMs, maxWidth: VISION_FRAMES.maxWidth }) };
}

/** Every function's use, frames mode at its default interval. */
export function tmpUses(): Array<[string, TmpUse]> {
  return [...Object.entries(TMP_USE), ["frames mode", visionFramesTmpUse()]];
}

/** The cap is rounded down to a multiple of this (decimal), so that it reads as a plain figure. */
const CAP_STEP_BYTES = 500_000_000;

/**
 * The largest upload accepted, in bytes: half a gigabyte below Rekognition Video's 10 GB, or less if a
 * function that holds the upload in /tmp would not fit Lambda's largest /tmp with its outputs (frames
 * mode at its default interval included). 8 GB with today's budgets: frames mode's download beside
 * an hour of its 1280 px frames.
 */
export const MAX_UPLOAD_BYTES = (() => {
  const beside = Math.max(0, ...tmpUses().filter(([, use]) => use.holdsUpload).map(([, use]) => use.outputBytes));
  const fits = Math.min(REKOGNITION_VIDEO_MAX_BYTES - CAP_STEP_BYTES, LAMBDA_TMP_MAX_BYTES - TMP_HEADROOM_BYTES - beside);
  return Math.floor(fits / CAP_STEP_BYTES) * CAP_STEP_BYTES;
})();

/**
 * The /tmp (ephemeral storage, whole MB) a function needs: the largest upload if it holds one, its
 * outputs and the headroom. Throws when that is more than Lambda allows.
 * @example tmpMbFor(TMP_USE["extract-audio"]) // 724 MB: 6 h of WAV
 */
export function tmpMbFor(use: TmpUse): number {
  const bytes = (use.holdsUpload ? MAX_UPLOAD_BYTES : 0) + use.outputBytes + TMP_HEADROOM_BYTES;
  const mb = Math.max(LAMBDA_TMP_MIN_MB, Math.ceil(bytes / MIB));
  if (mb > LAMBDA_TMP_MAX_MB) {
    throw new RangeError(
      `${use.holdsUpload ? `${formatBytes(MAX_UPLOAD_BYTES)} of upload plus ` : ""}${formatBytes(use.outputBytes)} of outputs ` +
        `need ${mb} MB of /tmp, over Lambda's ${LAMBDA_TMP_MAX_MB} MB`,
    );
  }
  return mb;
}

/** `6.5 GB`, `691.2 MB`: decimal units, as AWS states its service limits. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${+(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${+(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}
