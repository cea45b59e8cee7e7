import type { MediaSummaryInput } from "../ports.js";
import type { MediaSummaryDocument } from "../results/documents.js";

/*
 * What a language model is asked about chapters, and how its answers are read, for both the local
 * OpenAI-compatible summarizer and Bedrock: the same bounded JSON in, the same fields out. Chapter
 * boundaries stay those of the extractive segmentation (deterministic, measured in the eval); the
 * model only words the titles and summaries. Every field of an answer is checked on its own, so a
 * bad title costs the chapter its model title only: that part keeps the extractive text.
 */

/** Transcript characters per chapter shown to a model, shared out over its scenes. */
export const MAX_CHAPTER_TRANSCRIPT_CHARS = 12_000;
/** Characters of the chapters' titles and summaries shown for the whole-media call. */
export const MAX_MEDIA_PROMPT_CHARS = 24_000;
export const MAX_CHAPTER_TITLE_CHARS = 80;
export const MAX_CHAPTER_SUMMARY_CHARS = 600;
export const MAX_MEDIA_SUMMARY_CHARS = 1200;
export const MAX_MODEL_TOPICS = 10;
const MAX_TOPIC_CHARS = 60;
const MAX_LABELS = 20;
const MAX_TEXT_LINES = 20;

export const CHAPTER_SYSTEM_PROMPT = [
  "You title and summarise one chapter of a video or audio recording for a media analysis report.",
  "The user message is the chapter as JSON: `transcript` (speaker turns in order, possibly cut short), `labels` (objects an automatic detector saw) and `onScreenText` (lines of text shown on screen).",
  "Give a short title (2-8 words, no quotes, no chapter number) naming what the chapter is about, and 1-3 factual sentences summarising it.",
  "Use only what the input states; never invent names, places, numbers or claims. If it says little, say little.",
].join(" ");

export const MEDIA_SYSTEM_PROMPT = [
  "You summarise a whole video or audio recording for a media analysis report.",
  "The user message is JSON: the recording's `chapters` in order, each with a title, a summary and its topics.",
  "Write 2-4 factual sentences summarising the whole recording, and list up to 8 key topics (short noun phrases, most important first).",
  "Use only what the chapters state; never invent names, places, numbers or claims.",
].join(" ");

/** JSON Schemas of the answers (OpenAI `response_format`, Bedrock tool input); lengths are checked on the way back. */
export const CHAPTER_JSON_SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string", description: "2-8 word title of the chapter" },
    summary: { type: "string", description: "1-3 factual sentences about the chapter" },
  },
  required: ["title", "summary"],
  additionalProperties: false,
} as const;

export const MEDIA_JSON_SCHEMA = {
  type: "object",
  properties: {
    summary: { type: "string", description: "2-4 factual sentences about the whole recording" },
    topics: { type: "array", items: { type: "string" }, description: "up to 8 key topics, most important first" },
  },
  required: ["summary", "topics"],
  additionalProperties: false,
} as const;

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * One chapter as a model reads it. The transcript budget is shared out over the chapter's scenes
 * (what one scene leaves unused passes to the next), so a long chapter is shown from beginning to
 * end rather than its beginning only; `transcriptTruncated` says when lines were cut.
 */
