import type { AnyPipelineEvent } from "@media-pipeline/core";
import { marks, statements, type Db, type Statement } from "./db.js";

/** One stored event: its position in the log (`seq`, the SSE id) and its EventBridge-shaped JSON. */
export interface EventRow { seq: number; body: string }

/**
 * The durable event log (`events`). Appending an event also queues its deliveries, in the same
 * transaction, so a process killed at any point either has the event with all its deliveries or
 * neither.
 */
export class EventLog {
  private readonly sql;
  private readonly appendTx;
  private readonly byTypes = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.sql = statements(db, {
      seen: "SELECT 1 FROM events WHERE dedupe_key = ?",
      insert: "INSERT INTO events (id, dedupe_key, detail_type, media_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      insertDelivery: "INSERT INTO deliveries (event_seq, route, status, attempts, next_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?)",
      ofMedia: "SELECT seq, body FROM events WHERE media_id = ? ORDER BY seq",
      page: "SELECT seq, body FROM events WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?",
      lastSeq: "SELECT coalesce(max(seq), 0) AS m FROM events",
      typesAfter: "SELECT seq, detail_type type FROM events WHERE media_id = ? AND seq > ? ORDER BY seq",
    });
    this.appendTx = db.transaction((event: AnyPipelineEvent, dedupeKey: string | null, routes: readonly string[]): number | undefined => {
      // Looked up first rather than INSERT OR IGNORE: an ignored insert still consumes an
      // AUTOINCREMENT number, and the log's sequence numbers must have no gaps (they are SSE ids).
      if (dedupeKey !== null && this.sql.seen.get(dedupeKey)) return undefined;
      const res = this.sql.insert.run(event.id, dedupeKey, event["detail-type"], event.detail.mediaId, JSON.stringify(event), Date.now());
      const seq = Number(res.lastInsertRowid);
      for (const route of routes) this.sql.insertDelivery.run(seq, route, Date.now(), Date.now());
      return seq;
    });
  }

  /**
   * Appends the event with a pending delivery to each of `routes`; returns its seq, or undefined when
   * an event with the same `dedupeKey` is in the log already (then nothing is written).
   */
  append(event: AnyPipelineEvent, dedupeKey: string | null, routes: readonly string[]): number | undefined {
    return this.appendTx.immediate(event, dedupeKey, routes);
  }

  /** The events of one media item, in log order. */
  ofMedia(mediaId: string): EventRow[] {
    return this.sql.ofMedia.all(mediaId) as EventRow[];
  }

  /** Events with `after < seq < before`, in order, at most `limit`. */
  page(after: number, before: number, limit: number): EventRow[] {
    return this.sql.page.all(after, before, limit) as EventRow[];
  }

  /** The seq of the last event in the log (0 when empty). */
  lastSeq(): number {
    return (this.sql.lastSeq.get() as { m: number }).m;
  }

  /** The media item's events after `seq`: their seq and detail-type. */
  typesAfter(mediaId: string, seq: number): Array<{ seq: number; type: string }> {
    return this.sql.typesAfter.all(mediaId, seq) as Array<{ seq: number; type: string }>;
  }

  /** The media item's first event of one of `types` (parsed, not validated), or undefined. */
  first(mediaId: string, types: readonly string[]): AnyPipelineEvent | undefined {
    return this.findOf(mediaId, types, "ASC");
  }

  /** The media item's latest event of one of `types` (parsed, not validated), or undefined. */
  latest(mediaId: string, types: readonly string[]): AnyPipelineEvent | undefined {
    return this.findOf(mediaId, types, "DESC");
  }

  private findOf(mediaId: string, types: readonly string[], order: "ASC" | "DESC"): AnyPipelineEvent | undefined {
    const key = `${order}/${types.length}`;
    let statement = this.byTypes.get(key);
    if (!statement) {
      statement = this.db.prepare(`SELECT body FROM events WHERE media_id = ? AND detail_type IN (${marks(types.length)}) ORDER BY seq ${order} LIMIT 1`);
      this.byTypes.set(key, statement);
    }
    const row = statement.get(mediaId, ...types) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as AnyPipelineEvent) : undefined;
  }
}
