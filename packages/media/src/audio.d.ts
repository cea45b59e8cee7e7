import { type AudioExtractor, type ObjectRef } from "@media-pipeline/core";
import type { FfmpegBinaries, PathOf } from "./types.js";
export interface FfmpegAudioExtractorOptions {
    pathOf: PathOf;
    binaries?: FfmpegBinaries;
    /**
     * Where ffmpeg reads the source, when not from the file `pathOf` names: an http(s) URL such as an
     * S3 presigned GET, so the audio streams out of storage and the upload is never copied to disk.
     */
    inputOf?: (source: ObjectRef) => Promise<string>;
}
/**
 * 16 kHz mono PCM WAV for the speech engines. Written under a temporary name and renamed, so a crash
 * never leaves a half-written file under the name the next stage reads.
 * @example await createFfmpegAudioExtractor({ pathOf }).extract(source, { bucket: "media", key: "derived/01jd…/audio.wav" })
 */
export declare function createFfmpegAudioExtractor(options: FfmpegAudioExtractorOptions): AudioExtractor;
/** Reads the WAV's own `data` chunk size: the length of what was written, not what the source claimed. */
export declare function wavDurationMs(path: string): Promise<number>;
//# sourceMappingURL=audio.d.ts.map