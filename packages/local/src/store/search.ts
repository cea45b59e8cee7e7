import { statements, type Db, type Statement } from "./db.js";

/*
 * The search index's tables (migration 5): one row per searchable unit (`search_entries`), two FTS5
 * indexes over it (`search_fts`, stemmed; `search_prefix`, as typed), what each media item is called
 * and where its flow stands (`search_media`), which event each part of a media item was indexed from
 * (`search_sources`), and how far the indexer has read the event log (`search_cursor`). Everything
 * here is derived from the event log and the documents it points at, so all of it can be rebuilt.
 */

/** What a hit is: a transcript segment, a line of text shown, a label, a chapter, the media's summary or a scene's. */
export type SearchKind = "transcript" | "text" | "label" | "chapter" | "summary" | "scene";

/** One searchable unit as the indexer writes it. */
export interface SearchEntry {
  kind: SearchKind;
  startMs: number;
  endMs: number;
  /** The unit's name, when it has one (a chapter title, a label name, the media's topics); weighted above the body. */
  title: string;
  body: string;
  /** Kind-specific details kept as JSON (word times, label ranges, the speaker). */
  extra?: unknown;
}

/** A matching entry with its media item's facts and FTS5's rank, snippet and highlighted body. */
export interface SearchRow {
  id: number;
  media_id: string;
  kind: SearchKind;
  start_ms: number;
  end_ms: number;
  title: string;
  body: string;
  extra: string | null;
  filename: string | null;
  status: string | null;
  rank: number;
  /** The best part of the whole text (title and body), marked. */
  snippet: string;
  /** The whole text (title and body), marked: for a transcript, its body. */
  marked_text: string;
}

/** A query as the store runs it: FTS5 expressions already made safe (search/query.ts), and the weights. */
export interface SearchStatement {
  /** Matched against the stemmed index: words and phrases. */
  stemmed: string | null;
  /** Matched against the index as typed: terms ending in `*`. */
  prefix: string | null;
  limit: number;
  /** bm25 weights of the title column and of the whole text (title and body). */
  columnWeights: { title: number; fullText: number };
  /** A multiplier per kind (JSON object `{ "transcript": 1, … }`); kinds not named count 1. */
  kindWeights: Readonly<Record<string, number>>;
  /** Put around each matched token in `snippet` and `marked_text`. */
  marks: { open: string; close: string };
  /** Tokens in a snippet. */
  snippetTokens: number;
}

/** A part of a media item: the event type it comes from, its seq, and the entries made of its document. */
export interface SourceWrite {
  mediaId: string;
  /** The document a set of entries was made from (`transcript`, `labels`, …): a new one replaces them all. */
  source: string;
  seq: number;
  entries: readonly SearchEntry[];
}

