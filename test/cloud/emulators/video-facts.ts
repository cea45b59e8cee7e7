import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/*
 * What Rekognition Video reports about a video (VideoMetadata, AudioMetadata) and whether it can read
 * it at all: MP4, MOV or AVI with H.264 only ("The video must be encoded using the H.264 codec. The
 * supported file formats are MPEG-4 and MOV", https://docs.aws.amazon.com/rekognition/latest/dg/video.html;
 * the API reference adds .avi). Anything else ends the job FAILED, as AWS does, after it started.
 */

/** Rekognition's StatusMessage for a video it cannot decode. */
export const UNSUPPORTED_VIDEO = "Unsupported codec/format.";

export interface VideoMetadata {
  Codec: string;
  DurationMillis: number;
  Format: string;
  FrameRate: number;
  FrameHeight: number;
  FrameWidth: number;
  ColorRange: "FULL" | "LIMITED";
}

export interface AudioMetadata {
  Codec: string;
  DurationMillis: number;
  SampleRate: number;
  NumberOfChannels: number;
}

export type VideoFacts =
  | { supported: true; metadata: VideoMetadata; audio: AudioMetadata[]; fps: number; durationMs: number }
  | { supported: false; reason: string; detail: string };

interface FfprobeJson {
  format?: { format_name?: string; format_long_name?: string; duration?: string };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
    sample_rate?: string;
    channels?: number;
    color_range?: string;
    disposition?: { attached_pic?: number };
  }>;
}

/** ffprobe's demuxers for the containers Rekognition reads (mov/mp4 share one). */
const READABLE_CONTAINERS = /(^|,)(mov|mp4|avi)(,|$)/;

function rate(text: string | undefined): number {
  const [n, d] = (text ?? "").split("/").map(Number);
  return n && d ? n / d : 0;
}

/** Probes a local copy of the video and decides as Rekognition Video would. */
export async function inspectVideo(ffprobePath: string, file: string): Promise<VideoFacts> {
  let json: FfprobeJson;
  try {
    const { stdout } = await run(ffprobePath, ["-v", "error", "-show_format", "-show_streams", "-of", "json", file], { maxBuffer: 8 << 20 });
    json = JSON.parse(stdout) as FfprobeJson;
  } catch (error) {
    return { supported: false, reason: UNSUPPORTED_VIDEO, detail: `ffprobe could not read it: ${(error as Error).message.split("\n").slice(-2).join(" ")}` };
  }
  const formatName = json.format?.format_name ?? "";
  const video = json.streams?.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  if (!video) return { supported: false, reason: UNSUPPORTED_VIDEO, detail: "no video stream" };
  if (!READABLE_CONTAINERS.test(formatName) || video.codec_name !== "h264") {
    return { supported: false, reason: UNSUPPORTED_VIDEO, detail: `container ${formatName || "unknown"}, video codec ${video.codec_name ?? "unknown"}` };
  }
  const seconds = Number(json.format?.duration ?? video.duration);
  const durationMs = Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0;
  const fps = rate(video.avg_frame_rate) || rate(video.r_frame_rate) || 25;
  const audio = (json.streams ?? [])
    .filter((s) => s.codec_type === "audio")
    .map((s) => ({
      Codec: s.codec_name ?? "unknown",
      DurationMillis: Math.round(Number(s.duration ?? seconds) * 1000) || durationMs,
      SampleRate: Number(s.sample_rate ?? 0),
      NumberOfChannels: s.channels ?? 0,
    }));
  return {
    supported: true,
    fps,
    durationMs,
    audio,
    metadata: {
      Codec: video.codec_name,
      DurationMillis: durationMs,
      Format: json.format?.format_long_name ?? formatName,
      FrameRate: fps,
      FrameHeight: video.height ?? 0,
      FrameWidth: video.width ?? 0,
      ColorRange: video.color_range === "pc" ? "FULL" : "LIMITED",
    },
  };
}
