import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  compilePattern, isRetryable, makeEvent, parseEvent, type AnyPipelineEvent, type CompiledPattern, type DetailType,
  type Publish, type Route, type StageHandler, type StageName,
} from "@media-pipeline/core";
import type { Db } from "./db.js";

export interface BusOptions {
  db: Db;
  routes: readonly Route[];
  handlers: Partial<Record<StageName, StageHandler>>;
  /** Deliveries running at once (default: the number of cores). */
  workers: number;
  /** Attempts per delivery before it is dead-lettered. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt, with jitter. */
  baseBackoffMs?: number;
  account?: string;
  region?: string;
}

export interface DeliveryNotice {
  seq: number;
  route: string;
  stage: StageName;
  mediaId: string;
  attempt: number;
  status: "start" | "done" | "retry" | "dead";
  error?: string;
}

interface PendingRow { event_seq: number; route: string; attempts: number; body: string }

/**
 * The local event bus: durable and at-least-once, like EventBridge. Every event is written to SQLite
 * (with each matching route's delivery) in one transaction before anything is dispatched, so a
 * process killed at any point loses nothing: on the next start the pending deliveries run again.
 * Stage outputs are published with a dedupe key, so a stage that re-publishes after a crash does not
 * create a second event.
 *
 * Emits `event` (AnyPipelineEvent, seq), `delivery` (DeliveryNotice) and `progress`.
 */
export class DurableBus extends EventEmitter {
  private readonly compiled: Array<{ route: Route; pattern: CompiledPattern }>;
  private readonly inflight = new Set<string>();
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly insertTx;
  private readonly sql;
  private kickScheduled = false;

  constructor(private readonly opts: BusOptions) {
    super();
    this.setMaxListeners(100);
    this.compiled = opts.routes.map((route) => ({ route, pattern: compilePattern(route.pattern) }));
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.baseBackoffMs = opts.baseBackoffMs ?? 250;
    // Prepared once: preparing a statement costs more than running it on this hot path.
    this.sql = {
      due: opts.db.prepare(
        `SELECT d.event_seq, d.route, d.attempts, e.body FROM deliveries d JOIN events e ON e.seq = d.event_seq
         WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.event_seq LIMIT ?`,
      ),
      nextRetry: opts.db.prepare("SELECT min(next_at) t FROM deliveries WHERE status = 'pending' AND next_at > ?"),
      done: opts.db.prepare("UPDATE deliveries SET status = 'done', attempts = ?, updated_at = ? WHERE event_seq = ? AND route = ?"),
      retry: opts.db.prepare("UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ?, updated_at = ? WHERE event_seq = ? AND route = ?"),
      dead: opts.db.prepare("UPDATE deliveries SET status = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE event_seq = ? AND route = ?"),
      deadLetter: opts.db.prepare("INSERT INTO dead_letters (event_seq, route, attempts, error, created_at) VALUES (?, ?, ?, ?, ?)"),
      seen: opts.db.prepare("SELECT 1 FROM events WHERE dedupe_key = ?"),
      insertEvent: opts.db.prepare("INSERT INTO events (id, dedupe_key, detail_type, media_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
      insertDelivery: opts.db.prepare(
        "INSERT INTO deliveries (event_seq, route, status, attempts, next_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?)",
      ),
    };
    this.insertTx = opts.db.transaction((event: AnyPipelineEvent, dedupeKey: string | null): number | undefined => {
      // Looked up first rather than INSERT OR IGNORE: an ignored insert still consumes an
      // AUTOINCREMENT number, and the log's sequence numbers must have no gaps (they are SSE ids).
      if (dedupeKey !== null && this.sql.seen.get(dedupeKey)) return undefined;
      const res = this.sql.insertEvent.run(event.id, dedupeKey, event["detail-type"], event.detail.mediaId, JSON.stringify(event), Date.now());
      const seq = Number(res.lastInsertRowid);
      for (const { route, pattern } of this.compiled) {
        if (pattern.match(event)) this.sql.insertDelivery.run(seq, route.name, Date.now(), Date.now());
      }
      return seq;
    });
  }

  /** Publishes onto the bus: validated against the catalog, stored, then dispatched. */
  publish: Publish = async (type, detail, options) => {
    const event = makeEvent(type as DetailType, detail, {
      id: randomUUID(),
      time: new Date(),
      account: this.opts.account ?? "000000000000",
      region: this.opts.region ?? "local",
    }) as AnyPipelineEvent;
    const seq = this.insertTx.immediate(event, options?.dedupeKey ?? null);
    if (seq !== undefined) {
      this.emit("event", event, seq);
      this.kick();
    }
  };

  /** Starts dispatching, including whatever a previous process left undelivered. */
  start(): void {
    this.running = true;
    this.kick();
  }

  /** Stops taking new deliveries; running ones finish (their state is durable either way). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    while (this.inflight.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Events of one media item, in bus order. */
  eventsOf(mediaId: string): AnyPipelineEvent[] {
    const rows = this.opts.db.prepare("SELECT body FROM events WHERE media_id = ? ORDER BY seq").all(mediaId) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as AnyPipelineEvent);
  }

