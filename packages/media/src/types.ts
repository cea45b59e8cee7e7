import type { EngineInfo, ObjectRef } from "@media-pipeline/core";

/** Maps an object reference to a file on disk (the local object store supplies it; keys are already safe). */
export type PathOf = (ref: ObjectRef) => string;

/** The ffmpeg/ffprobe binaries in use and their versions (reported in every result). */
export interface FfmpegBinaries {
  ffmpegPath: string;
  ffprobePath: string;
  /** e.g. "5.1.6-0+deb12u1" */
  version: string;
  /** "system" (Debian/Homebrew ffmpeg on PATH) or "npm" (@ffmpeg-installer / @ffprobe-installer). */
  origin: "system" | "npm";
}

/** One frame written by the single decode pass. */
export interface DecodedFrame {
  timestampMs: number;
  /** Index of the shot it belongs to. */
  shotIndex: number;
  /** True for the first frame of a shot (its keyframe). */
  keyframe: boolean;
  /** JPEG on disk. */
  frame: ObjectRef;
  width: number;
  height: number;
}

/** Everything the single video decode pass yields: cuts, keyframes and sampled frames. */
export interface FrameSet {
  durationMs: number;
  width: number;
  height: number;
  /** Shot boundaries: shot i runs from cuts[i].timestampMs to the next cut (or the end). */
  cuts: Array<{ timestampMs: number; score: number }>;
  /** Keyframes and sampled frames in time order. */
  frames: DecodedFrame[];
  engine: EngineInfo;
}

/**
 * Decodes a video once and shares the frames between shot detection, labels and moderation, which
 * all run on `Media Probed` in parallel. Memoized per mediaId (in memory and by a manifest on disk),
 * so concurrent callers wait for the same pass and a restarted process reuses a finished one.
 */
export interface FrameSource {
  frames(mediaId: string, source: ObjectRef, onProgress?: (fraction: number) => void): Promise<FrameSet>;
  /**
   * The frames of a running pass as it writes them, already scaled for the vision models, so that
   * inference overlaps the decode instead of waiting for it. Optional: a source without it (or a pass
   * that already finished) yields nothing, and consumers read the FrameSet's JPEGs instead.
   */
  stream?(mediaId: string, source: ObjectRef, consumer: string): AsyncIterable<StreamedFrame>;
}

/**
 * One frame of a running pass for one consumer: frame `index` of the FrameSet the pass will return,
 * as a binary PPM (RGB) file scaled to fit the models' input. The file stays until every consumer the
 * source was set up for has released it; release it once it has been read.
 */
export interface StreamedFrame {
  index: number;
  /** Absolute path of the PPM file. */
  path: string;
  release(): void;
}
