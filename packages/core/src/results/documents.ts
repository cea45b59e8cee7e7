import { z } from "zod";
import { BoundingBox, Confidence, EngineInfo, ObjectRef, TimeMs } from "./common.js";

/** One stream as the prober saw it. */
export const MediaStream = z.object({
  index: z.number().int().nonnegative(),
  type: z.enum(["video", "audio", "subtitle", "data", "attachment", "unknown"]),
  codec: z.string(),
  durationMs: TimeMs.optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  fps: z.number().positive().optional(),
  sampleRate: z.number().int().positive().optional(),
  channels: z.number().int().positive().optional(),
  bitRate: z.number().int().nonnegative().optional(),
});
export type MediaStream = z.infer<typeof MediaStream>;

/**
 * Whether Rekognition Video can read a video as uploaded (MP4, MOV or AVI with H.264), and if not,
 * what a copy it can read takes: a remux (H.264 in another container) or a transcode. Decided from
 * the probe by policy/rekognition-input.ts.
 * @example { "rekognitionReady": false, "rendition": "transcode", "reason": "VP9 video in a WebM container: Rekognition Video reads H.264 in MP4, MOV or AVI only" }
 */
export const VideoReadiness = z.object({
  rekognitionReady: z.boolean(),
  rendition: z.enum(["none", "remux", "transcode"]),
  reason: z.string().min(1).max(500),
});
export type VideoReadiness = z.infer<typeof VideoReadiness>;

/**
 * What a vision stage analysed, and why: the upload itself, a Rekognition-ready rendition of it
 * (derived/<mediaId>/rendition.mp4), or frames sampled from it for the image APIs.
 * @example { "input": "rendition", "reason": "HEVC video in an MP4 container: …; transcoded to H.264", "video": { "bucket": "media", "key": "derived/01jd…/rendition.mp4" } }
 */
export const AnalysisInput = z.object({
  input: z.enum(["upload", "rendition", "frames"]),
  reason: z.string().min(1).max(500),
  /** The video that was read: the upload or the rendition (for frames, the video they were taken from). */
  video: ObjectRef,
  /**
   * Where the rendition's time 0 is on the upload's clock (ms): ffmpeg measures the upload from its
   * earliest stream (a WebM's Opus starts 7 ms before its video), while the video-only rendition starts
   * at its first frame. Results read from the rendition are shifted by it, so they match the upload's.
   */
  offsetMs: TimeMs.optional(),
});
export type AnalysisInput = z.infer<typeof AnalysisInput>;

/** What probing found: the facts every later stage plans from. */
export const ProbeResult = z.object({
  kind: z.enum(["video", "audio"]),
  durationMs: TimeMs,
  sizeBytes: z.number().int().nonnegative(),
  container: z.string(),
  /** An ISO base media file's major brand (`isom`, `qt  `, `3gp5`…): MP4, MOV and 3GP share one demuxer name. */
  brand: z.string().optional(),
  streams: z.array(MediaStream),
  hasVideo: z.boolean(),
  hasAudio: z.boolean(),
  /** Video only: whether Rekognition Video reads it as uploaded (filled in by the probe stage). */
  video: VideoReadiness.optional(),
  engine: EngineInfo,
});
export type ProbeResult = z.infer<typeof ProbeResult>;

/** The derived audio the speech engines read: 16 kHz mono. */
export const AudioResult = z.object({
  audio: ObjectRef,
  format: z.enum(["wav", "flac"]),
  sampleRate: z.number().int().positive(),
  channels: z.number().int().positive(),
  durationMs: TimeMs,
  engine: EngineInfo,
});
export type AudioResult = z.infer<typeof AudioResult>;

/** A shot: a run of frames between two cuts, with its keyframe. */
export const Shot = z.object({
  index: z.number().int().nonnegative(),
  startMs: TimeMs,
  endMs: TimeMs,
  keyframe: ObjectRef,
  /** Scene-change score of the cut that opened this shot (0–1; 1 for the first shot). */
  cutScore: z.number().min(0).max(1),
});
export type Shot = z.infer<typeof Shot>;

/** A frame sampled for the vision engines: keyframes plus one every N seconds in long shots. */
export const SampledFrame = z.object({
  timestampMs: TimeMs,
  shotIndex: z.number().int().nonnegative(),
  frame: ObjectRef,
  keyframe: z.boolean(),
});
export type SampledFrame = z.infer<typeof SampledFrame>;

/** The shots document (`Shots Detected` points at it). */
export const ShotsDocument = z.object({
  durationMs: TimeMs,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  shots: z.array(Shot),
  frames: z.array(SampledFrame),
  engine: EngineInfo,
  /** What the shot detector read (the cloud's segment detection reads the upload or a rendition). */
  analysis: AnalysisInput.optional(),
});
export type ShotsDocument = z.infer<typeof ShotsDocument>;