  /** Deliveries still owed (pending), overall or for one media item. */
  pendingCount(mediaId?: string): number {
    const sql = mediaId
      ? "SELECT count(*) n FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.status = 'pending' AND e.media_id = ?"
      : "SELECT count(*) n FROM deliveries WHERE status = 'pending'";
    const row = (mediaId ? this.opts.db.prepare(sql).get(mediaId) : this.opts.db.prepare(sql).get()) as { n: number };
    return row.n;
  }

  /** Coalesces the dispatch passes a burst of publishes and completions asks for into one. */
  private kick(): void {
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (!this.running) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const free = this.opts.workers - this.inflight.size;
    if (free <= 0) return;
    const now = Date.now();
    const rows = this.sql.due.all(now, free + this.inflight.size) as PendingRow[];
    for (const row of rows) {
      const key = `${row.event_seq}/${row.route}`;
      if (this.inflight.has(key) || this.inflight.size >= this.opts.workers) continue;
      this.inflight.add(key);
      void this.deliver(row).finally(() => {
        this.inflight.delete(key);
        this.kick();
      });
    }
    // Wake up for the earliest retry that is not due yet.
    const next = this.sql.nextRetry.get(now) as { t: number | null };
    if (next.t !== null) this.timer = setTimeout(() => this.dispatch(), Math.max(5, next.t - now));
  }

  private async deliver(row: PendingRow): Promise<void> {
    const route = this.compiled.find((c) => c.route.name === row.route)?.route;
    const attempt = row.attempts + 1;
    let event: AnyPipelineEvent | undefined;
    let stage: StageName = route?.stage ?? "probe";
    const notice = (status: DeliveryNotice["status"], error?: string) =>
      this.emit("delivery", { seq: row.event_seq, route: row.route, stage, mediaId: event?.detail.mediaId ?? "", attempt, status, ...(error ? { error } : {}) } satisfies DeliveryNotice);
    try {
      if (!route) throw new Error(`No route named "${row.route}" in this runtime's route table`);
      stage = route.stage;
      event = parseEvent(JSON.parse(row.body));
      const handler = this.opts.handlers[route.stage];
      if (!handler) throw new Error(`No handler for stage "${route.stage}"`);
      notice("start");
      const mediaId = event.detail.mediaId;
      await handler(event, {
        attempt,
        finalAttempt: attempt >= this.maxAttempts,
        progress: (fraction, note) => this.emit("progress", { mediaId, stage, fraction, note }),
      });
      this.sql.done.run(attempt, Date.now(), row.event_seq, row.route);
      notice("done");
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // Wiring and validation errors will fail the same way every time: dead-letter them at once.
      if (attempt >= this.maxAttempts || !isRetryable(error)) {
        this.opts.db.transaction(() => {
          this.sql.dead.run(attempt, message, Date.now(), row.event_seq, row.route);
          this.sql.deadLetter.run(row.event_seq, row.route, attempt, message, Date.now());
        })();
        notice("dead", message);
      } else {
        const delay = this.baseBackoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        this.sql.retry.run(attempt, Date.now() + Math.round(delay), message, Date.now(), row.event_seq, row.route);
        notice("retry", message);
      }
    }
  }
}
