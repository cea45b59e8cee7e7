import { randomBytes } from "node:crypto";
import {
  catalog, mediaIdFrom,
  type DetailType, type LabelsDocument, type MediaSummaryDocument, type ScenesDocument, type TextDocument, type TranscriptDocument,
} from "@media-pipeline/core";
import type { LocalRuntime } from "../src/runtime/runtime.js";

/*
 * Test support for search: documents that pass their zod schemas, written where a stage would write
 * them, and the events that point at them published on a runtime's bus (one with no routes, so no
 * stage runs and the indexer is what is under test).
 */

const engine = { name: "fake", version: "0" };

export const newMediaId = (): string => mediaIdFrom(Date.now(), randomBytes(16));

/** A transcript whose segments are the given sentences, each word `wordMs` long, one speaker per segment in turn. */
export function transcriptOf(segments: Array<{ startMs: number; text: string; speaker?: string }>, wordMs = 400): TranscriptDocument {
  const segs = segments.map((s) => {
    const words = s.text.split(/\s+/).filter(Boolean).map((text, i) => ({
      text, startMs: s.startMs + i * wordMs, endMs: s.startMs + (i + 1) * wordMs, confidence: 90, speaker: s.speaker ?? "spk_0",
    }));
    return { speaker: s.speaker ?? "spk_0", startMs: s.startMs, endMs: words.at(-1)?.endMs ?? s.startMs, text: s.text, words };
  });
  const speakers = [...new Set(segs.map((s) => s.speaker))].map((id, i) => ({ id, label: `Speaker ${i + 1}`, speechMs: 1000 }));
  return {
    language: "en-US", hasWords: true, notes: [], speakers, segments: segs, speech: segs.map((s) => ({ startMs: s.startMs, endMs: s.endMs })),
    speakerLabels: { speakers: speakers.length, segments: [] }, engine, engines: [engine],
  };
}

export function labelsOf(labels: Array<{ name: string; parents?: string[]; ranges: Array<[number, number]> }>): LabelsDocument {
  return {
    framesAnalyzed: 10, engine,
    labels: labels.map((l) => ({
      name: l.name, confidence: 90, meanConfidence: 80, count: l.ranges.length, parents: (l.parents ?? []).map((name) => ({ name })),
      occurrences: l.ranges.map(([startMs, endMs]) => ({ startMs, endMs, confidence: 90 })),
      instances: l.ranges.map(([startMs]) => ({ timestampMs: startMs, confidence: 90 })),
    })),
  };
}

export function textOf(lines: Array<{ text: string; startMs: number; endMs: number }>): TextDocument {
  const box = { left: 0.1, top: 0.1, width: 0.5, height: 0.1 };
  return { lines: lines.map((l) => ({ ...l, confidence: 95, box, frames: 2 })), words: [], framesAnalyzed: 10, engine };
}

export function scenesOf(scenes: Array<{ startMs: number; endMs: number; summary: string }>): ScenesDocument {
  return {
    engine,
    scenes: scenes.map((s, index) => ({ index, ...s, shotIndexes: [index], labels: [], moderation: [], speakers: [], summarizer: "extractive" })),
  };
}

export function summaryOf(summary: string, topics: string[], chapters: Array<{ startMs: number; endMs: number; title: string; summary: string }>): MediaSummaryDocument {
  return {
    summary, topics, method: "extractive", engine,
    chapters: chapters.map((c, index) => ({ index, ...c, sceneIndexes: [index], topics: [] })),
  };
}

/** Publishes one event of `type` for the media item with the catalog's example detail, `fields` over it. */
async function publish(rt: LocalRuntime, mediaId: string, type: DetailType, fields: Record<string, unknown>): Promise<void> {
  const example = catalog[type].example as Record<string, unknown>;
  await rt.bus.publish(type, { ...example, mediaId, correlationId: mediaId, ...fields } as never);
}

/** Writes a document where a stage would (derived/<mediaId>/<name>.json) and returns its reference. */
async function put(rt: LocalRuntime, mediaId: string, name: string, doc: unknown) {
  const ref = { bucket: rt.config.bucket, key: `derived/${mediaId}/${name}.json` };
  await rt.objects.putJson(ref, doc);
  return ref;
}

export interface MediaFixture {
  filename?: string;
  transcript?: TranscriptDocument;
  labels?: LabelsDocument;
  text?: TextDocument;
  scenes?: ScenesDocument;
  summary?: MediaSummaryDocument;
  /** Publish `Analysis Completed` at the end (default true). */
  complete?: boolean;
}

/** One media item's flow as far as search reads it: Media Received, each document's event, Analysis Completed. */
export async function publishMedia(rt: LocalRuntime, fixture: MediaFixture, mediaId = newMediaId()): Promise<string> {
  await publish(rt, mediaId, "Media Received", { filename: fixture.filename ?? "talk.mp4", source: { bucket: rt.config.bucket, key: `media/${mediaId}/source.mp4` } });
  if (fixture.transcript) await publishTranscript(rt, mediaId, fixture.transcript);
  if (fixture.labels) await publish(rt, mediaId, "Labels Detected", { labels: await put(rt, mediaId, "labels", fixture.labels), labelCount: fixture.labels.labels.length, topLabels: [] });
  if (fixture.text) {
    await publish(rt, mediaId, "Text Detected", { text: await put(rt, mediaId, "text", fixture.text), lineCount: fixture.text.lines.length, wordCount: 0, lines: [] });
  }
  if (fixture.scenes) await publish(rt, mediaId, "Scenes Summarized", { scenes: await put(rt, mediaId, "scenes", fixture.scenes), sceneCount: fixture.scenes.scenes.length });
  if (fixture.summary) {
    await publish(rt, mediaId, "Media Summarized", {
      document: await put(rt, mediaId, "summary", fixture.summary), summary: fixture.summary.summary.slice(0, 1000), topics: fixture.summary.topics.slice(0, 10),
      chapterCount: fixture.summary.chapters.length,
    });
  }
  if (fixture.complete !== false) await publish(rt, mediaId, "Analysis Completed", { report: { bucket: rt.config.bucket, key: `derived/${mediaId}/report.json` }, durationMs: 60_000 });
  return mediaId;
}

/** Publishes a (new or repeated) `Transcript Ready` for the media item, its document written first. */
export async function publishTranscript(rt: LocalRuntime, mediaId: string, doc: TranscriptDocument, name = "transcript"): Promise<void> {
  await publish(rt, mediaId, "Transcript Ready", {
    transcript: await put(rt, mediaId, name, doc), segmentCount: doc.segments.length, wordCount: doc.segments.reduce((n, s) => n + (s.words?.length ?? 0), 0),
  });
}

/** Resolves once the runtime's indexer has read the log to its end. */
export async function indexed(rt: LocalRuntime, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (rt.store.search.cursor() < rt.store.events.lastSeq()) {
    if (Date.now() > until) throw new Error(`the search indexer is still at #${rt.store.search.cursor()} of #${rt.store.events.lastSeq()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const FILLER = ["the trains were late again this morning", "a short walk along the river", "bread and cheese for lunch", "the match ended in a draw", "music from the radio in the kitchen"];

/**
 * A media item of unrelated talk: bm25's term rarity means little in an index of a few entries (a word
 * in half of them counts for nothing), so ranking tests run beside a realistic number of entries.
 */
export function publishFiller(rt: LocalRuntime, segments = 40): Promise<string> {
  return publishMedia(rt, { filename: "filler.mp4", transcript: transcriptOf(Array.from({ length: segments }, (_, i) => ({ startMs: i * 5000, text: FILLER[i % FILLER.length]! }))) });
}
