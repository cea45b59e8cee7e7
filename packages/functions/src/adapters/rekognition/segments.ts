import {
  GetContentModerationCommand,
  GetLabelDetectionCommand,
  GetSegmentDetectionCommand,
  GetTextDetectionCommand,
  type GetSegmentDetectionResponse,
  type SegmentDetection,
} from "@aws-sdk/client-rekognition";
import type { EngineInfo } from "@media-pipeline/core";
import type { RekognitionApi } from "./completion.js";
import { classifyRekognitionError } from "./errors.js";
import type { RekognitionSender } from "./jobs.js";
import { readPages, REKOGNITION_VIDEO_ENGINE } from "./results.js";

/** A shot as core's shots document has it, before its keyframe is taken. */
export interface SegmentShot {
  index: number;
  startMs: number;
  endMs: number;
  /** 0–1, as the local detector's scene score; 1 for the first shot. */
  cutScore: number;
}

export interface ShotSegments {
  shots: SegmentShot[];
  /** The analysed video as Rekognition describes it (VideoMetadata[0]). */
  video?: { width: number; height: number; durationMs: number; fps: number };
  engine: EngineInfo;
}

/**
 * Reads every page of a segment detection job and maps its SHOT segments onto core's shots:
 * `StartTimestampMillis`/`EndTimestampMillis` are the shot's start and end (a shot runs up to the
 * next one's start, as in core), `ShotSegment.Index` its index (shots are numbered by position, which
 * is Rekognition's Index when no shot was filtered out), and `ShotSegment.Confidence` (50–100, the
 * floor being MinSegmentConfidence's) the cut's score on core's 0–1 scale, `(Confidence − 50) / 50`;
 * the first shot opens the video and scores 1, as the local detector's does. A video in which
 * Rekognition finds no shot (a second or two long) is one shot.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_GetSegmentDetection.html
 */
export async function getShotSegments(client: RekognitionSender, jobId: string): Promise<ShotSegments> {
  const segments: SegmentDetection[] = [];
  let metadata: GetSegmentDetectionResponse["VideoMetadata"];
  let version: string | undefined;
  await readPages<GetSegmentDetectionResponse>("GetSegmentDetection", jobId, (NextToken) =>
    client.send(new GetSegmentDetectionCommand({ JobId: jobId, MaxResults: 1000, NextToken })),
    (page) => {
      metadata ??= page.VideoMetadata;
      version ??= page.SelectedSegmentTypes?.find((t) => t.Type === "SHOT")?.ModelVersion;
      for (const s of page.Segments ?? []) if (s.Type === "SHOT" && s.ShotSegment) segments.push(s);
    },
  );
  const meta = metadata?.[0];
  const video = meta?.FrameWidth && meta.FrameHeight
    ? { width: meta.FrameWidth, height: meta.FrameHeight, durationMs: Math.round(meta.DurationMillis ?? 0), fps: meta.FrameRate ?? 0 }
    : undefined;
  const sorted = segments
    .map((s) => ({ start: ms(s.StartTimestampMillis), end: ms(s.EndTimestampMillis), rekIndex: s.ShotSegment?.Index, confidence: s.ShotSegment?.Confidence ?? 50 }))
    .sort((a, b) => a.start - b.start);
  const shots: SegmentShot[] = sorted.map((s, i) => ({
    index: i,
    startMs: s.start,
    endMs: Math.max(s.start, s.end, sorted[i + 1]?.start ?? 0),
    cutScore: i === 0 ? 1 : Math.min(1, Math.max(0, (s.confidence - 50) / 50)),
  }));
  const renumbered = sorted.some((s, i) => s.rekIndex !== undefined && s.rekIndex !== i);
  if (shots.length === 0) shots.push({ index: 0, startMs: 0, endMs: video?.durationMs ?? 0, cutScore: 1 });
  return {
    shots,
    ...(video ? { video } : {}),
    engine: {
      name: REKOGNITION_VIDEO_ENGINE,
      version: version || "unknown",
      settings: { api: "GetSegmentDetection", jobId, segmentTypes: ["SHOT"], ...(renumbered ? { renumbered: true } : {}) },
      ...(segments.length === 0 ? { note: "Rekognition found no shot boundary: the whole video is one shot." } : {}),
    },
  };
}

/** The Get… operation that reads each job's results (and its StatusMessage). */
const GET_OPERATION: Record<RekognitionApi, string> = {
  LABEL_DETECTION: "GetLabelDetection",
  CONTENT_MODERATION: "GetContentModeration",
  SEGMENT_DETECTION: "GetSegmentDetection",
  TEXT_DETECTION: "GetTextDetection",
};

function ms(value: number | undefined): number {
  return Math.max(0, Math.round(value ?? 0));
}

/**
 * Why a job ended FAILED, in Rekognition's words: the completion notice says only that it did, the
 * job's Get… operation carries `StatusMessage` ("Unsupported codec/format.", an S3 object it could not
 * read…). Empty when the job has none.
 */
export async function getJobStatusMessage(client: RekognitionSender, api: RekognitionApi, jobId: string): Promise<string> {
  const input = { JobId: jobId, MaxResults: 1 };
  const operation = GET_OPERATION[api];
  try {
    const page = api === "LABEL_DETECTION"
      ? await client.send(new GetLabelDetectionCommand(input))
      : api === "CONTENT_MODERATION"
        ? await client.send(new GetContentModerationCommand(input))
        : api === "TEXT_DETECTION"
          ? await client.send(new GetTextDetectionCommand(input))
          : await client.send(new GetSegmentDetectionCommand(input));
    return page.StatusMessage?.trim() ?? "";
  } catch (error) {
    throw classifyRekognitionError(error, operation);
  }
}
