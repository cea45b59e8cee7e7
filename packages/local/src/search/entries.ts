import {
  LabelsDocument, MediaSummaryDocument, ScenesDocument, TextDocument, TranscriptDocument,
  type AnyPipelineEvent, type ObjectRef,
} from "@media-pipeline/core";
import type { z } from "zod";
import type { SearchEntry } from "../store/index.js";

/*
 * What the search index holds of each document, as pure functions of the document: one entry per unit
 * a person would want to land on (a transcript segment, an on-screen line, a label, a chapter, a scene,
 * the whole media's summary). The indexer reads the documents; nothing here does I/O.
 */

/** Text longer than this in one entry is cut: a unit that long is no longer a place to land on. */
const MAX_ENTRY_CHARS = 20_000;
/** Label ranges kept per label (a label seen all through a long video has thousands). */
const MAX_LABEL_RANGES = 200;

/**
 * Token characters as SQLite's unicode61 tokenizer sees them (letters, numbers, private use), plus
 * combining marks so that a decomposed accent stays inside its word. Used to line up word times with
 * the tokens FTS5 highlights.
 */
export const TOKEN = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;

/**
 * Indexed text is NFC (one form for "é", so JS and SQLite count the same tokens) and free of control
 * characters: the search marks matches with two of them, so none may come from the documents.
 */
export function cleanText(text: string): string {
  const cleaned = text.normalize("NFC").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, " ").replace(/\s+/g, " ").trim();
  return cleaned.length > MAX_ENTRY_CHARS ? cleaned.slice(0, MAX_ENTRY_CHARS) : cleaned;
}

export const countTokens = (text: string): number => text.match(TOKEN)?.length ?? 0;

/** A transcript entry's details: who spoke, and when each token of its body was spoken (word times only). */
export interface TranscriptExtra {
  speaker: string;
  /** The start (ms) of each token of the body, in order: where a highlighted word was said. */
  tokenStartsMs?: number[];
}

export interface LabelExtra {
  confidence: number;
  ranges: Array<{ startMs: number; endMs: number }>;
}

export function transcriptEntries(doc: TranscriptDocument): SearchEntry[] {
  const labelOf = new Map(doc.speakers.map((s) => [s.id, s.label]));
  return doc.segments.flatMap((segment): SearchEntry[] => {
    const speaker = labelOf.get(segment.speaker) ?? segment.speaker;
    const words = (segment.words ?? []).map((w) => ({ ...w, text: cleanText(w.text) })).filter((w) => countTokens(w.text) > 0);
    let body = cleanText(segment.text);
    let tokenStartsMs: number[] | undefined;
    if (words.length > 0) {
      tokenStartsMs = words.flatMap((w) => Array.from({ length: countTokens(w.text) }, () => w.startMs));
      // The segment's text is its words joined; if an engine wrote it otherwise, the words are the
      // body, so that every token still has a time.
      if (countTokens(body) !== tokenStartsMs.length) body = cleanText(words.map((w) => w.text).join(" "));
      if (countTokens(body) !== tokenStartsMs.length) tokenStartsMs = undefined;
    }
    if (countTokens(body) === 0) return [];
    const extra: TranscriptExtra = { speaker, ...(tokenStartsMs ? { tokenStartsMs } : {}) };
    return [{ kind: "transcript", startMs: segment.startMs, endMs: segment.endMs, title: "", body, extra }];
  });
}

export function labelEntries(doc: LabelsDocument): SearchEntry[] {
  return doc.labels.flatMap((label): SearchEntry[] => {
    const title = cleanText(label.name);
    if (countTokens(title) === 0) return [];
    const ranges = label.occurrences.length > 0
      ? label.occurrences.slice(0, MAX_LABEL_RANGES).map((o) => ({ startMs: o.startMs, endMs: o.endMs }))
      : label.instances.slice(0, MAX_LABEL_RANGES).map((i) => ({ startMs: i.timestampMs, endMs: i.timestampMs }));
    const first = ranges[0] ?? { startMs: 0, endMs: 0 };
    // Its parents are the body: "animal" finds the Dog label, below a label named Animal.
    const body = cleanText(label.parents.map((p) => p.name).join(", "));
    const extra: LabelExtra = { confidence: label.confidence, ranges };
    return [{ kind: "label", startMs: first.startMs, endMs: first.endMs, title, body, extra }];
  });
}

