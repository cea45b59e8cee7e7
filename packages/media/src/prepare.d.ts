import type { VideoPreparer } from "@media-pipeline/core";
/**
 * prepare-video in the local runtime: no rendition. Its engines decode every frame with ffmpeg, which
 * reads any format the probe accepted, so the vision stages read the upload itself; the event says so
 * and why. (The cloud's preparer writes a rendition Rekognition Video can read.)
 * @example createPrepareVideo({ state, publish, preparer: createPassThroughPreparer() })
 */
export declare function createPassThroughPreparer(): VideoPreparer;
//# sourceMappingURL=prepare.d.ts.map