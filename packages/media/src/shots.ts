import { ShotsDocument, type ProgressFn, type ShotDetector, type VisionInput } from "@media-pipeline/core";
import type { FrameSource } from "./types.js";

export interface FfmpegShotDetectorOptions {
  /** The shared decode pass; labels and moderation read the same frames. */
  frames: FrameSource;
}

/**
 * Shots from the shared frame pass: shot i runs from cut i to cut i+1 (or the end), its keyframe is
 * the frame written at the cut. The scene threshold and sampling interval are the frame source's and
 * travel in the document's engine settings.
 * @example const doc = await createFfmpegShotDetector({ frames }).detect({ mediaId, source, durationMs })
 */
export function createFfmpegShotDetector(options: FfmpegShotDetectorOptions): ShotDetector {
  return {
    async detect(input: VisionInput, onProgress?: ProgressFn): Promise<ShotsDocument> {
      const set = await options.frames.frames(input.mediaId, input.source, onProgress);
      // The probe's duration is what every other document uses; the pass's is a fallback.
      const durationMs = Math.max(input.durationMs || set.durationMs, set.cuts.at(-1)?.timestampMs ?? 0);
      const shots = set.cuts.map((cut, index) => {
        const keyframe = set.frames.find((f) => f.shotIndex === index && f.keyframe);
        if (!keyframe) throw new Error(`frame set for ${input.mediaId} has no keyframe for shot ${index}`);
        return {
          index,
          startMs: cut.timestampMs,
          endMs: Math.max(cut.timestampMs, set.cuts[index + 1]?.timestampMs ?? durationMs),
          keyframe: keyframe.frame,
          cutScore: index === 0 ? 1 : Math.min(1, Math.max(0, cut.score)),
        };
      });
      return ShotsDocument.parse({
        durationMs,
        width: set.width,
        height: set.height,
        shots,
        frames: set.frames.map((f) => ({ timestampMs: f.timestampMs, shotIndex: f.shotIndex, frame: f.frame, keyframe: f.keyframe })),
        engine: set.engine,
      });
    },
  };
}
