import type { MediaSummarizer, MediaSummaryInput } from "../ports.js";
import type { EngineInfo } from "../results/common.js";
import type { MediaSummaryDocument } from "../results/documents.js";
import { DEFAULT_CHAPTER_SETTINGS, segmentChapters, type ChapterSettings } from "./chapter-segmentation.js";
import { DEFAULT_CHAPTER_TEXT_SETTINGS, describeChapters, type ChapterTextSettings } from "./chapter-text.js";

/*
 * Chapters and a summary of the whole media, without a model: scenes grouped where the words change
 * (chapter-segmentation.ts), then titles, summaries and topics taken from the media's own words
 * (chapter-text.ts). The language-model summarizers (local OpenAI-compatible, Bedrock) start from
 * this document: same boundaries, their own wording, this text wherever the model fails.
 */

export {
  DEFAULT_CHAPTER_SETTINGS, segmentChapters, type ChapterGap, type ChapterSegmentation, type ChapterSettings, type ChapterSpan,
  type SummaryScene,
} from "./chapter-segmentation.js";
export { DEFAULT_CHAPTER_TEXT_SETTINGS, describeChapters, type ChapterTextSettings } from "./chapter-text.js";
export {
  CHAPTER_JSON_SCHEMA, CHAPTER_SYSTEM_PROMPT, chapterForModel, MAX_CHAPTER_SUMMARY_CHARS, MAX_CHAPTER_TITLE_CHARS,
  MAX_CHAPTER_TRANSCRIPT_CHARS, MAX_MEDIA_PROMPT_CHARS, MAX_MEDIA_SUMMARY_CHARS, MAX_MODEL_TOPICS, MEDIA_JSON_SCHEMA,
  MEDIA_SYSTEM_PROMPT, mediaForModel, mergeModelParts, readChapterAnswer, readMediaAnswer, type CheckedPart, type ModelParts,
} from "./chapters-for-model.js";

/** Bumped whenever a change to segmentation or text choice could change a document. */
export const EXTRACTIVE_CHAPTERS_VERSION = "1.0.0";

export interface ExtractiveMediaSummarizerOptions {
  segmentation?: Partial<ChapterSettings>;
  text?: Partial<ChapterTextSettings>;
}

/** The extractive document for `input`: what createExtractiveMediaSummarizer returns, without the promise. */
export function summarizeMediaExtractively(input: MediaSummaryInput, options: ExtractiveMediaSummarizerOptions = {}): MediaSummaryDocument {
  const segmentation = segmentChapters(input.scenes, options.segmentation);
  const text = describeChapters(input.scenes, segmentation.chapters.map((c) => c.sceneIndexes), options.text);
  const settings = { ...DEFAULT_CHAPTER_TEXT_SETTINGS, ...options.text };
  const engine: EngineInfo = {
    name: "extractive-chapters",
    version: EXTRACTIVE_CHAPTERS_VERSION,
    settings: {
      method: "TextTiling over scenes (cosine of idf-weighted words, depth scores), extractive titles and summaries",
      segmentation: segmentation.settings,
      text: settings,
      cutoff: segmentation.cutoff,
    },
    note:
      "Extractive: titles, topics and summaries are words and sentences taken from the media's own transcript, on-screen text " +
      "and labels, not written by a model; chapters start only where a scene does.",
  };
  return {
    summary: text.summary,
    topics: text.topics,
    chapters: segmentation.chapters.map((c, index) => ({
      index,
      startMs: c.startMs,
      endMs: c.endMs,
      title: text.chapters[index]!.title,
      summary: text.chapters[index]!.summary,
      sceneIndexes: c.sceneIndexes,
      topics: text.chapters[index]!.topics,
    })),
    method: "extractive",
    engine,
  };
}

/**
 * The local, model-free media summarizer: chapters where the transcript's, labels' and on-screen
 * text's words change between scenes; each titled with its most distinctive phrase (or a caption shown
 * in it) and summarised by its most central sentences; the media summarised by its chapters' most
 * central sentences, with its key topics. Weaker than a model: the summaries are quotations, not prose.
 * @example const doc = await createExtractiveMediaSummarizer().summarize({ durationMs, scenes })
 */
export function createExtractiveMediaSummarizer(options: ExtractiveMediaSummarizerOptions = {}): MediaSummarizer {
  // Settings are checked once, here, so a typo fails when the runtime is built, not on the first media.
  segmentChapters([], { ...DEFAULT_CHAPTER_SETTINGS, ...options.segmentation });
  return {
    async summarize(input) {
      return summarizeMediaExtractively(input, options);
    },
  };
}
