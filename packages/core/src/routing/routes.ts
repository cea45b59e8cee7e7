import { EVENT_SOURCE, type DetailType } from "../events/catalog.js";
import type { StageName } from "../stage-names.js";

/**
 * A rule: when an event matches `pattern` (EventBridge event-pattern syntax), run `stage`.
 * The local runtime registers these on its bus; `stacks/` creates one EventBridge rule and one Lambda
 * target per route. A new stage is a new route plus its stage code; both runtimes pick it up.
 */
export interface Route {
  /** Unique, ≤ 64 characters of [.\-_A-Za-z0-9] (EventBridge rule-name rules). */
  readonly name: string;
  readonly description: string;
  readonly pattern: Readonly<Record<string, unknown>>;
  readonly stage: StageName;
}

const on = (...types: DetailType[]) => ({ source: [EVENT_SOURCE], "detail-type": types });

/**
 * What starts the vision stages: a video Rekognition reads as uploaded, or the video prepare-video
 * made ready (policy/rekognition-input.ts). One of the two for each video, never both.
 */
const VIDEO_READY = {
  $or: [
    { ...on("Media Probed"), detail: { kind: ["video"], video: { rekognitionReady: [true] } } },
    on("Video Prepared"),
  ],
};

/** The events whose arrival can complete the inputs of scene summaries. */
const SUMMARY_INPUTS: DetailType[] = ["Shots Detected", "Labels Detected", "Text Detected", "Transcript Ready", "Stage Failed"];

/** Every stage output that can settle a media item's analysis. */
const SETTLING: DetailType[] = [
  "Audio Extracted",
  "Shots Detected",
  "Labels Detected",
  "Moderation Completed",
  "Text Detected",
  "Transcript Ready",
  "Captions Ready",
  "Scenes Summarized",
  "Media Summarized",
  "Review Requested",
  "Review Completed",
  "Stage Failed",
];

export const routes: readonly Route[] = [
  {
    name: "probe-received-media",
    description: "Probe every new upload.",
    pattern: on("Media Received"),
    stage: "probe",
  },
  {
    name: "prepare-video",
    description: "Make a rendition Rekognition Video reads of video it cannot read as uploaded.",
    pattern: { ...on("Media Probed"), detail: { kind: ["video"], video: { rekognitionReady: [false] } } },
    stage: "prepare-video",
  },
  {
    name: "extract-audio",
    description: "Extract speech audio from media that has an audio stream.",
    pattern: { ...on("Media Probed"), detail: { hasAudio: [true] } },
    stage: "extract-audio",
  },
  {
    name: "detect-shots",
    description: "Find shots and keyframes in video.",
    pattern: VIDEO_READY,
    stage: "detect-shots",
  },
  {
    name: "detect-labels",
    description: "Detect object and scene labels in video.",
    pattern: VIDEO_READY,
    stage: "detect-labels",
  },
  {
    name: "moderate-content",
    description: "Score video for unsafe content.",
    pattern: VIDEO_READY,
    stage: "moderate",
  },
  {
    name: "detect-text",
    description: "Read the text shown in video.",
    pattern: VIDEO_READY,
    stage: "detect-text",
  },
  {
    name: "transcribe-audio",
    description: "Transcribe extracted audio with speaker diarization.",
    pattern: on("Audio Extracted"),
    stage: "transcribe",
  },
  {
    name: "summarize-scenes",
    description: "Join shots, labels and transcript; summarize scenes once all have settled.",
    pattern: {
      $or: [
        { ...on(...SUMMARY_INPUTS.filter((t) => t !== "Stage Failed")) },
        {
          ...on("Stage Failed"),
          detail: { stage: ["prepare-video", "extract-audio", "detect-shots", "detect-labels", "detect-text", "transcribe"] },
        },
      ],
    },
    stage: "summarize-scenes",
  },
  {
    name: "make-captions",
    description: "Write WebVTT and SRT captions from the transcript.",
    pattern: on("Transcript Ready"),
    stage: "make-captions",
  },
  {
    name: "summarize-media",
    description: "Group scenes into chapters and summarize the whole media once its scenes are summarized.",
    pattern: on("Scenes Summarized"),
    stage: "summarize-media",
  },
  {
    name: "request-review",
    description: "Send uncertain moderation to a human reviewer.",
    pattern: { ...on("Moderation Completed"), detail: { decision: ["review"] } },
    stage: "request-review",
  },
  {
    name: "complete-analysis",
    description: "Write the report once every required stage has settled.",
    pattern: on(...SETTLING),
    stage: "complete-analysis",
  },
  {
    name: "finalize-analysis",
    description: "Rewrite the report with the reviewer's verdict once both it and the first report exist.",
    pattern: {
      $or: [
        on("Review Completed"),
        { ...on("Analysis Completed"), detail: { final: [false] } },
        { ...on("Stage Failed"), detail: { stage: ["request-review"] } },
      ],
    },
    stage: "finalize-analysis",
  },
];
