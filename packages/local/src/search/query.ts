import { MediaPipelineError } from "@media-pipeline/core";

/*
 * What a person types into a safe FTS5 query. The syntax offered is small: words (all must match),
 * "quoted phrases", and a trailing `*` for a prefix. Every term goes to FTS5 as a string literal
 * ("…" with any `"` doubled), so nothing typed can be read as FTS5 syntax: not AND/OR/NOT/NEAR, not
 * parentheses, `^`, `+`, `-` or a `column:` filter. The only syntax we write ourselves is the `*`
 * after a literal. Terms with no letter or digit are dropped (FTS5 would find no token in them).
 */

/** A query too long to be a search (and too costly to run as one). */
export class SearchQueryError extends MediaPipelineError {}

export const MAX_QUERY_CHARS = 500;
export const MAX_QUERY_TERMS = 32;

export interface QueryTerm {
  /** What the term matches, as typed (without quotes or the trailing `*`). */
  text: string;
  phrase: boolean;
  prefix: boolean;
}

export interface ParsedQuery {
  terms: QueryTerm[];
  /** For the stemmed index: the words and phrases, ANDed; null when there are none. */
  stemmed: string | null;
  /** For the index as typed: the prefix terms, ANDed; null when there are none. */
  prefix: string | null;
}

const HAS_TOKEN = /[\p{L}\p{N}\p{Co}]/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** An FTS5 string literal: always a phrase of plain tokens, whatever it contains. */
const literal = (text: string): string => `"${text.replace(/"/g, '""')}"`;

const ftsOf = (term: QueryTerm): string => `${literal(term.text)}${term.prefix ? "*" : ""}`;

/**
 * Parses a query. Throws `SearchQueryError` beyond MAX_QUERY_CHARS characters or MAX_QUERY_TERMS
 * terms; anything else parses, to no terms at worst (`*`, `-`, `""`).
 * @example parseQuery('budget "next year" hir*') // stemmed: '"budget" "next year"', prefix: '"hir"*'
 */
export function parseQuery(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_CHARS) throw new SearchQueryError(`A query is at most ${MAX_QUERY_CHARS} characters; this one has ${input.length}`);
  const text = input.normalize("NFC").replace(CONTROL, " ");
  const terms: QueryTerm[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      // A phrase runs to the next quote (or the end, if the quote is never closed).
      const close = text.indexOf('"', i + 1);
      const end = close === -1 ? text.length : close;
      const body = text.slice(i + 1, end).trim();
      i = end + 1;
      const prefix = close !== -1 && text[i] === "*";
      while (text[i] === "*") i++;
      terms.push({ text: body.replace(/\s+/g, " "), phrase: true, prefix });
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/.test(text[end]!) && text[end] !== '"') end++;
    const word = text.slice(i, end);
    i = end;
    const stripped = word.replace(/\*+$/, "");
    terms.push({ text: stripped, phrase: false, prefix: stripped.length < word.length });
  }
  const kept: QueryTerm[] = [];
  for (const t of terms) {
    if (!HAS_TOKEN.test(t.text)) continue;
    if (kept.some((k) => k.text === t.text && k.phrase === t.phrase && k.prefix === t.prefix)) continue;
    kept.push(t);
  }
  if (kept.length > MAX_QUERY_TERMS) throw new SearchQueryError(`A query has at most ${MAX_QUERY_TERMS} terms; this one has ${kept.length}`);
  const join = (ts: QueryTerm[]) => (ts.length > 0 ? ts.map(ftsOf).join(" ") : null);
  return { terms: kept, stemmed: join(kept.filter((t) => !t.prefix)), prefix: join(kept.filter((t) => t.prefix)) };
}
