import type { FunctionProps } from "sst/constructs";

/**
 * Lambda sizes by kind of work, so each function is sized for what it does rather than the app-wide
 * default (1024 MB, 1 minute, 512 MB /tmp).
 */
export const SIZES = {
  /**
   * ffmpeg/ffprobe over the upload: CPU-bound decoding (Lambda's CPU grows with memory; 3008 MB is the
   * most a new account may configure), the media downloaded to /tmp (10 GB is Lambda's maximum, and the
   * upload limit), and up to Lambda's 15 minutes: scene detection decodes every frame (~30 s per 10 min
   * of 720p on 2 cores), so hours-long video needs the local runtime or a container task.
   */
  ffmpeg: { memorySize: "3008 MB", diskSize: "10240 MB", timeout: "15 minutes" },
  /** ffprobe reads the container header; it may still download a file whose index sits at the end. */
  probe: { memorySize: "1769 MB", diskSize: "10240 MB", timeout: "5 minutes" },
  /**
   * Frames mode's detect-labels and moderate: the ffmpeg work (download, one decode pass sampling
   * frames at up to 1280 px) plus a Rekognition Image call per frame, a few in flight. Media longer
   * than an hour is refused in this mode (packages/functions/src/cloud-stages.ts) to stay inside 15 minutes.
   */
  visionFrames: { memorySize: "3008 MB", diskSize: "10240 MB", timeout: "15 minutes" },
  /** Starts an asynchronous cloud job (Rekognition, Transcribe, A2I): one API call and a state write. */
  startJob: { memorySize: "512 MB", timeout: "1 minute" },
  /** Collects a finished job: pages through results, builds and writes the document. */
  collect: { memorySize: "1024 MB", timeout: "5 minutes" },
  /** One Bedrock Converse call per scene, sequentially under the model's rate limit. */
  llm: { memorySize: "1024 MB", timeout: "10 minutes" },
  /** Small JSON in, small JSON out. */
  light: { memorySize: "512 MB", timeout: "1 minute" },
} as const satisfies Record<string, Pick<FunctionProps, "memorySize" | "diskSize" | "timeout">>;

export type SizeName = keyof typeof SIZES;