export function textEntries(doc: TextDocument): SearchEntry[] {
  // Lines carry the words again; an engine that reads words only has no lines, and its words are indexed.
  const units = doc.lines.length > 0 ? doc.lines : doc.words;
  return units.flatMap((o): SearchEntry[] => {
    const body = cleanText(o.text);
    return countTokens(body) === 0 ? [] : [{ kind: "text", startMs: o.startMs, endMs: o.endMs, title: "", body, extra: { confidence: o.confidence } }];
  });
}

export function sceneEntries(doc: ScenesDocument): SearchEntry[] {
  return doc.scenes.flatMap((s): SearchEntry[] => {
    const body = cleanText(s.summary);
    return countTokens(body) === 0 ? [] : [{ kind: "scene", startMs: s.startMs, endMs: s.endMs, title: "", body, extra: { index: s.index } }];
  });
}

export function summaryEntries(doc: MediaSummaryDocument): SearchEntry[] {
  const end = Math.max(0, ...doc.chapters.map((c) => c.endMs));
  const summary: SearchEntry = { kind: "summary", startMs: 0, endMs: end, title: cleanText(doc.topics.join(", ")), body: cleanText(doc.summary), extra: { topics: doc.topics } };
  const chapters = doc.chapters.map((c): SearchEntry => ({
    kind: "chapter", startMs: c.startMs, endMs: c.endMs, title: cleanText(c.title), body: cleanText(c.summary), extra: { index: c.index, topics: c.topics },
  }));
  return [...(countTokens(summary.title) + countTokens(summary.body) > 0 ? [summary] : []), ...chapters];
}

/** How one detail-type's document becomes entries. */
export interface DocumentSource<S extends z.ZodType = z.ZodType> {
  /** The name under which its entries are replaced as a whole (one document per source per media item). */
  source: string;
  ref(detail: Record<string, unknown>): ObjectRef;
  schema: S;
  entries(doc: z.infer<S>): SearchEntry[];
}

const from = <S extends z.ZodType>(s: DocumentSource<S>): DocumentSource => s as unknown as DocumentSource;

/** The events whose documents are indexed, with how. */
export const DOCUMENT_SOURCES: Readonly<Record<string, DocumentSource>> = {
  "Transcript Ready": from({ source: "transcript", ref: (d) => d.transcript as ObjectRef, schema: TranscriptDocument, entries: transcriptEntries }),
  "Labels Detected": from({ source: "labels", ref: (d) => d.labels as ObjectRef, schema: LabelsDocument, entries: labelEntries }),
  "Text Detected": from({ source: "text", ref: (d) => d.text as ObjectRef, schema: TextDocument, entries: textEntries }),
  "Scenes Summarized": from({ source: "scenes", ref: (d) => d.scenes as ObjectRef, schema: ScenesDocument, entries: sceneEntries }),
  "Media Summarized": from({ source: "summary", ref: (d) => d.document as ObjectRef, schema: MediaSummaryDocument, entries: summaryEntries }),
};

/** What an event says about the media item itself: its file name, or where its flow stands. */
export type MediaFact =
  | { kind: "filename"; filename: string }
  | { kind: "status"; status: string; durationMs?: number };

export function mediaFactsOf(event: AnyPipelineEvent): MediaFact[] {
  const detail = event.detail as Record<string, unknown>;
  const filename = typeof detail.filename === "string" ? [{ kind: "filename" as const, filename: detail.filename }] : [];
  switch (event["detail-type"]) {
    case "Media Received":
      return [...filename, { kind: "status", status: "processing" }];
    case "Analysis Completed":
      return [{ kind: "status", status: String(detail.status), ...(typeof detail.durationMs === "number" ? { durationMs: detail.durationMs } : {}) }];
    case "Media Rejected":
      return [...filename, { kind: "status", status: "rejected" }];
    default:
      return [];
  }
}

/** The detail-types the indexer reads: documents, and facts about the media item. */
export const INDEXED_TYPES: readonly string[] = [...Object.keys(DOCUMENT_SOURCES), "Media Received", "Analysis Completed", "Media Rejected"];
