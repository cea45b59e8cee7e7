import type { DetailInput, DetailType } from "./events/catalog.js";
import type { EngineInfo, ObjectRef } from "./results/common.js";
import type {
  AnalysisInput,
  AudioResult,
  FrameDetections,
  FrameModeration,
  FrameText,
  MediaSummaryDocument,
  LabelsDocument,
  ProbeResult,
  SceneSummary,
  ShotsDocument,
  TranscriptDocument,
  VideoReadiness,
} from "./results/documents.js";
import type { ReviewTask } from "./review/contract.js";
import type { StageName } from "./stage-names.js";

/**
 * Ports: the small interfaces stages are written against. Each runtime supplies adapters (S3,
 * DynamoDB and AWS services in the cloud; files, SQLite and open-source engines locally).
 */

/** Reports how far a long stage has got (0–1), for progress bars. Optional everywhere. */
export type ProgressFn = (fraction: number, note?: string) => void;

/**
 * What an engine is told beside its input. `signal` aborts when its stage gives up on it (a
 * per-stage timeout, or the delivery ending): an engine running a child process kills it then.
 */
export interface EngineCallOptions {
  signal?: AbortSignal;
}

/**
 * Stores result documents and media by reference.
 * @example await blobs.putJson({ bucket: "media", key: "derived/01jd…/shots.json" }, doc)
 */
export interface BlobStore {
  putJson(ref: ObjectRef, value: unknown): Promise<void>;
  getJson<T = unknown>(ref: ObjectRef): Promise<T>;
  /** Size in bytes, or undefined when the object does not exist. */
  size(ref: ObjectRef): Promise<number | undefined>;
}

/**
 * Stores a text file other programs read as it is (captions for players), where JSON will not do.
 * @example await files.putText({ bucket: "media", key: "derived/01jd…/captions.vtt" }, vtt, "text/vtt; charset=utf-8")
 */
export interface TextFileStore {
  putText(ref: ObjectRef, body: string, contentType: string): Promise<void>;
  getText(ref: ObjectRef): Promise<string>;
}

/**
 * Publishes an event onto the media bus. `dedupeKey` lets a runtime drop a second publish of the same
 * stage output (the local bus does; EventBridge delivers at least once and consumers dedupe).
 * @example await publish("Audio Extracted", { mediaId, correlationId, version: 1, ...fields }, { dedupeKey })
 */
export type Publish = <T extends DetailType>(
  type: T,
  detail: { version: number; mediaId: string; correlationId: string } & DetailInput<T>,
  options?: { dedupeKey?: string },
) => Promise<void>;

/** A stage's record in the state store. */
export type StageStatus = "running" | "done" | "failed" | "skipped";

/** What a finished stage stored, so a duplicate delivery can re-emit it without redoing the work. */
export interface StageOutput {
  events: Array<{ type: DetailType; detail: Record<string, unknown> }>;
  /** Small facts a join reads later (e.g. the moderation decision). */
  facts?: Record<string, unknown>;
}

export interface StageRecord {
  stage: StageName;
  status: StageStatus;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  output?: StageOutput;
  error?: { name: string; message: string };
  /** True once the stored events were published (see StateStore.markPublished). */
  published?: boolean;
}

/** The outcome of trying to start a stage. */
export type BeginResult =
  | { status: "started"; attempt: number }
  | { status: "busy" }
  | { status: "done"; output: StageOutput; published: boolean }
  | { status: "failed"; output: StageOutput; published: boolean };

/**
 * (mediaId, stage) progress with conditional writes: the idempotency and join mechanism.
 * @example const claim = await state.begin(mediaId, "extract-audio", 15 * 60_000)
 */
