import type { z } from "zod";
import { NonRetryableError } from "../errors.js";
import { buildCaptionCues, CAPTIONS_ENGINE, toSrt, toWebVtt } from "../policy/captions.js";
import type { BlobStore, MediaSummarizer, MediaSummaryInput, TextDetector, TextFileStore } from "../ports.js";
import type { ObjectRef } from "../results/common.js";
import { buildScenes, type SceneOptions } from "../policy/scenes.js";
import {
  LabelsDocument, MediaSummaryDocument, ScenesDocument, ShotsDocument, TextDocument, TranscriptDocument, type CaptionCue,
} from "../results/documents.js";
import { derivedRef, expectEvent, type StageHandler } from "./common.js";
import { byStage } from "./plan.js";
import { textResult } from "./results.js";
import { runOnce, type StageDeps } from "./run-once.js";
import { visionTrigger } from "./video-stages.js";

/*
 * The stages that give a person the whole media at a glance: the text shown on screen, captions to
 * load in a player, and chapters with a summary. Each reads the documents earlier stages stored.
 */

/** Caption files, beside the other derived documents. */
export const CAPTION_FILES = { vtt: "captions.vtt", srt: "captions.srt" } as const;

/** Reads a stored document through its schema, so a wrong or damaged object fails with its name. */
async function document<S extends z.ZodType>(blobs: BlobStore, ref: ObjectRef, schema: S, what: string): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await blobs.getJson(ref));
  if (!parsed.success) {
    throw new NonRetryableError(`${ref.key} is not a ${what} document: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/**
 * detect-text: a video ready for the vision stages → `Text Detected`, with an engine that answers
 * in-process (OCR on the shared decode pass locally; image text detection on sampled frames in the
 * cloud's frames mode). The cloud's video path is a job (cloud-jobs.ts).
 * @example const detectText = createDetectText({ state, publish, blobs, detector })
 */
export function createDetectText(deps: StageDeps & { detector: TextDetector; blobs: BlobStore }): StageHandler {
  return async (raw, ctx) => {
    const { mediaId, correlationId, source, durationMs, trigger, analysis } = visionTrigger(raw, "detect-text");
    await runOnce(deps, {
      mediaId, correlationId, stage: "detect-text", trigger, ctx,
      // The signal stops Tesseract at the stage's deadline, so no OCR process outlives the delivery.
      work: async (signal) => textResult(deps.blobs, { mediaId, source, analysis, ...(await deps.detector.detect({ mediaId, source, durationMs, analysis }, ctx.progress, { signal })) }),
    });
  };
}

/**
 * make-captions: `Transcript Ready` → WebVTT and SRT beside the transcript → `Captions Ready`. A
 * transcript without words (no speech-to-text engine ran) gives empty caption files and a note that
 * says why, so the media still settles and a player still loads the track.
 * @example const captions = createMakeCaptions({ state, publish, blobs, files })
 */
export function createMakeCaptions(deps: StageDeps & { blobs: BlobStore; files: TextFileStore }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "make-captions", "Transcript Ready");
    const { mediaId, correlationId, transcript, language } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "make-captions", trigger: "Transcript Ready", ctx,
      work: async () => {
        const doc = await document(deps.blobs, transcript, TranscriptDocument, "transcript");
        const cues: CaptionCue[] = buildCaptionCues(doc);
        const vtt = derivedRef(transcript, mediaId, CAPTION_FILES.vtt);
        const srt = derivedRef(transcript, mediaId, CAPTION_FILES.srt);
        await deps.files.putText(vtt, toWebVtt(cues), "text/vtt; charset=utf-8");
        await deps.files.putText(srt, toSrt(cues), "application/x-subrip; charset=utf-8");
        const note = cues.length === 0
          ? (doc.hasWords ? "The transcript has no words: nothing was said, so the caption files have no cues." : "The transcript has no words (no speech-to-text engine ran), so the caption files have no cues.")
          : undefined;
        return {
          emit: [{ type: "Captions Ready", detail: { vtt, srt, cueCount: cues.length, language, engine: CAPTIONS_ENGINE, ...(note ? { note } : {}) } }],
          facts: { vtt, srt, cueCount: cues.length, engine: CAPTIONS_ENGINE, ...(note ? { note } : {}) },
        };
      },
    });
  };
}

/**
 * The spans chapters are found over: one per shot (shots under 1.5 s joined to the one before), not
 * the scenes, which join shots with similar labels into up to 90 s. Chapters can only start where a
 * span starts: on generated talks, boundary F1 was 0 over the scenes and 0.75 over shots (eval/chapters).
 */
export const CHAPTER_SPANS: SceneOptions = { minShotMs: 1500, similarity: 1.01, maxSceneMs: 90_000 };

/** What the media summarizer reads: per span, the words said in it, its labels, the text shown and its scene's summary. */
export function mediaSummaryInput(input: {
  durationMs: number; scenes: ScenesDocument; shots?: ShotsDocument; labels?: LabelsDocument; transcript?: TranscriptDocument; text?: TextDocument;
}): MediaSummaryInput {
  const spans = buildScenes({ durationMs: input.durationMs, ...defined({ shots: input.shots, labels: input.labels, transcript: input.transcript }) }, CHAPTER_SPANS);
  const sceneAt = (ms: number) => input.scenes.scenes.find((s) => ms >= s.startMs && ms < s.endMs) ?? input.scenes.scenes.at(-1);
  return {
    durationMs: input.durationMs,
    scenes: spans.map((s) => ({
      index: s.index, startMs: s.startMs, endMs: s.endMs, summary: sceneAt(s.startMs)?.summary ?? "",
      transcript: s.transcript, labels: s.labels.map((l) => l.name),
      text: [...new Set((input.text?.lines ?? []).filter((l) => l.startMs < s.endMs && l.endMs > s.startMs).map((l) => l.text))],
    })),
  };
}

/** The fields that have a value: documents a media item did not produce are left out, not undefined. */
const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };

/** A chapter's scenes: those of the scenes document it overlaps (the summarizer counted spans). */
function withScenes(doc: MediaSummaryDocument, scenes: ScenesDocument): MediaSummaryDocument {
  return {
    ...doc,
    chapters: doc.chapters.map((c) => ({
      ...c, sceneIndexes: scenes.scenes.filter((s) => s.startMs < c.endMs && s.endMs > c.startMs).map((s) => s.index),
    })),
  };
}

/**
 * summarize-media: `Scenes Summarized` → chapters where the topic changes, each titled and summarized,
 * and a summary of the whole media with its key topics → `Media Summarized`. The scenes already
 * waited for shots, labels, text and transcript, so everything it reads has settled.
 * @example const summarizeMedia = createSummarizeMedia({ state, publish, blobs, summarizer })
 */
export function createSummarizeMedia(deps: StageDeps & { blobs: BlobStore; summarizer: MediaSummarizer }): StageHandler {
  return async (raw, ctx) => {
    const event = expectEvent(raw, "summarize-media", "Scenes Summarized");
    const { mediaId, correlationId, scenes: scenesRef } = event.detail;
    await runOnce(deps, {
      mediaId, correlationId, stage: "summarize-media", trigger: "Scenes Summarized", ctx,
      work: async (signal) => {
        const records = byStage(await deps.state.list(mediaId));
        const read = <S extends z.ZodType>(stage: "detect-shots" | "detect-labels" | "transcribe" | "detect-text", schema: S, what: string) => {
          const ref = records[stage]?.status === "done" ? (records[stage]!.output?.facts?.ref as ObjectRef | undefined) : undefined;
          return ref ? document(deps.blobs, ref, schema, what) : Promise.resolve(undefined);
        };
        const [scenes, shots, labels, transcript, text] = await Promise.all([
          document(deps.blobs, scenesRef, ScenesDocument, "scenes"),
          read("detect-shots", ShotsDocument, "shots"),
          read("detect-labels", LabelsDocument, "labels"),
          read("transcribe", TranscriptDocument, "transcript"),
          read("detect-text", TextDocument, "text"),
        ]);
        const durationMs = Number(records.probe?.output?.facts?.durationMs ?? scenes.scenes.at(-1)?.endMs ?? 0);
        const input = mediaSummaryInput({ durationMs, scenes, ...defined({ shots, labels, transcript, text }) });
        const doc = withScenes(MediaSummaryDocument.parse(await deps.summarizer.summarize(input, { signal })), scenes);
        const out = derivedRef(scenesRef, mediaId, "summary.json");
        await deps.blobs.putJson(out, doc);
        return {
          emit: [{
            type: "Media Summarized",
            detail: {
              document: out, summary: doc.summary.slice(0, 1000), topics: doc.topics.slice(0, 10).map((t) => t.slice(0, 100)),
              chapterCount: doc.chapters.length, method: doc.method, engine: doc.engine,
            },
          }],
          facts: { ref: out, engine: doc.engine, chapterCount: doc.chapters.length },
        };
      },
    });
  };
}
