import { statements, type Db } from "./db.js";

export interface SubscriptionRow { id: string; url: string; pattern: string; secret: string; cursor_seq: number; created_at: number }

/** The earliest pending delivery of one subscription, with what sending it needs. */
export interface WebhookHeadRow { sid: string; seq: number; attempts: number; next_at: number; url: string; secret: string; body: string }

export interface WebhookDeadRow { seq: number; attempts: number; last_status: number | null; last_error: string; updated_at: number; body: string }

/** Webhook subscriptions (`webhook_subscriptions`) and their delivery queues (`webhook_deliveries`). */
export class WebhookStore {
  private readonly sql;
  constructor(db: Db) {
    this.sql = statements(db, {
      all: "SELECT * FROM webhook_subscriptions",
      ordered: "SELECT * FROM webhook_subscriptions ORDER BY created_at, id",
      find: "SELECT * FROM webhook_subscriptions WHERE id = ?",
      create: "INSERT INTO webhook_subscriptions (id, url, pattern, secret, cursor_seq, created_at) VALUES (@id, @url, @pattern, @secret, @cursor_seq, @created_at)",
      remove: "DELETE FROM webhook_subscriptions WHERE id = ?",
      counts: "SELECT status, count(*) n FROM webhook_deliveries WHERE subscription_id = ? GROUP BY status",
      queue: "INSERT OR IGNORE INTO webhook_deliveries (subscription_id, event_seq, status, attempts, next_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?)",
      cursor: "UPDATE webhook_subscriptions SET cursor_seq = ? WHERE id = ?",
      heads: `SELECT s.id sid, d.event_seq seq, d.attempts, d.next_at, s.url, s.secret, e.body FROM webhook_subscriptions s
        JOIN webhook_deliveries d ON d.subscription_id = s.id AND d.event_seq =
          (SELECT min(event_seq) FROM webhook_deliveries WHERE subscription_id = s.id AND status = 'pending')
        JOIN events e ON e.seq = d.event_seq`,
      done: "UPDATE webhook_deliveries SET status = 'done', attempts = ?, last_status = ?, last_error = NULL, updated_at = ? WHERE subscription_id = ? AND event_seq = ?",
      retry: "UPDATE webhook_deliveries SET attempts = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE subscription_id = ? AND event_seq = ?",
      dead: "UPDATE webhook_deliveries SET status = 'dead', attempts = ?, last_status = ?, last_error = ?, updated_at = ? WHERE subscription_id = ? AND event_seq = ?",
      deadOf: `SELECT d.event_seq seq, d.attempts, d.last_status, d.last_error, d.updated_at, e.body FROM webhook_deliveries d
        JOIN events e ON e.seq = d.event_seq WHERE d.subscription_id = ? AND d.status = 'dead' ORDER BY d.event_seq`,
      redrive: "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE subscription_id = ? AND status = 'dead'",
    });
  }

  /** Every subscription, oldest first when `ordered`. */
  subscriptions(options: { ordered?: boolean } = {}): SubscriptionRow[] {
    return (options.ordered ? this.sql.ordered : this.sql.all).all() as SubscriptionRow[];
  }

  find(id: string): SubscriptionRow | undefined {
    return this.sql.find.get(id) as SubscriptionRow | undefined;
  }

  create(row: SubscriptionRow): void {
    this.sql.create.run(row);
  }

  /** Deletes the subscription and (cascading) its queue; false when there was none. */
  remove(id: string): boolean {
    return this.sql.remove.run(id).changes > 0;
  }

  /** Deliveries of the subscription per status. */
  counts(id: string): { pending: number; done: number; dead: number } {
    const rows = this.sql.counts.all(id) as Array<{ status: string; n: number }>;
    const n = (status: string) => rows.find((c) => c.status === status)?.n ?? 0;
    return { pending: n("pending"), done: n("done"), dead: n("dead") };
  }

  /** Queues the event for the subscription (once: queueing it again does nothing). */
  queue(id: string, seq: number, now: number): void {
    this.sql.queue.run(id, seq, now, now);
  }

  /** Events up to `seq` have been matched against the subscription's pattern. */
  moveCursor(id: string, seq: number): void {
    this.sql.cursor.run(seq, id);
  }

  /** Each subscription's earliest pending delivery: a later event waits while an earlier one is retried. */
  heads(): WebhookHeadRow[] {
    return this.sql.heads.all() as WebhookHeadRow[];
  }

  markDone(id: string, seq: number, attempt: number, httpStatus: number | null): void {
    this.sql.done.run(attempt, httpStatus, Date.now(), id, seq);
  }

  scheduleRetry(id: string, seq: number, attempt: number, nextAt: number, httpStatus: number | null, error: string): void {
    this.sql.retry.run(attempt, nextAt, httpStatus, error, Date.now(), id, seq);
  }

  markDead(id: string, seq: number, attempt: number, httpStatus: number | null, error: string): void {
    this.sql.dead.run(attempt, httpStatus, error, Date.now(), id, seq);
  }

  /** The subscription's dead deliveries, in event order, with each event's body. */
  deadOf(id: string): WebhookDeadRow[] {
    return this.sql.deadOf.all(id) as WebhookDeadRow[];
  }

  /** Puts every dead delivery of the subscription back in its queue, attempts reset; returns how many. */
  redriveDead(id: string, now: number): number {
    return this.sql.redrive.run(now, now, id).changes;
  }
}