export interface StateStore {
  /**
   * Starts a stage unless it is done, failed, or running under an unexpired lease. Atomic: of two
   * concurrent callers, exactly one gets `started`.
   */
  begin(mediaId: string, stage: StageName, leaseMs: number): Promise<BeginResult>;
  /** Records success and the events it produced. */
  finish(mediaId: string, stage: StageName, output: StageOutput): Promise<void>;
  /** Records a non-retryable failure and the `Stage Failed` event it produced. */
  fail(mediaId: string, stage: StageName, error: { name: string; message: string }, output: StageOutput): Promise<void>;
  /**
   * Records that a settled stage's stored events were published. A later delivery that finds the
   * stage settled and published has nothing to mend; one that finds it unpublished (the publisher
   * stopped between the state write and the publish) publishes the stored events.
   */
  markPublished(mediaId: string, stage: StageName): Promise<void>;
  /** Gives a running stage back (a retryable error) so the next delivery can start it again. */
  release(mediaId: string, stage: StageName): Promise<void>;
  /** Every stage record of one media item. */
  list(mediaId: string): Promise<StageRecord[]>;
}

/** Limits the probe enforces; over them, media is rejected with a reason. */
export interface MediaLimits {
  maxBytes: number;
  maxDurationMs: number;
  /**
   * Media with sound longer than this is refused: its transcription could not run (Amazon Transcribe
   * takes 4 h per batch job). Absent: no such cap (the local speech engines take any length).
   */
  maxSpeechDurationMs?: number;
  /**
   * Video Rekognition cannot read is refused when transcoding it into a rendition would take more CPU
   * time (ms) than this (policy/rekognition-input.ts): the converting function's budget. Absent: no
   * cap (the local engines decode any format themselves).
   */
  maxTranscodeCpuMs?: number;
}

/**
 * Reads the container and streams. Throws `MediaRejectedError` for media it cannot accept.
 * @example const probe = await prober.probe(source, { maxBytes: 10e9, maxDurationMs: 6 * 3600_000 })
 */
export interface MediaProber {
  probe(source: ObjectRef, limits: MediaLimits): Promise<ProbeResult>;
}

/**
 * Extracts 16 kHz mono audio for speech engines into `target`.
 * @example await extractor.extract(source, { bucket: "media", key: "derived/01jd…/audio.wav" })
 */
export interface AudioExtractor {
  extract(source: ObjectRef, target: ObjectRef, onProgress?: ProgressFn, options?: EngineCallOptions): Promise<AudioResult>;
}

/** What the shot detector and vision engines are asked to look at. */
export interface VisionInput {
  mediaId: string;
  /** The upload: documents are stored beside it, and the local engines read it. */
  source: ObjectRef;
  durationMs: number;
  /**
   * The video to analyse and why (the upload, or a Rekognition-ready rendition of it), from the stage's
   * trigger; absent when a caller predates it, which means the upload.
   */
  analysis?: AnalysisInput;
}

/** What prepare-video hands the vision stages: the video they should read, and why. */
export interface PreparedVideo {
  input: "upload" | "rendition";
  video: ObjectRef;
  reason: string;
  engine: EngineInfo;
  /** A rendition's time 0 on the upload's clock (see AnalysisInput.offsetMs); absent or 0 for the upload. */
  offsetMs?: number;
}

/**
 * Makes sure the vision engines can read a video the probe found Rekognition cannot (see
 * policy/rekognition-input.ts). The cloud writes a rendition (ffmpeg, H.264 MP4 under derived/); the
 * local runtime's engines decode any format, so its preparer hands the upload through.
 * @example const { video, input } = await preparer.prepare({ mediaId, source, durationMs, readiness }, { signal })
 */
export interface VideoPreparer {
  prepare(
    input: {
      mediaId: string; source: ObjectRef; durationMs: number; readiness: VideoReadiness; target: ObjectRef;
      /** The probe's index of the video stream to take (cover art and extra angles left out). */
      streamIndex?: number;
    },
    options?: EngineCallOptions & { onProgress?: ProgressFn },
  ): Promise<PreparedVideo>;
}

/**
 * Finds shots, saves a keyframe per shot and sampled frames for the vision engines. Settings (scene
 * threshold, sampling interval) belong to the adapter and are reported in the document's engine.
 * @example const doc = await shots.detect({ mediaId, source, durationMs })
 */
export interface ShotDetector {
  detect(input: VisionInput, onProgress?: ProgressFn): Promise<ShotsDocument>;
}