/** One detected instance of a label in one frame. */
export const LabelInstance = z.object({
  timestampMs: TimeMs,
  confidence: Confidence,
  boundingBox: BoundingBox.optional(),
});
export type LabelInstance = z.infer<typeof LabelInstance>;

/** A time range in which a label was seen. */
export const LabelOccurrence = z.object({ startMs: TimeMs, endMs: TimeMs, confidence: Confidence });
export type LabelOccurrence = z.infer<typeof LabelOccurrence>;

/** A label aggregated over the whole media, Rekognition-like. */
export const Label = z.object({
  name: z.string(),
  /** Highest per-frame confidence. */
  confidence: Confidence,
  meanConfidence: Confidence,
  /** Frames in which it was seen. */
  count: z.number().int().nonnegative(),
  parents: z.array(z.object({ name: z.string() })),
  occurrences: z.array(LabelOccurrence),
  instances: z.array(LabelInstance),
});
export type Label = z.infer<typeof Label>;

/** Per-frame detections as an engine returns them, before aggregation. */
export const FrameDetections = z.object({
  timestampMs: TimeMs,
  detections: z.array(
    z.object({
      name: z.string(),
      confidence: Confidence,
      boundingBox: BoundingBox.optional(),
      /** Broader categories, nearest first (cup → Tableware), as Rekognition's `Parents`. */
      parents: z.array(z.string()).optional(),
    }),
  ),
});
export type FrameDetections = z.infer<typeof FrameDetections>;

/** Faces counted in one analysed frame (counts only: nobody is identified). */
export const FaceCount = z.object({ timestampMs: TimeMs, count: z.number().int().nonnegative() });
export type FaceCount = z.infer<typeof FaceCount>;

/** The labels document (`Labels Detected` points at it). */
export const LabelsDocument = z.object({
  framesAnalyzed: z.number().int().nonnegative(),
  labels: z.array(Label),
  faces: z.array(FaceCount).optional(),
  engine: EngineInfo,
  /** What the engine analysed, and why. */
  analysis: AnalysisInput.optional(),
});
export type LabelsDocument = z.infer<typeof LabelsDocument>;

/** A moderation label in our two-level taxonomy: `parent` is "" for a top-level category. */
export const ModerationLabel = z.object({ name: z.string(), parent: z.string(), confidence: Confidence });
export type ModerationLabel = z.infer<typeof ModerationLabel>;

/** Per-frame moderation scores from an engine, already in our two-level taxonomy. */
export const FrameModeration = z.object({
  timestampMs: TimeMs,
  frame: ObjectRef.optional(),
  labels: z.array(ModerationLabel),
});
export type FrameModeration = z.infer<typeof FrameModeration>;

export const ModerationDecision = z.enum(["clean", "review", "flagged"]);
export type ModerationDecision = z.infer<typeof ModerationDecision>;

/** Thresholds the decision used, recorded with the evidence. */
export const ModerationThresholds = z.object({
  /** Confidence (0–100) from which a label goes to human review. */
  reviewMin: Confidence,
  /** Confidence from which a label is flagged without review. */
  flagMin: Confidence,
  /** Per top-level category overrides. */
  categories: z.record(z.string(), z.object({ reviewMin: Confidence, flagMin: Confidence })).optional(),
});
export type ModerationThresholds = z.infer<typeof ModerationThresholds>;

/** A run of frames over which one moderation label held. */
export const ModerationSegment = ModerationLabel.extend({
  startMs: TimeMs,
  endMs: TimeMs,
  frames: z.number().int().positive(),
  decision: ModerationDecision,
  keyframe: ObjectRef.optional(),
});
export type ModerationSegment = z.infer<typeof ModerationSegment>;

/** The moderation document (`Moderation Completed` points at it). */
export const ModerationDocument = z.object({
  decision: ModerationDecision,
  thresholds: ModerationThresholds,
  framesAnalyzed: z.number().int().nonnegative(),
  segments: z.array(ModerationSegment),
  engine: EngineInfo,
  /** What the engine analysed, and why. */
  analysis: AnalysisInput.optional(),
});
export type ModerationDocument = z.infer<typeof ModerationDocument>;

export const TranscriptWord = z.object({
  text: z.string(),
  startMs: TimeMs,
  endMs: TimeMs,
  confidence: Confidence,
  speaker: z.string().optional(),
});
export type TranscriptWord = z.infer<typeof TranscriptWord>;

/** A speaker turn, with its words when the engine produced words. */
export const TranscriptSegment = z.object({
  speaker: z.string(),
  startMs: TimeMs,
  endMs: TimeMs,
  text: z.string(),
  words: z.array(TranscriptWord).optional(),
});
export type TranscriptSegment = z.infer<typeof TranscriptSegment>;

/** Transcribe's `results.speaker_labels` shape, kept so cloud consumers can read local output. */
export const TranscribeSpeakerLabels = z.object({
  speakers: z.number().int().nonnegative(),
  segments: z.array(
    z.object({
      speaker_label: z.string(),
      start_time: z.string(),
      end_time: z.string(),
      items: z.array(z.object({ speaker_label: z.string(), start_time: z.string(), end_time: z.string() })),
    }),
  ),
});
export type TranscribeSpeakerLabels = z.infer<typeof TranscribeSpeakerLabels>;

