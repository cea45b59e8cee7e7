import { z } from "zod";
import { EngineInfo, ObjectRef, Rejection, TimeMs } from "../results/common.js";
import {
  AnalysisInput, AudioResult, Label, ModerationDecision, ModerationLabel, ModerationSegment, ModerationThresholds, ProbeResult,
  TextOccurrence,
} from "../results/documents.js";
import { AnalysisStatus, StageReportStatus } from "../results/report.js";
import { DecidedBy, ReviewDecision, ReviewSegment, ReviewSummary, ReviewTask, ReviewTaskId, SegmentVerdict } from "../review/contract.js";
import { StageName } from "../stage-names.js";

/**
 * The event catalog: the only source of event types. Every detail-type has a zod schema, an integer
 * version and an example. Within a version, changes are additive only; a breaking change is a new
 * version published beside the old one. A detail that carries a contract declared elsewhere (a stage
 * result, the review decision) is built from that contract's schema (spread, pick, omit), so the two
 * cannot drift apart; only the bounds that keep a detail small are added here.
 */

export const EVENT_SOURCE = "media-pipeline";

/** Lower-case, so that deterministic job names (A2I's `^[a-z0-9](-*[a-z0-9])*$`) can embed it. */
export const MediaId = z.string().regex(/^[0-9a-z]{26}$/, "mediaId is a 26-character lower-case ULID");
export type MediaId = z.infer<typeof MediaId>;

/** A review segment as events carry it (the task document has the parent and keyframe too). */
const ReviewSegmentSummary = ReviewSegment.pick({
  index: true, startMs: true, endMs: true, category: true, name: true, confidence: true, decision: true,
});

const base = { mediaId: MediaId, correlationId: z.string().min(1).max(128) };
const v1 = { version: z.literal(1), ...base };

const example = {
  mediaId: "01jd8x7k2m4n6p8q0r2s4t6v8w",
  correlationId: "01jd8x7k2m4n6p8q0r2s4t6v8w",
  source: { bucket: "media", key: "media/01jd8x7k2m4n6p8q0r2s4t6v8w/source.mp4" },
};

/** An entry in the catalog. */
export interface CatalogEntry<S extends z.ZodObject = z.ZodObject> {
  readonly version: number;
  readonly description: string;
  readonly detail: S;
  readonly example: z.infer<S>;
}

function entry<S extends z.ZodObject>(e: CatalogEntry<S>): CatalogEntry<S> {
  return e;
}