/**
 * Object and scene labels, per frame. Aggregation into labels with time ranges happens in core.
 * Cloud adapters may instead return a finished document (Rekognition aggregates itself). `analysis`,
 * when given, replaces what the stage says was analysed (frames mode: sampled frames).
 * @example const { frames, engine } = await labels.detect({ mediaId, source, durationMs })
 */
export interface LabelDetector {
  detect(
    input: VisionInput,
    onProgress?: ProgressFn,
  ): Promise<{ frames: FrameDetections[]; faces?: LabelsDocument["faces"]; engine: EngineInfo; analysis?: AnalysisInput }>;
}

/**
 * Moderation scores per frame in the two-level taxonomy; segments and the decision are made in core.
 * @example const { frames, engine } = await moderation.detect({ mediaId, source, durationMs })
 */
export interface ModerationDetector {
  detect(input: VisionInput, onProgress?: ProgressFn): Promise<{ frames: FrameModeration[]; engine: EngineInfo; analysis?: AnalysisInput }>;
}

/**
 * Text shown on screen, per analysed frame (lines, and the words of each line); occurrences over time
 * are merged in core (policy/text.ts). Cloud: Rekognition text detection, collected as a job.
 * @example const { frames, engine } = await text.detect({ mediaId, source, durationMs })
 */
export interface TextDetector {
  /** `options.signal` stops the OCR processes at the stage's deadline. */
  detect(input: VisionInput, onProgress?: ProgressFn, options?: EngineCallOptions): Promise<{ frames: FrameText[]; engine: EngineInfo; analysis?: AnalysisInput }>;
}

/** What the speech engines are asked to transcribe. */
export interface TranscribeInput {
  mediaId: string;
  audio: ObjectRef;
  durationMs: number;
  /** Upper bound on distinct speakers (Transcribe's `MaxSpeakerLabels`). */
  maxSpeakers: number;
  language: string;
}

/**
 * Speech to text with speaker diarization.
 * @example const doc = await transcriber.transcribe({ mediaId, audio, durationMs, maxSpeakers: 4, language: "en-US" })
 */
export interface Transcriber {
  transcribe(input: TranscribeInput, onProgress?: ProgressFn, options?: EngineCallOptions): Promise<TranscriptDocument>;
}

/** What a scene summarizer reads: a scene's transcript, labels and moderation flags. */
export interface SceneInput {
  index: number;
  startMs: number;
  endMs: number;
  shotIndexes: number[];
  transcript: Array<{ speaker: string; text: string; startMs: number; endMs: number }>;
  labels: Array<{ name: string; confidence: number }>;
  moderation: string[];
}

/**
 * Writes one summary per scene.
 * @example const scenes = await summarizer.summarize(inputs)
 */
export interface SceneSummarizer {
  summarize(scenes: SceneInput[]): Promise<{ scenes: SceneSummary[]; engine: EngineInfo }>;
}

/** What the media summarizer reads: each scene's own words, labels and on-screen text, in order. */
export interface MediaSummaryInput {
  durationMs: number;
  scenes: Array<{
    index: number;
    startMs: number;
    endMs: number;
    /** The scene's summary (scenes document). */
    summary: string;
    /** What was said in the scene, in order, with who said it. */
    transcript: Array<{ speaker: string; text: string; startMs: number; endMs: number }>;
    labels: string[];
    /** Lines of text shown on screen during the scene. */
    text: string[];
  }>;
}

/**
 * Groups scenes into chapters where the topic changes, titles and summarizes each, and summarizes the
 * whole media with its key topics.
 * @example const doc = await summarizer.summarize({ durationMs, scenes })
 */
export interface MediaSummarizer {
  summarize(input: MediaSummaryInput, options?: EngineCallOptions): Promise<MediaSummaryDocument>;
}

/**
 * Opens a human review task for uncertain moderation (A2I in the cloud, the review page locally).
 * Must be idempotent on `taskId`.
 */
export interface ReviewQueue {
  /** Opens the task (the review contract); a second call with the same `taskId` changes nothing. */
  open(task: ReviewTask): Promise<void>;
}
