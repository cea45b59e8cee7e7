import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ShotsDocument } from "@media-pipeline/core";

const run = promisify(execFile);

/*
 * StartSegmentDetection's results from the local engines: SHOT segments are the local shot
 * detector's shots (the shared ffmpeg frame pass: cuts by scene score, fades and dissolves by the
 * blend search, as Rekognition also ends shots at gradual transitions), TECHNICAL_CUE
 * segments are ffmpeg's `blackdetect` runs (BlackFrames) and the content between them (Content).
 * Color bars, slates, studio logos and credits are not emulated: no local engine finds them.
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_SegmentDetection.html
 */

export interface SegmentDetection {
  Type: "SHOT" | "TECHNICAL_CUE";
  StartTimestampMillis: number;
  EndTimestampMillis: number;
  DurationMillis: number;
  StartTimecodeSMPTE: string;
  EndTimecodeSMPTE: string;
  DurationSMPTE: string;
  StartFrameNumber: number;
  EndFrameNumber: number;
  DurationFrames: number;
  ShotSegment?: { Index: number; Confidence: number };
  TechnicalCueSegment?: { Type: string; Confidence: number };
}

export interface SegmentFilters {
  shotMinConfidence: number;
  cueMinConfidence: number;
  /** BlackFrame.MaxPixelThreshold (0–1, default 0.2): a pixel at or below it counts as black. */
  blackPixelThreshold: number;
  /** BlackFrame.MinCoveragePercentage (0–100, default 99): share of black pixels that makes a frame black. */
  blackCoveragePercent: number;
}

/** NTSC-style rates (29.97, 59.94) are counted in drop-frame timecode, as Rekognition marks with `;`. */
function isDropFrame(fps: number): boolean {
  return Math.abs(fps * 1001 / 1000 - Math.round(fps)) < 0.01 && Math.round(fps) % 30 === 0 && !Number.isInteger(fps);
}

/** Frame count → HH:MM:SS:FF (or HH:MM:SS;FF drop-frame). */
export function smpte(frames: number, fps: number): string {
  const nominal = Math.max(1, Math.round(fps));
  let n = frames;
  const drop = isDropFrame(fps);
  if (drop) {
    // SMPTE 12M: skip frame numbers 0 and 1 (2 per 30 fps) each minute except every tenth.
    const dropPerMinute = Math.round(nominal / 15);
    const perTenMinutes = nominal * 600 - dropPerMinute * 9;
    const perMinute = nominal * 60 - dropPerMinute;
    const tens = Math.floor(n / perTenMinutes);
    const rest = n % perTenMinutes;
    n += dropPerMinute * 9 * tens + (rest > dropPerMinute ? dropPerMinute * Math.floor((rest - dropPerMinute) / perMinute) : 0);
  }
  const ff = n % nominal;
  const totalSeconds = Math.floor(n / nominal);
  const pad = (v: number) => String(v).padStart(2, "0");
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${drop ? ";" : ":"}${pad(ff)}`;
}

/** A segment from `startMs` (inclusive) to `endMs` (exclusive), in frames, milliseconds and timecodes. */
function segment(type: SegmentDetection["Type"], startMs: number, endMs: number, fps: number): SegmentDetection {
  const startFrame = Math.round((startMs * fps) / 1000);
  const endFrame = Math.max(startFrame, Math.round((endMs * fps) / 1000) - 1);
  const durationFrames = endFrame - startFrame + 1;
  const start = Math.floor(startMs);
  const end = Math.max(start, Math.floor(endMs));
  return {
    Type: type,
    StartTimestampMillis: start,
    EndTimestampMillis: end,
    DurationMillis: end - start,
    StartTimecodeSMPTE: smpte(startFrame, fps),
    EndTimecodeSMPTE: smpte(endFrame, fps),
    DurationSMPTE: smpte(durationFrames, fps),
    StartFrameNumber: startFrame,
    EndFrameNumber: endFrame,
    DurationFrames: durationFrames,
  };
}

/**
 * SHOT segments from the local shots document. Confidence maps the cut's scene score (the detector
 * only cuts above its threshold) onto 50–100, so every shot it found passes Rekognition's default
 * MinSegmentConfidence of 50; the first shot, which opens the video, is 100.
 */
export function shotSegments(shots: ShotsDocument, fps: number, minConfidence: number): SegmentDetection[] {
  return shots.shots
    .map((shot) => ({
      ...segment("SHOT", shot.startMs, shot.endMs, fps),
      ShotSegment: { Index: shot.index, Confidence: Math.round((50 + 50 * shot.cutScore) * 1000) / 1000 },
    }))
    .filter((s) => s.ShotSegment.Confidence >= minConfidence);
}

/** Black runs as ffmpeg's blackdetect finds them, in milliseconds. */
export async function blackRuns(ffmpegPath: string, file: string, filters: SegmentFilters): Promise<Array<{ startMs: number; endMs: number }>> {
  const filter = `blackdetect=d=0.04:pix_th=${filters.blackPixelThreshold}:pic_th=${filters.blackCoveragePercent / 100}`;
  const { stderr } = await run(ffmpegPath, ["-hide_banner", "-nostdin", "-nostats", "-i", file, "-map", "0:v:0", "-vf", filter, "-an", "-f", "null", "-"], {
    maxBuffer: 32 << 20,
  });
  const runs: Array<{ startMs: number; endMs: number }> = [];
  for (const m of stderr.matchAll(/black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)/g)) {
    runs.push({ startMs: Math.round(Number(m[1]) * 1000), endMs: Math.round(Number(m[2]) * 1000) });
  }
  return runs;
}

/** TECHNICAL_CUE segments: BlackFrames runs and the Content between them, covering the whole video. */
export function technicalCueSegments(black: Array<{ startMs: number; endMs: number }>, durationMs: number, fps: number, minConfidence: number): SegmentDetection[] {
  const out: SegmentDetection[] = [];
  let at = 0;
  const cue = (type: string, startMs: number, endMs: number) => {
    if (endMs > startMs) out.push({ ...segment("TECHNICAL_CUE", startMs, endMs, fps), TechnicalCueSegment: { Type: type, Confidence: 100 } });
  };
  for (const b of [...black].sort((x, y) => x.startMs - y.startMs)) {
    cue("Content", at, b.startMs);
    cue("BlackFrames", b.startMs, b.endMs);
    at = Math.max(at, b.endMs);
  }
  cue("Content", at, durationMs);
  return out.filter((s) => s.TechnicalCueSegment!.Confidence >= minConfidence);
}
