import { z } from "zod";

/** Every stage the route table can name; the state store keys progress by (mediaId, stage). */
export const StageName = z.enum([
  "probe",
  /** Video Rekognition cannot read as uploaded gets a rendition it can (policy/rekognition-input.ts). */
  "prepare-video",
  "extract-audio",
  "detect-shots",
  "detect-labels",
  "moderate",
  /** Text shown on screen (Rekognition text detection; OCR locally). */
  "detect-text",
  "transcribe",
  /** WebVTT and SRT from the transcript. */
  "make-captions",
  "summarize-scenes",
  /** Chapters, a summary of the whole media and its key topics, from the scenes. */
  "summarize-media",
  "request-review",
  "complete-analysis",
  "finalize-analysis",
]);
export type StageName = z.infer<typeof StageName>;