export function chapterForModel(chapter: MediaSummaryDocument["chapters"][number], input: MediaSummaryInput): Record<string, unknown> {
  const wanted = new Set(chapter.sceneIndexes);
  const scenes = input.scenes.filter((s) => wanted.has(s.index)).sort((a, b) => a.startMs - b.startMs);
  const transcript: Array<{ speaker: string; text: string }> = [];
  const seen = new Set<string>();
  let truncated = false;
  let spare = 0;
  scenes.forEach((scene, i) => {
    let budget = spare + Math.floor(MAX_CHAPTER_TRANSCRIPT_CHARS / scenes.length);
    for (const t of scene.transcript) {
      const id = `${t.startMs}|${t.speaker}|${t.text}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (budget <= 0) {
        truncated = true;
        continue;
      }
      const text = t.text.length > budget ? `${t.text.slice(0, budget)}…` : t.text;
      truncated ||= text !== t.text;
      budget -= text.length;
      transcript.push({ speaker: t.speaker, text });
    }
    spare = i < scenes.length - 1 ? Math.max(0, budget) : 0;
  });
  const labels = new Map<string, number>();
  for (const s of scenes) for (const l of new Set(s.labels)) labels.set(l, (labels.get(l) ?? 0) + 1);
  const onScreenText = [...new Set(scenes.flatMap((s) => s.text.map((t) => t.trim()).filter(Boolean)))].slice(0, MAX_TEXT_LINES);
  return {
    chapter: chapter.index,
    startSeconds: seconds(chapter.startMs),
    endSeconds: seconds(chapter.endMs),
    transcript,
    ...(truncated ? { transcriptTruncated: true } : {}),
    // Objects, as the scene prompt sends them: the name is what matters, most often seen first.
    labels: [...labels].sort((a, b) => b[1] - a[1]).slice(0, MAX_LABELS).map(([name]) => ({ name })),
    onScreenText,
  };
}

/** The whole media as a model reads it: its chapters' titles, summaries and topics, each summary shortened alike to fit. */
export function mediaForModel(doc: Pick<MediaSummaryDocument, "chapters">, durationMs: number): Record<string, unknown> {
  const total = doc.chapters.reduce((n, c) => n + c.summary.length, 0);
  const fixed = doc.chapters.reduce((n, c) => n + c.title.length + c.topics.join(", ").length + 80, 0);
  const room = Math.max(0, MAX_MEDIA_PROMPT_CHARS - fixed);
  const share = total > room ? room / total : 1;
  return {
    durationSeconds: seconds(durationMs),
    chapters: doc.chapters.map((c) => {
      const max = Math.max(40, Math.floor(c.summary.length * share));
      return {
        chapter: c.index,
        startSeconds: seconds(c.startMs),
        endSeconds: seconds(c.endMs),
        title: c.title,
        summary: c.summary.length > max ? `${c.summary.slice(0, max)}…` : c.summary,
        topics: c.topics,
      };
    }),
  };
}

/** A field the model got right, or why it is not used. */
export type CheckedPart<T> = { ok: true; value: T } | { ok: false; reason: string };

function text(value: unknown, field: string, max: number): CheckedPart<string> {
  if (typeof value !== "string") return { ok: false, reason: `${field} is ${value === undefined ? "missing" : "not a string"}` };
  const v = value.replace(/\s+/g, " ").trim();
  if (!v) return { ok: false, reason: `${field} is empty` };
  if (v.length > max) return { ok: false, reason: `${field} is over ${max} characters` };
  return { ok: true, value: v };
}

/** A chapter answer, field by field. */
export function readChapterAnswer(json: unknown): { title: CheckedPart<string>; summary: CheckedPart<string> } {
  const o = json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  return {
    title: text(o.title, "title", MAX_CHAPTER_TITLE_CHARS),
    summary: text(o.summary, "summary", MAX_CHAPTER_SUMMARY_CHARS),
  };
}

/** A whole-media answer, field by field. */
export function readMediaAnswer(json: unknown): { summary: CheckedPart<string>; topics: CheckedPart<string[]> } {
  const o = json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  let topics: CheckedPart<string[]>;
  if (!Array.isArray(o.topics)) topics = { ok: false, reason: `topics is ${o.topics === undefined ? "missing" : "not a list"}` };
  else {
    const list = [...new Set(o.topics.filter((t): t is string => typeof t === "string").map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean))];
    if (!list.length) topics = { ok: false, reason: "topics has no non-empty string" };
    else if (list.some((t) => t.length > MAX_TOPIC_CHARS)) topics = { ok: false, reason: `a topic is over ${MAX_TOPIC_CHARS} characters` };
    else topics = { ok: true, value: list.slice(0, MAX_MODEL_TOPICS) };
  }
  return { summary: text(o.summary, "summary", MAX_MEDIA_SUMMARY_CHARS), topics };
}

/** What a model summarizer got for each part: the model's text, or why the extractive text stays. */
export interface ModelParts {
  chapters: Array<{ title: CheckedPart<string>; summary: CheckedPart<string> }>;
  media: { summary: CheckedPart<string>; topics: CheckedPart<string[]> };
}

const NOTE_REASON_LIMIT = 6;

/**
 * The extractive document with the model's parts put in. `method` is `llm` when any part is the
 * model's; `note` names every part that kept the extractive text and why (the same reason once, with
 * all its parts), or is undefined when the model wrote everything.
 */
export function mergeModelParts(extractive: MediaSummaryDocument, parts: ModelParts): { doc: Omit<MediaSummaryDocument, "engine">; fallbacks: number; note?: string } {
  const reasons = new Map<string, string[]>();
  let fromModel = 0;
  let fallbacks = 0;
  const take = <T>(c: CheckedPart<T>, fallback: T, part: string): T => {
    if (c.ok) {
      fromModel += 1;
      return c.value;
    }
    fallbacks += 1;
    reasons.set(c.reason, [...(reasons.get(c.reason) ?? []), part]);
    return fallback;
  };
  const chapters = extractive.chapters.map((c, i) => {
    const p = parts.chapters[i];
    const missing: CheckedPart<string> = { ok: false, reason: "not asked" };
    return {
      ...c,
      title: take(p?.title ?? missing, c.title, `chapter ${c.index} title`),
      summary: take(p?.summary ?? missing, c.summary, `chapter ${c.index} summary`),
    };
  });
  const summary = take(parts.media.summary, extractive.summary, "media summary");
  const topics = take(parts.media.topics, extractive.topics, "media topics");
  const doc = { summary, topics, chapters, method: fromModel > 0 ? ("llm" as const) : ("extractive" as const) };
  if (!fallbacks) return { doc, fallbacks };
  const listed = [...reasons].map(([reason, which]) => `${which.join(", ")}: ${reason}`);
  const shown = listed.slice(0, NOTE_REASON_LIMIT).join("; ");
  const more = listed.length > NOTE_REASON_LIMIT ? `; and ${listed.length - NOTE_REASON_LIMIT} more reasons` : "";
  const total = extractive.chapters.length * 2 + 2;
  const note = `${fallbacks} of ${total} parts kept the extractive text (taken from the media, not written by a model) — ${shown}${more}.`;
  return { doc, fallbacks, note };
}
