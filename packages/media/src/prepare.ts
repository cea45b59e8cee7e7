import type { PreparedVideo, VideoPreparer } from "@media-pipeline/core";

/**
 * prepare-video in the local runtime: no rendition. Its engines decode every frame with ffmpeg, which
 * reads any format the probe accepted, so the vision stages read the upload itself; the event says so
 * and why. (The cloud's preparer writes a rendition Rekognition Video can read.)
 * @example createPrepareVideo({ state, publish, preparer: createPassThroughPreparer() })
 */
export function createPassThroughPreparer(): VideoPreparer {
  return {
    async prepare({ source, readiness }): Promise<PreparedVideo> {
      const what = readiness.reason.split(":")[0];
      return {
        input: "upload",
        video: source,
        reason: `${what}: the local engines decode it with ffmpeg as uploaded, so no rendition is made`,
        engine: { name: "pass-through", version: "1", settings: { rendition: "none" } },
      };
    },
  };
}
