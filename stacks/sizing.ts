import {
  formatBytes, LAMBDA_TMP_MAX_MB, MAX_UPLOAD_BYTES, RENDITION_FUNCTION, TMP_USE, tmpMbFor, VISION_FRAMES, visionFramesTmpUse,
} from "@media-pipeline/core";
import type { FunctionProps } from "sst/constructs";

/*
 * /tmp (diskSize) of the functions that run ffmpeg or ffprobe on the upload, from core's limits
 * (packages/core/src/policy/limits.ts): the largest upload accepted (MAX_UPLOAD_BYTES) if the
 * function holds a copy of it, plus what it writes at the longest media accepted, plus a little
 * headroom. Today: probe 512 MB (it reads the upload through a presigned URL and writes nothing),
 * extract-audio 724 MB (6 h of WAV), frames mode 10,146 MB at the default 2 s.
 */

type DiskSize = `${number} MB`;
const mb = (n: number): DiskSize => `${n} MB`;

/**
 * The /tmp of frames mode's detect-labels and moderate for a sampling interval (seconds): more
 * frames, more disk. Throws at synthesis, naming the shortest interval that fits, when the frames
 * beside the largest upload would not fit Lambda's 10,240 MB.
 */
export function visionFramesDiskSize(frameSampleSeconds: number): DiskSize {
  try {
    return mb(tmpMbFor(visionFramesTmpUse(Math.round(frameSampleSeconds * 1000))));
  } catch (cause) {
    let shortest = Math.ceil(frameSampleSeconds * 10) / 10;
    while (shortest < 60 && !fits(shortest)) shortest = Math.round((shortest + 0.1) * 10) / 10;
    throw new Error(
      `MEDIA_FRAME_SAMPLE_SECONDS=${frameSampleSeconds}: ${VISION_FRAMES.maxDurationMs / 60_000} min of frames at that interval do not fit ` +
        `Lambda's ${LAMBDA_TMP_MAX_MB} MB of /tmp beside a ${formatBytes(MAX_UPLOAD_BYTES)} upload (${(cause as Error).message}); ` +
        `use ${shortest} s or more.`,
      { cause },
    );
  }
}

function fits(seconds: number): boolean {
  try {
    tmpMbFor(visionFramesTmpUse(Math.round(seconds * 1000)));
    return true;
  } catch {
    return false;
  }
}

/** The default interval of frames mode (stacks/settings.ts), which `SIZES.visionFrames` is sized for. */
const DEFAULT_FRAME_SAMPLE_SECONDS = 2;

/**
 * Lambda sizes by kind of work, so each function is sized for what it does rather than the app-wide
 * default (1024 MB, 1 minute, 512 MB /tmp).
 */
export const SIZES = {
  /**
   * ffmpeg over the upload (extract-audio): CPU-bound decoding (Lambda's CPU grows with memory; 3008
   * MB is the most a new account may configure), and up to Lambda's 15 minutes. /tmp holds the WAV it
   * writes (the upload is read through a presigned URL). Worst case, 6 h in an 8 GB file: the file
   * streamed once (about 100 s at 80 MB/s), the audio decoded (0.8 s per 10 min of 720p measured on 2
   * cores: under a minute) and 691 MB of WAV written back.
   */
  ffmpeg: { memorySize: "3008 MB", diskSize: mb(tmpMbFor(TMP_USE["extract-audio"]!)), timeout: "15 minutes" },
  /**
   * ffprobe reads the container header, the index and the last seconds through a presigned URL: nothing
   * in /tmp, seconds whatever the file's size (an MP4's index is about 3 MB per hour).
   */
  probe: { memorySize: "1769 MB", diskSize: mb(tmpMbFor(TMP_USE.probe!)), timeout: "5 minutes" },
  /**
   * Frames mode's detect-labels and moderate: the ffmpeg work (download, one decode pass sampling
   * frames at up to 1280 px) plus a Rekognition Image call per frame, a few in flight. Media longer
   * than an hour is refused in this mode (packages/functions/src/cloud-stages.ts) to stay inside 15
   * minutes. /tmp here is for the default interval; the stack sizes it for the deployment's own
   * interval with `visionFramesDiskSize`.
   */
  visionFrames: { memorySize: "3008 MB", diskSize: visionFramesDiskSize(DEFAULT_FRAME_SAMPLE_SECONDS), timeout: "15 minutes" },
  /**
   * prepare-video: a rendition Rekognition Video reads of video it cannot (policy/rekognition-input.ts).
   * Worst case, a remux of the largest upload (8 GB of H.264 in Matroska): read over its presigned URL,
   * written to /tmp and sent back in parts, about 5 minutes at 80 MB/s each way. A transcode (libx264
   * ultrafast, at most 720p) is only attempted when the probe's estimate fits 60 % of this function's
   * CPU time (RENDITION_FUNCTION: 3008 MB is 1.7 vCPU for 15 minutes): about 64 min of 720p30, 39 min
   * of 1080p30 or 13 min of 2160p30 video; the probe refuses longer ones, saying why.
   */
  rendition: { memorySize: `${RENDITION_FUNCTION.memoryMb} MB`, diskSize: mb(tmpMbFor(TMP_USE["prepare-video"]!)), timeout: "15 minutes" },
  /**
   * Starts an asynchronous cloud job (Rekognition, Transcribe, A2I): one API call and a state write,
   * whatever the media's length. detect-shots, detect-labels and moderate are this in video mode: the
   * longest media they take is Rekognition Video's (10 GB, 6 h).
   */
  startJob: { memorySize: "512 MB", timeout: "1 minute" },
  /** Collects a finished job: pages through results, builds and writes the document. */
  collect: { memorySize: "1024 MB", timeout: "5 minutes" },
  /**
   * The Rekognition completion: labels and moderation pages, and for shot segments a keyframe per
   * shot taken from the video without decoding it whole (packages/media/src/keyframes.ts): by seeking the
   * presigned URL, 4 at a time, when that fits half the invocation's time and reads less than the
   * file; otherwise one pass over the video's key frames (at 6 h and 8 GB: the file read once, about
   * 2 minutes at 80 MB/s, and key frames only decoded). /tmp holds those key frames (one a second at
   * 6 h, 640 px wide). 3008 MB for the CPU the seeks' decoding takes.
   */
  videoCollect: { memorySize: "3008 MB", diskSize: mb(tmpMbFor(TMP_USE["rekognition-complete"]!)), timeout: "15 minutes" },
  /** One Bedrock Converse call per scene, sequentially under the model's rate limit. */
  llm: { memorySize: "1024 MB", timeout: "10 minutes" },
  /** Small JSON in, small JSON out. */
  light: { memorySize: "512 MB", timeout: "1 minute" },
} as const satisfies Record<string, Pick<FunctionProps, "memorySize" | "diskSize" | "timeout">>;

export type SizeName = keyof typeof SIZES;