const SQL = {
  cursor: "SELECT seq FROM search_cursor WHERE id = 1",
  moveCursor: "INSERT INTO search_cursor (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
  sourceSeq: "SELECT event_seq FROM search_sources WHERE media_id = ? AND source = ?",
  putSource: `INSERT INTO search_sources (media_id, source, event_seq, indexed_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (media_id, source) DO UPDATE SET event_seq = excluded.event_seq, indexed_at = excluded.indexed_at`,
  deleteEntries: "DELETE FROM search_entries WHERE media_id = ? AND source = ?",
  insertEntry: `INSERT INTO search_entries (media_id, source, kind, start_ms, end_ms, title, body, extra)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  media: "INSERT INTO search_media (media_id) VALUES (?) ON CONFLICT (media_id) DO NOTHING",
  filename: "UPDATE search_media SET filename = ?, filename_seq = ? WHERE media_id = ? AND filename_seq <= ?",
  status: "UPDATE search_media SET status = ?, status_seq = ?, duration_ms = coalesce(?, duration_ms) WHERE media_id = ? AND status_seq <= ?",
  forgetEntries: "DELETE FROM search_entries WHERE media_id = ?",
  forgetSources: "DELETE FROM search_sources WHERE media_id = ?",
  forgetMedia: "DELETE FROM search_media WHERE media_id = ?",
  entriesOf: "SELECT kind, count(*) n FROM search_entries WHERE media_id = ? GROUP BY kind ORDER BY kind",
  stats: "SELECT (SELECT count(*) FROM search_media) media, (SELECT count(*) FROM search_entries) entries",
  hasTables: "SELECT count(*) n FROM sqlite_master WHERE name IN ('search_entries', 'search_fts', 'search_prefix', 'search_cursor')",
};

/**
 * The search index (`search_*`). Writes replace a media item's part as a whole, in one transaction, and
 * only with an event at least as new as the one it holds: a re-delivered or replayed older event
 * never overwrites what a newer one wrote, and the same event written twice leaves one copy.
 */
export class SearchIndexTables {
  private readonly sql;
  private readonly writeTx;
  private readonly queries = new Map<string, { rows: Statement; count: Statement }>();

  constructor(private readonly db: Db) {
    this.sql = statements(db, SQL);
    this.writeTx = db.transaction((w: SourceWrite): boolean => {
      const held = this.sql.sourceSeq.get(w.mediaId, w.source) as { event_seq: number } | undefined;
      if (held && held.event_seq > w.seq) return false;
      this.sql.media.run(w.mediaId);
      this.sql.deleteEntries.run(w.mediaId, w.source);
      for (const e of w.entries) {
        this.sql.insertEntry.run(w.mediaId, w.source, e.kind, e.startMs, e.endMs, e.title, e.body, e.extra === undefined ? null : JSON.stringify(e.extra));
      }
      this.sql.putSource.run(w.mediaId, w.source, w.seq, Date.now());
      return true;
    });
  }

  /** Whether this database has the index (a read-only connection to an older database may not). */
  exists(): boolean {
    return (this.sql.hasTables.get() as { n: number }).n === 4;
  }

  /** Events up to this seq have been indexed (0: none yet). */
  cursor(): number {
    return (this.sql.cursor.get() as { seq: number } | undefined)?.seq ?? 0;
  }

  moveCursor(seq: number): void {
    this.sql.moveCursor.run(seq);
  }

  /**
   * Replaces the media item's entries from `source` with `entries`, unless an event newer than `seq`
   * wrote them; true when written.
   */
  replace(write: SourceWrite): boolean {
    return this.writeTx.immediate(write);
  }

  /** Records the media item's file name, as of event `seq` (an older event changes nothing). */
  noteFilename(mediaId: string, filename: string, seq: number): void {
    this.sql.media.run(mediaId);
    this.sql.filename.run(filename, seq, mediaId, seq);
  }

  /** Records where the media item's flow stands, as of event `seq` (an older event changes nothing). */
  noteStatus(mediaId: string, status: string, seq: number, durationMs?: number): void {
    this.sql.media.run(mediaId);
    this.sql.status.run(status, seq, durationMs ?? null, mediaId, seq);
  }

  /** Removes everything indexed of one media item. */
  forget(mediaId: string): void {
    this.db.transaction(() => {
      this.sql.forgetEntries.run(mediaId);
      this.sql.forgetSources.run(mediaId);
      this.sql.forgetMedia.run(mediaId);
    }).immediate();
  }

  /** How many entries of each kind the media item has in the index. */
  countsOf(mediaId: string): Partial<Record<SearchKind, number>> {
    return Object.fromEntries((this.sql.entriesOf.all(mediaId) as Array<{ kind: SearchKind; n: number }>).map((r) => [r.kind, r.n]));
  }

  stats(): { media: number; entries: number } {
    return this.sql.stats.get() as { media: number; entries: number };
  }

  /**
   * The best-ranked matches (lowest rank first: FTS5's bm25 is negative, better matches further below
   * zero) and how many match in all. With both a stemmed and a prefix part, the stemmed index ranks and
   * the prefix index filters; with only one, that one does both.
   */
  search(q: SearchStatement): { rows: SearchRow[]; total: number } {
    if (q.stemmed === null && q.prefix === null) return { rows: [], total: 0 };
    const { rows, count } = this.queryFor(q.stemmed !== null, q.prefix !== null);
    const params = {
      stemmed: q.stemmed, prefix: q.prefix, limit: q.limit, open: q.marks.open, close: q.marks.close, tokens: q.snippetTokens,
      titleWeight: q.columnWeights.title, fullTextWeight: q.columnWeights.fullText, kindWeights: JSON.stringify(q.kindWeights),
    };
    const bind = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, params[k as keyof typeof params]]));
    const matchKeys = [...(q.stemmed !== null ? ["stemmed"] : []), ...(q.prefix !== null ? ["prefix"] : [])];
    return {
      rows: rows.all(bind([...matchKeys, "limit", "open", "close", "tokens", "titleWeight", "fullTextWeight", "kindWeights"])) as SearchRow[],
      total: (count.get(bind(matchKeys)) as { n: number }).n,
    };
  }

  private queryFor(stemmed: boolean, prefix: boolean): { rows: Statement; count: Statement } {
    const key = `${stemmed}/${prefix}`;
    let q = this.queries.get(key);
    if (!q) {
      const fts = stemmed ? "search_fts" : "search_prefix";
      const where = [
        `${fts} MATCH ${stemmed ? "@stemmed" : "@prefix"}`,
        ...(stemmed && prefix ? ["search_fts.rowid IN (SELECT rowid FROM search_prefix WHERE search_prefix MATCH @prefix)"] : []),
      ].join(" AND ");
      q = {
        rows: this.db.prepare(`
SELECT e.id, e.media_id, e.kind, e.start_ms, e.end_ms, e.title, e.body, e.extra, m.filename, m.status,
  bm25(${fts}, @titleWeight, @fullTextWeight) * coalesce(json_extract(@kindWeights, '$.' || e.kind), 1.0) AS rank,
  snippet(${fts}, 1, @open, @close, '…', @tokens) AS snippet,
  highlight(${fts}, 1, @open, @close) AS marked_text
FROM ${fts} JOIN search_entries e ON e.id = ${fts}.rowid LEFT JOIN search_media m ON m.media_id = e.media_id
WHERE ${where}
ORDER BY rank, e.media_id, e.start_ms, e.id
LIMIT @limit`),
        count: this.db.prepare(`SELECT count(*) n FROM ${fts} WHERE ${where}`),
      };
      this.queries.set(key, q);
    }
    return q;
  }
}