export const catalog = {
  /**
   * An object landed in storage and the pipeline takes it on.
   * @example { "version": 1, "mediaId": "01jd…", "correlationId": "01jd…",
   *   "source": { "bucket": "media", "key": "media/01jd…/source.mp4" }, "filename": "talk.mp4",
   *   "sizeBytes": 472565, "contentType": "video/mp4" }
   */
  "Media Received": entry({
    version: 1,
    description: "An upload landed in storage; probing starts.",
    detail: z.object({
      ...v1,
      source: ObjectRef,
      filename: z.string().min(1).max(255),
      sizeBytes: z.number().int().nonnegative(),
      contentType: z.string().optional(),
    }),
    example: { version: 1, ...example, filename: "talk.mp4", sizeBytes: 472565, contentType: "video/mp4" },
  }),

  /**
   * The media is readable; it says which stages will run.
   * @example { "version": 1, "mediaId": "01jd…", "kind": "video", "durationMs": 12000, "hasAudio": true, … }
   */
  "Media Probed": entry({
    version: 1,
    description: "The media was probed and accepted; `plan` lists the stages that will run.",
    detail: z.object({
      ...v1,
      source: ObjectRef,
      ...ProbeResult.pick({ kind: true, durationMs: true, sizeBytes: true, container: true, hasVideo: true, hasAudio: true }).shape,
      streams: ProbeResult.shape.streams.max(64),
      plan: z.array(StageName),
      /**
       * `video`, video only: whether Rekognition Video reads it as uploaded (H.264 in MP4, MOV or AVI),
       * and if not, what the rendition prepare-video makes takes (a remux or a transcode). Absent on
       * events published before it was added.
       */
      ...ProbeResult.pick({ engine: true, video: true }).shape,
    }),
    example: {
      version: 1, ...example, kind: "video", durationMs: 12000, sizeBytes: 472565, container: "mov,mp4,m4a,3gp,3g2,mj2",
      hasVideo: true, hasAudio: true,
      streams: [
        { index: 0, type: "video", codec: "h264", width: 640, height: 360, fps: 25, durationMs: 12000 },
        { index: 1, type: "audio", codec: "aac", sampleRate: 44100, channels: 1, durationMs: 12000 },
      ],
      plan: ["probe", "extract-audio", "detect-shots", "detect-labels", "moderate", "transcribe", "summarize-scenes", "request-review", "complete-analysis"],
      engine: { name: "ffprobe", version: "5.1.6" },
      video: { rekognitionReady: true, rendition: "none", reason: "H.264 video in MP4, which Rekognition Video reads as uploaded" },
    },
  }),

  /**
   * The video the vision stages read, for media Rekognition Video cannot read as uploaded
   * (`Media Probed` with `video.rekognitionReady` false): a rendition it reads, or (where the engines
   * decode any format, as the local runtime's do) the upload itself. Shots, labels and moderation
   * start on it.
   * @example { "version": 1, "mediaId": "01jd…", "input": "rendition", "video": { "bucket": "media", "key": "derived/01jd…/rendition.mp4" }, … }
   */
  "Video Prepared": entry({
    version: 1,
    description: "A video Rekognition cannot read as uploaded was prepared for the vision stages (a rendition, or the upload where no rendition is needed).",
    detail: z.object({
      ...v1,
      source: ObjectRef,
      durationMs: TimeMs,
      /** `rendition`: derived/<mediaId>/rendition.mp4; `upload`: the engines read the upload itself. */
      input: z.enum(["upload", "rendition"]),
      video: ObjectRef,
      reason: z.string().min(1).max(500),
      engine: EngineInfo,
      /** The rendition's time 0 on the upload's clock (ms): what is read from it is shifted by this. */
      offsetMs: TimeMs.optional(),
    }),
    example: {
      version: 1, ...example, durationMs: 12000, input: "rendition", offsetMs: 7,
      video: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/rendition.mp4" },
      reason: "VP9 video in a Matroska/WebM container: Rekognition Video reads H.264 in MP4, MOV or AVI only, so the video is transcoded to H.264 MP4",
      engine: { name: "ffmpeg", version: "5.1.6", settings: { codec: "libx264", preset: "ultrafast", maxHeight: 720 } },
    },
  }),

  /**
   * The media will not be analysed, with a reason a person understands. The end of that media's flow.
   * @example { "version": 1, "mediaId": "01jd…", "reason": "empty", "message": "The file is empty (0 bytes)." }
   */
  "Media Rejected": entry({
    version: 1,
    description: "The media was refused (empty, truncated, not media, no usable stream, too large or too long).",
    detail: z.object({
      ...v1,
      source: ObjectRef,
      ...Rejection.shape,
      filename: z.string().optional(),
    }),
    example: { version: 1, ...example, reason: "empty", message: "The file is empty (0 bytes): nothing to analyse.", filename: "talk.mp4" },
  }),

  /**
   * 16 kHz mono audio for the speech engines.
   * @example { "version": 1, "mediaId": "01jd…", "audio": { "bucket": "media", "key": "derived/01jd…/audio.wav" }, … }
   */
  "Audio Extracted": entry({
    version: 1,
    description: "The audio track was extracted as 16 kHz mono for speech engines.",
    detail: z.object({ ...v1, ...AudioResult.shape }),
    example: {
      version: 1, ...example, audio: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/audio.wav" },
      format: "wav", sampleRate: 16000, channels: 1, durationMs: 12000, engine: { name: "ffmpeg", version: "5.1.6" },
    },
  }),

  /**
   * Shot boundaries and keyframes; the shots document holds the list.
   * @example { "version": 1, "mediaId": "01jd…", "shots": { "bucket": "media", "key": "derived/01jd…/shots.json" }, "shotCount": 3, … }
   */
  "Shots Detected": entry({
    version: 1,
    description: "Shot boundaries were found and a keyframe saved per shot.",
    detail: z.object({
      ...v1,
      shots: ObjectRef,
      shotCount: z.number().int().nonnegative(),
      frameCount: z.number().int().nonnegative(),
      engine: EngineInfo,
      /** What the shot detector read, and why (the upload or a rendition). Absent on events published before it was added. */
      analysis: AnalysisInput.optional(),
    }),
    example: {
      version: 1, ...example, shots: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/shots.json" },
      shotCount: 3, frameCount: 7, engine: { name: "ffmpeg", version: "5.1.6", settings: { sceneThreshold: 0.3 } },
    },
  }),

  /**
   * Object and scene labels; the labels document holds instances and time ranges.
   * @example { "version": 1, "mediaId": "01jd…", "labelCount": 4, "topLabels": [{ "name": "Person", "confidence": 97.1 }], … }
   */
  "Labels Detected": entry({
    version: 1,
    description: "Labels were detected over the video.",
    detail: z.object({
      ...v1,
      labels: ObjectRef,
      labelCount: z.number().int().nonnegative(),
      topLabels: z.array(Label.pick({ name: true, confidence: true })).max(10),
      framesAnalyzed: z.number().int().nonnegative(),
      engine: EngineInfo,
      /** What was analysed, and why: the upload, a rendition or sampled frames. Absent on events published before it was added. */
      analysis: AnalysisInput.optional(),
    }),
    example: {
      version: 1, ...example, labels: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/labels.json" },
      labelCount: 4, topLabels: [{ name: "Person", confidence: 97.1 }], framesAnalyzed: 12,
      engine: { name: "human-coco", version: "3.3.6" },
    },
  }),

  /**
   * The moderation decision with the thresholds that made it.
   * @example { "version": 1, "mediaId": "01jd…", "decision": "review", "topCategories": [{ "name": "Suggestive", … }], … }
   */
  "Moderation Completed": entry({
    version: 1,
    description: "Moderation finished with a decision: clean, review or flagged.",
    detail: z.object({
      ...v1,
      moderation: ObjectRef,
      decision: ModerationDecision,
      segmentCount: z.number().int().nonnegative(),
      topCategories: z.array(ModerationLabel).max(10),
      /**
       * The evidence: the first 100 segments in document order (`index` is the position there), with
       * their keyframes (segmentCount says how many in all).
       */
      segments: z.array(z.object({ index: z.number().int().nonnegative(), ...ModerationSegment.omit({ frames: true }).shape })).max(100),
      thresholds: ModerationThresholds,
      engine: EngineInfo,
      /** What was analysed, and why: the upload, a rendition or sampled frames. Absent on events published before it was added. */
      analysis: AnalysisInput.optional(),
    }),
    example: {
      version: 1, ...example, moderation: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/moderation.json" },
      decision: "review", segmentCount: 1, topCategories: [{ name: "Suggestive", parent: "", confidence: 61.2 }],
      segments: [{
        index: 0, name: "Suggestive", parent: "", confidence: 61.2, startMs: 14000, endMs: 19000, decision: "review",
        keyframe: { bucket: "media", key: "derived/frames/01jd8x7k2m4n6p8q0r2s4t6v8w/f000007.jpg" },
      }],
      thresholds: { reviewMin: 50, flagMin: 80 }, engine: { name: "nsfwjs", version: "4.4.0" },
    },
  }),

  /**
   * Speech segments, speakers and (when an engine is available) words.
   * @example { "version": 1, "mediaId": "01jd…", "speakerCount": 2, "hasWords": true, … }
   */
  "Transcript Ready": entry({
    version: 1,
    description: "The transcript with speaker diarization is ready.",
    detail: z.object({
      ...v1,
      transcript: ObjectRef,
      speakerCount: z.number().int().nonnegative(),
      segmentCount: z.number().int().nonnegative(),
      wordCount: z.number().int().nonnegative(),
      hasWords: z.boolean(),
      language: z.string(),
      engine: EngineInfo,
    }),
    example: {
      version: 1, ...example, transcript: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/transcript.json" },
      speakerCount: 2, segmentCount: 6, wordCount: 48, hasWords: true, language: "en-US",
      engine: { name: "pocketsphinx", version: "5.0.0" },
    },
  }),

  /**
   * One summary per scene, in the scenes document. The detail stays the same size however many scenes:
   * `engine` is in brief (events/bounds.ts), with the token totals; per-scene usage and notes are in
   * the document's `engine`.
   * @example { "version": 1, "mediaId": "01jd…", "sceneCount": 2, … }
   */
  "Scenes Summarized": entry({
    version: 1,
    description: "Scenes were built from shots and each was summarized.",
    detail: z.object({
      ...v1,
      scenes: ObjectRef,
      sceneCount: z.number().int().nonnegative(),
      engine: EngineInfo,
    }),
    example: {
      version: 1, ...example, scenes: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/scenes.json" },
      sceneCount: 2, engine: { name: "extractive-summarizer", version: "0.1.0" },
    },
  }),

  /**
   * Text shown on screen: lines and words with time ranges, boxes and confidences, in the text
   * document; the detail carries counts and the first lines in time order.
   * @example { "version": 1, "mediaId": "01jd…", "lineCount": 3, "wordCount": 7, "lines": [{ "text": "QUARTERLY RESULTS", … }], … }
   */
  "Text Detected": entry({
    version: 1,
    description: "Text shown in the video was read, with when and where it appeared.",
    detail: z.object({
      ...v1,
      text: ObjectRef,
      lineCount: z.number().int().nonnegative(),
      wordCount: z.number().int().nonnegative(),
      /** The first 20 lines in time order (lineCount says how many in all), each cut to 200 characters. */
      lines: z.array(TextOccurrence.pick({ startMs: true, endMs: true, confidence: true }).extend({ text: z.string().min(1).max(200) })).max(20),
      framesAnalyzed: z.number().int().nonnegative(),
      engine: EngineInfo,
      /** What was analysed, and why: the upload, a rendition or sampled frames. */
      analysis: AnalysisInput.optional(),
    }),
    example: {
      version: 1, ...example, text: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/text.json" },
      lineCount: 1, wordCount: 2, lines: [{ text: "QUARTERLY RESULTS", startMs: 2000, endMs: 6000, confidence: 91.5 }], framesAnalyzed: 12,
      engine: { name: "tesseract", version: "5.3.0" },
    },
  }),

  /**
   * Captions made from the transcript: a WebVTT file (speaker voice tags) and an SRT file with the same cues.
   * @example { "version": 1, "mediaId": "01jd…", "vtt": { "bucket": "media", "key": "derived/01jd…/captions.vtt" }, "cueCount": 12, … }
   */
  "Captions Ready": entry({
    version: 1,
    description: "WebVTT and SRT captions were written from the transcript.",
    detail: z.object({
      ...v1,
      vtt: ObjectRef,
      srt: ObjectRef,
      cueCount: z.number().int().nonnegative(),
      language: z.string(),
      engine: EngineInfo,
      /** Why there are no cues, when there are none (a transcript without words). */
      note: z.string().max(500).optional(),
    }),
    example: {
      version: 1, ...example,
      vtt: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/captions.vtt" },
      srt: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/captions.srt" },
      cueCount: 12, language: "en-US", engine: { name: "media-pipeline-captions", version: "1.0.0", settings: { maxCueMs: 7000, maxLineChars: 42 } },
    },
  }),

  /**
   * A summary of the whole media, its key topics and its chapters, in the summary document.
   * @example { "version": 1, "mediaId": "01jd…", "chapterCount": 3, "topics": ["budget"], "summary": "…", … }
   */
  "Media Summarized": entry({
    version: 1,
    description: "The whole media was summarized and divided into chapters where the topic changes.",
    detail: z.object({
      ...v1,
      /** The summary document: the whole summary, topics and every chapter. */
      document: ObjectRef,
      /** The summary, cut to 1,000 characters. */
      summary: z.string().max(1000),
      topics: z.array(z.string().max(100)).max(10),
      chapterCount: z.number().int().nonnegative(),
      method: z.enum(["extractive", "llm"]),
      engine: EngineInfo,
    }),
    example: {
      version: 1, ...example, document: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/summary.json" },
      summary: "Two people discuss the quarterly budget, then the hiring plan.", topics: ["budget", "hiring"], chapterCount: 2,
      method: "extractive", engine: { name: "extractive-chapters", version: "1.0.0" },
    },
  }),

  /**
   * Uncertain moderation went to a person.
   * @example { "version": 1, "mediaId": "01jd…", "taskId": "01jd…-review", "segmentCount": 1 }
   */
  "Review Requested": entry({
    version: 1,
    description: "A human review task was opened for uncertain moderation results.",
    detail: z.object({
      ...v1,
      taskId: ReviewTaskId,
      moderation: ObjectRef,
      /** The whole task (the review contract), for consumers that want every segment and keyframe. */
      task: ObjectRef,
      segmentCount: z.number().int().nonnegative(),
      /** The segments the reviewer decides on, first 100 (segmentCount says how many in all). */
      segments: z.array(ReviewSegmentSummary).max(100),
      modelDecision: ReviewTask.shape.modelDecision,
    }),
    example: {
      version: 1, ...example, taskId: "01jd8x7k2m4n6p8q0r2s4t6v8w-review",
      moderation: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/moderation.json" },
      task: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/review-task.json" }, segmentCount: 1,
      segments: [{ index: 0, startMs: 14000, endMs: 19000, category: "Suggestive", name: "Revealing Clothes", confidence: 61.2, decision: "review" }],
      modelDecision: "review",
    },
  }),

  /**
   * A reviewer's verdict, which overrides the model's decision. The answers travel for the first 100
   * segments; `outcome` (review.json) has every one.
   * @example { "version": 1, "mediaId": "01jd…", "taskId": "01jd…-review", "verdict": "approved", "segmentCount": 1, … }
   */
  "Review Completed": entry({
    version: 1,
    description: "A reviewer decided the task.",
    detail: z.object({
      ...v1,
      ...ReviewDecision.pick({ taskId: true, verdict: true, reviewer: true, decidedAt: true }).shape,
      /** The reviewer's first 100 answers (segmentCount says how many in all). */
      segments: z.array(SegmentVerdict).max(100),
      /** How many segments the reviewer answered; absent on events published before it was added. */
      segmentCount: z.number().int().nonnegative().optional(),
      /** The recorded outcome (review.json) with every answer; absent on events published before it was added. */
      outcome: ObjectRef.optional(),
      ...ReviewDecision.pick({ comment: true }).shape,
    }),
    example: {
      version: 1, ...example, taskId: "01jd8x7k2m4n6p8q0r2s4t6v8w-review", verdict: "approved", reviewer: "alice",
      decidedAt: "2026-11-20T11:00:00.000Z", segments: [{ index: 0, outcome: "false-positive" }], segmentCount: 1,
      outcome: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/review.json" },
    },
  }),

  /**
   * Every required stage settled; the report is ready.
   * @example { "version": 1, "mediaId": "01jd…", "report": { "bucket": "media", "key": "derived/01jd…/report.json" }, "status": "completed", … }
   */
  "Analysis Completed": entry({
    version: 1,
    description: "Every required stage settled and the report was written.",
    detail: z.object({
      ...v1,
      report: ObjectRef,
      status: AnalysisStatus,
      /** The media's decision: the reviewer's verdict when there is one (approved → clean, rejected → flagged), else the model's. */
      decision: ModerationDecision.nullable(),
      /** Who decided: `reviewer` once a verdict overrides the model. */
      decidedBy: DecidedBy,
      /** Moderation's own decision, whatever the reviewer said. */
      modelDecision: ModerationDecision.nullable(),
      review: ReviewSummary,
      /**
       * False while a review is pending: one more `Analysis Completed` follows when it ends, with the
       * verdict. True on the last one for this media.
       */
      final: z.boolean(),
      stages: z.record(z.string(), StageReportStatus),
      durationMs: TimeMs,
    }),
    example: {
      version: 1, ...example, report: { bucket: "media", key: "derived/01jd8x7k2m4n6p8q0r2s4t6v8w/report.json" },
      status: "completed", decision: "clean", decidedBy: "model", modelDecision: "clean", review: { status: "not-required" }, final: true,
      stages: { probe: "done", "extract-audio": "done" }, durationMs: 12000,
    },
  }),

  /**
   * A stage gave up with a non-retryable error; that branch stops, the others go on.
   * @example { "version": 1, "mediaId": "01jd…", "stage": "transcribe", "error": { "name": "EngineError", "message": "…" } }
   */
  "Stage Failed": entry({
    version: 1,
    description: "A stage failed with an error that retrying will not fix.",
    detail: z.object({
      ...v1,
      stage: StageName,
      error: z.object({ name: z.string(), message: z.string().max(4000) }),
      attempts: z.number().int().positive(),
      trigger: z.string().optional(),
    }),
    example: {
      version: 1, ...example, stage: "transcribe", error: { name: "EngineError", message: "pocketsphinx exited with code 1" },
      attempts: 1, trigger: "Audio Extracted",
    },
  }),
} as const;

export type Catalog = typeof catalog;
export type DetailType = keyof Catalog;
export type DetailOf<T extends DetailType> = z.infer<Catalog[T]["detail"]>;
export const DETAIL_TYPES = Object.keys(catalog) as DetailType[];

/** EventBridge's envelope, as every consumer sees it on the bus. */
export interface PipelineEvent<T extends DetailType = DetailType> {
  version: "0";
  id: string;
  "detail-type": T;
  source: typeof EVENT_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: DetailOf<T>;
}

/** A union of every event, discriminated by `detail-type`. */
export type AnyPipelineEvent = { [T in DetailType]: PipelineEvent<T> }[DetailType];

/** The detail a stage publishes, before the bus wraps it in an envelope. */
export type DetailInput<T extends DetailType> = Omit<DetailOf<T>, "version" | "mediaId" | "correlationId">;