/** The transcript document (`Transcript Ready` points at it). */
export const TranscriptDocument = z.object({
  language: z.string(),
  /** False when no speech-to-text engine was available: segments and speakers only. */
  hasWords: z.boolean(),
  /** Why words are missing and how to enable them, or other caveats a person should read. */
  notes: z.array(z.string()),
  speakers: z.array(z.object({ id: z.string(), label: z.string(), speechMs: TimeMs })),
  segments: z.array(TranscriptSegment),
  speech: z.array(z.object({ startMs: TimeMs, endMs: TimeMs })),
  speakerLabels: TranscribeSpeakerLabels,
  engine: EngineInfo,
  /** The engines behind each part (VAD, speech-to-text, diarization). */
  engines: z.array(EngineInfo),
});
export type TranscriptDocument = z.infer<typeof TranscriptDocument>;

export const SceneSummary = z.object({
  index: z.number().int().nonnegative(),
  startMs: TimeMs,
  endMs: TimeMs,
  shotIndexes: z.array(z.number().int().nonnegative()),
  summary: z.string(),
  labels: z.array(z.string()),
  moderation: z.array(z.string()),
  speakers: z.array(z.string()),
  /** Which produced the summary: extractive (local) or a language model. */
  summarizer: z.enum(["extractive", "llm"]),
});
export type SceneSummary = z.infer<typeof SceneSummary>;

/** The scenes document (`Scenes Summarized` points at it). */
export const ScenesDocument = z.object({ scenes: z.array(SceneSummary), engine: EngineInfo });
export type ScenesDocument = z.infer<typeof ScenesDocument>;

/** What an OCR engine read in one frame, before core merges frames into occurrences (policy/text.ts). */
export const TextDetection = z.object({
  text: z.string().min(1),
  type: z.enum(["line", "word"]),
  confidence: Confidence,
  box: BoundingBox,
  /** Rekognition's `Id`/`ParentId`: a word's `parentId` is its line's `id` within the same frame. */
  id: z.number().int().nonnegative().optional(),
  parentId: z.number().int().nonnegative().optional(),
});
export type TextDetection = z.infer<typeof TextDetection>;

/** One analysed frame's text (an empty list when the frame showed none). */
export const FrameText = z.object({ timestampMs: TimeMs, detections: z.array(TextDetection) });
export type FrameText = z.infer<typeof FrameText>;

/**
 * Text shown on screen over a time range: the same line (or word) seen in consecutive analysed frames
 * at about the same place is one occurrence.
 */
export const TextOccurrence = z.object({
  text: z.string().min(1),
  startMs: TimeMs,
  endMs: TimeMs,
  /** The best confidence over the frames merged into it. */
  confidence: Confidence,
  /** Where it was first seen. */
  box: BoundingBox,
  /** How many analysed frames showed it. */
  frames: z.number().int().positive(),
  /** A word's line: its index in the document's `lines`. */
  line: z.number().int().nonnegative().optional(),
});
export type TextOccurrence = z.infer<typeof TextOccurrence>;

/** The text-in-video document (`Text Detected` points at it). */
export const TextDocument = z.object({
  lines: z.array(TextOccurrence),
  words: z.array(TextOccurrence),
  framesAnalyzed: z.number().int().nonnegative(),
  engine: EngineInfo,
  analysis: AnalysisInput.optional(),
});
export type TextDocument = z.infer<typeof TextDocument>;

/** One caption cue, as both caption files carry it. */
export const CaptionCue = z.object({
  startMs: TimeMs,
  endMs: TimeMs,
  /** The speaker's label (a WebVTT voice tag); absent when the transcript has no speakers. */
  speaker: z.string().optional(),
  /** One or two lines. */
  lines: z.array(z.string().min(1)).min(1).max(2),
});
export type CaptionCue = z.infer<typeof CaptionCue>;

/** A chapter: consecutive scenes on one topic. */
export const Chapter = z.object({
  index: z.number().int().nonnegative(),
  startMs: TimeMs,
  endMs: TimeMs,
  title: z.string().min(1),
  summary: z.string(),
  sceneIndexes: z.array(z.number().int().nonnegative()),
  topics: z.array(z.string()),
});
export type Chapter = z.infer<typeof Chapter>;

/** A summary of the whole media, its key topics and its chapters (`Media Summarized` points at it). */
export const MediaSummaryDocument = z.object({
  summary: z.string(),
  topics: z.array(z.string()),
  chapters: z.array(Chapter),
  /** `extractive`: sentences and words taken from the media's own transcript, labels and text, not written by a model. */
  method: z.enum(["extractive", "llm"]),
  engine: EngineInfo,
});
export type MediaSummaryDocument = z.infer<typeof MediaSummaryDocument>;
