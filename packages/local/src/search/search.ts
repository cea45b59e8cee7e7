import type { SearchKind, SearchRow, Store } from "../store/index.js";
import { countTokens, type LabelExtra, type TranscriptExtra } from "./entries.js";
import { parseQuery, type QueryTerm } from "./query.js";

/*
 * Running a query over the index and shaping its hits: the moment to open (to the word, where the
 * transcript has word times), a highlighted snippet, and a link into the media's report at that moment.
 */

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/**
 * bm25 weight of each column. Every entry is ranked on its whole text (title and body) alike; a match
 * in a title, the name given to a whole unit (a chapter's title, a label, the media's topics), adds to
 * that: it says the unit is about the term, where a match in the body says the term comes up in it.
 */
export const COLUMN_WEIGHTS = { title: 2, fullText: 1 } as const;

/**
 * A multiplier on each kind's bm25 score.
 * - transcript, text (1): what was said, to the word, and what was shown: the evidence itself.
 * - chapter (1.2): a chapter whose title or summary matches is a stretch about the term, the best
 *   place to land for a topic.
 * - summary (1): the whole media is about it, but the hit's range is the whole media.
 * - scene (0.8): a scene's summary restates (the extractive one copies) what its transcript and
 *   labels hold, over a coarser range: it ranks below the precise hit it repeats.
 * - label (0.5): a word from a detector's fixed vocabulary, one entry for the whole media. Its few
 *   tokens (the name and its parents) get bm25's largest length bonus, and "Person" is in nearly
 *   every video: halved, a label ranks below a sentence of ordinary length that says the word.
 */
export const KIND_WEIGHTS: Readonly<Record<SearchKind, number>> = { transcript: 1, text: 1, chapter: 1.2, summary: 1, scene: 0.8, label: 0.5 };

/** Markers FTS5 puts around matched tokens; the indexed text has no control characters (entries.ts cleanText). */
const OPEN = "\u0002";
const CLOSE = "\u0003";
const MARKED = /\u0002([^\u0003]*)\u0003/g;
const SNIPPET_TOKENS = 16;

export interface SearchHit {
  mediaId: string;
  /** The uploaded file's name, once `Media Received` was indexed. */
  filename: string | null;
  /** processing, rejected, or the report's status (completed, completed-with-failures, …). */
  status: string | null;
  kind: SearchKind;
  startMs: number;
  endMs: number;
  /** The moment to open: the first matching word's start in a transcript with word times, else `startMs`. */
  atMs: number;
  /** The unit's name (chapter title, label name, topics), when it has one. */
  title?: string;
  /** The unit's whole text (for a label, its parents). */
  text: string;
  /** The best part of the text with each match in `<mark>`, HTML-escaped: safe to put in a page as it is. */
  snippet: string;
  /** The speaker's label, for a transcript hit. */
  speaker?: string;
  /** Every range in which a label was seen (the hit's own range is the first). */
  ranges?: Array<{ startMs: number; endMs: number }>;
  /** Relevance: higher is better (bm25 with the column and kind weights); comparable within one query only. */
  score: number;
  /** The media's report at that moment: `/media/<id>/report.html#t=<seconds>` (absolute from the server). */
  link: string;
}

export interface SearchResult {
  query: string;
  /** The terms searched for, after making the query safe. */
  terms: QueryTerm[];
  /** How many entries match in all (`hits` has the best `limit` of them). */
  total: number;
  hits: SearchHit[];
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A text with FTS5's marks in parts: even indexes plain, odd ones a match. */
export const markedParts = (marked: string): string[] => marked.split(MARKED);

/** A snippet from FTS5's marks to HTML: the text escaped, the matches in `<mark>`. */
export function snippetHtml(marked: string): string {
  return markedParts(marked).map((part, i) => (i % 2 === 1 ? `<mark>${escapeHtml(part)}</mark>` : escapeHtml(part))).join("");
}

/** `12.5`, `3`, `0.25`: seconds for a Media Fragments `#t=` anchor. */
export const fragmentSeconds = (ms: number): string => String(Math.round(ms) / 1000);

export const reportLink = (mediaId: string, atMs: number, baseUrl = ""): string =>
  `${baseUrl}/media/${mediaId}/report.html#t=${fragmentSeconds(atMs)}`;

/** Where the first highlighted token of a transcript body was said, from the word times kept with it. */
function firstMatchMs(row: SearchRow, extra: TranscriptExtra): number | undefined {
  // A transcript entry has no title: its whole text is its body.
  const at = row.marked_text.indexOf(OPEN);
  if (at < 0 || !extra.tokenStartsMs) return undefined;
  const before = row.marked_text.slice(0, at).replace(/[\u0002\u0003]/g, "");
  return extra.tokenStartsMs[countTokens(before)];
}

function hitOf(row: SearchRow, baseUrl: string, marked: boolean): SearchHit {
  const extra = row.extra ? (JSON.parse(row.extra) as Record<string, unknown>) : {};
  let atMs = row.start_ms;
  const details: Partial<SearchHit> = {};
  if (row.kind === "transcript") {
    const t = extra as unknown as TranscriptExtra;
    atMs = firstMatchMs(row, t) ?? row.start_ms;
    details.speaker = t.speaker;
  } else if (row.kind === "label") {
    details.ranges = (extra as unknown as LabelExtra).ranges;
  }
  return {
    mediaId: row.media_id, filename: row.filename, status: row.status, kind: row.kind, startMs: row.start_ms, endMs: row.end_ms, atMs,
    ...(row.title ? { title: row.title } : {}),
    text: row.body,
    snippet: marked ? row.snippet : snippetHtml(row.snippet),
    ...details,
    score: Math.round(-row.rank * 1000) / 1000,
    link: reportLink(row.media_id, atMs, baseUrl),
  };
}

export interface SearchOptions {
  limit?: number;
  /** Makes links absolute (the server's own address). */
  baseUrl?: string;
  /** Leave the snippet with FTS5's control-character marks (the CLI renders them for a terminal). */
  rawSnippet?: boolean;
}

/** Runs a query over the index: the best `limit` hits, best first. Throws `SearchQueryError` for a query too long. */
export function searchIndex(store: Store, query: string, options: SearchOptions = {}): SearchResult {
  const parsed = parseQuery(query);
  const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(options.limit ?? DEFAULT_LIMIT)));
  const { rows, total } = store.search.search({
    stemmed: parsed.stemmed, prefix: parsed.prefix, limit, columnWeights: COLUMN_WEIGHTS, kindWeights: KIND_WEIGHTS,
    marks: { open: OPEN, close: CLOSE }, snippetTokens: SNIPPET_TOKENS,
  });
  return { query, terms: parsed.terms, total, hits: rows.map((r) => hitOf(r, options.baseUrl ?? "", Boolean(options.rawSnippet))) };
}
