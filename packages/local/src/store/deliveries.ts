import { statements, type Db } from "./db.js";

/** A delivery that is due, with its event's stored body. */
export interface DueDelivery { event_seq: number; route: string; attempts: number; body: string; media_id: string | null }

/** A dead letter row joined with its event's media id and detail-type. */
export interface DeadLetterRow {
  id: number; event_seq: number; route: string; attempts: number; error: string; created_at: number; redriven_at: number | null;
  media_id: string | null; detail_type: string;
}

export type DeliveryStatus = "pending" | "done" | "dead";

/**
 * Deliveries of logged events to routes (`deliveries`), and the dead letters (`dead_letters`) of
 * those that failed for good. The bus drives them; `dlq`, `replay` and the runtime read them.
 */
export class Deliveries {
  private readonly sql;
  private readonly deadTx;

  constructor(db: Db) {
    this.sql = statements(db, {
      due: `SELECT d.event_seq, d.route, d.attempts, e.body, e.media_id FROM deliveries d JOIN events e ON e.seq = d.event_seq
        WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.event_seq LIMIT ?`,
      nextRetry: "SELECT min(next_at) t FROM deliveries WHERE status = 'pending' AND next_at > ?",
      done: "UPDATE deliveries SET status = 'done', attempts = ?, updated_at = ? WHERE event_seq = ? AND route = ?",
      retry: "UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ?, updated_at = ? WHERE event_seq = ? AND route = ?",
      dead: "UPDATE deliveries SET status = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE event_seq = ? AND route = ?",
      deadLetter: "INSERT INTO dead_letters (event_seq, route, attempts, error, created_at) VALUES (?, ?, ?, ?, ?)",
      pending: "SELECT count(*) n FROM deliveries WHERE status = 'pending'",
      pendingOf: "SELECT count(*) n FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.status = 'pending' AND e.media_id = ?",
      status: "SELECT status, last_error FROM deliveries WHERE event_seq = ? AND route = ?",
      replay: `INSERT INTO deliveries (event_seq, route, status, attempts, next_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?)
        ON CONFLICT (event_seq, route) DO UPDATE SET status = 'pending', attempts = 0, next_at = excluded.next_at, last_error = NULL,
          updated_at = excluded.updated_at WHERE deliveries.status = 'done'`,
      anyDead: "SELECT d.route, d.last_error FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.media_id = ? AND d.status = 'dead' LIMIT 1",
      latestDead: `SELECT d.route, d.last_error FROM deliveries d JOIN events e ON e.seq = d.event_seq
        WHERE e.media_id = ? AND d.status = 'dead' ORDER BY d.updated_at DESC LIMIT 1`,
      deadLetters: `SELECT d.id, d.event_seq, d.route, d.attempts, d.error, d.created_at, d.redriven_at, e.media_id, e.detail_type
        FROM dead_letters d JOIN events e ON e.seq = d.event_seq WHERE d.redriven_at IS NULL ORDER BY d.id`,
      allDeadLetters: `SELECT d.id, d.event_seq, d.route, d.attempts, d.error, d.created_at, d.redriven_at, e.media_id, e.detail_type
        FROM dead_letters d JOIN events e ON e.seq = d.event_seq ORDER BY d.id`,
      requeueDead: "UPDATE deliveries SET status = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE event_seq = ? AND route = ?",
      markRedriven: "UPDATE dead_letters SET redriven_at = ? WHERE id = ?",
    });
    this.deadTx = db.transaction((seq: number, route: string, attempt: number, error: string) => {
      this.sql.dead.run(attempt, error, Date.now(), seq, route);
      this.sql.deadLetter.run(seq, route, attempt, error, Date.now());
    });
  }

  /** Pending deliveries due at `now`, earliest first, at most `limit`. */
  due(now: number, limit: number): DueDelivery[] {
    return this.sql.due.all(now, limit) as DueDelivery[];
  }

  /** When the earliest pending delivery not yet due at `now` falls due. */
  nextRetryAt(now: number): number | undefined {
    return (this.sql.nextRetry.get(now) as { t: number | null }).t ?? undefined;
  }

  markDone(seq: number, route: string, attempt: number): void {
    this.sql.done.run(attempt, Date.now(), seq, route);
  }

  scheduleRetry(seq: number, route: string, attempt: number, nextAt: number, error: string): void {
    this.sql.retry.run(attempt, nextAt, error, Date.now(), seq, route);
  }

  /** Marks the delivery dead and files its dead letter, in one transaction. */
  deadLetter(seq: number, route: string, attempt: number, error: string): void {
    this.deadTx(seq, route, attempt, error);
  }

  /** Deliveries still owed (pending), overall or for one media item. */
  pendingCount(mediaId?: string): number {
    const row = (mediaId === undefined ? this.sql.pending.get() : this.sql.pendingOf.get(mediaId)) as { n: number };
    return row.n;
  }

  /** Where one delivery stands, or undefined when there is none. */
  status(seq: number, route: string): { status: DeliveryStatus; lastError: string | null } | undefined {
    const row = this.sql.status.get(seq, route) as { status: DeliveryStatus; last_error: string | null } | undefined;
    return row && { status: row.status, lastError: row.last_error };
  }

  /** Makes a delivery pending again for a replay: a new one, or a done one reset; a pending or dead one is left. */
  replay(seq: number, route: string, now: number): void {
    this.sql.replay.run(seq, route, now, now);
  }

  /** One dead delivery of the media item (any), with its route and last error. */
  anyDead(mediaId: string): { route: string; lastError: string } | undefined {
    return this.deadOf(this.sql.anyDead.get(mediaId));
  }

  /** The media item's most recently dead delivery. */
  latestDead(mediaId: string): { route: string; lastError: string } | undefined {
    return this.deadOf(this.sql.latestDead.get(mediaId));
  }

  private deadOf(row: unknown): { route: string; lastError: string } | undefined {
    const r = row as { route: string; last_error: string } | undefined;
    return r && { route: r.route, lastError: r.last_error };
  }

  /** Dead letters, oldest first; by default only those not yet redriven. */
  deadLetters(options: { all?: boolean } = {}): DeadLetterRow[] {
    return (options.all ? this.sql.allDeadLetters : this.sql.deadLetters).all() as DeadLetterRow[];
  }

  /** Puts a dead delivery back as pending with its attempts reset, and marks its dead letter redriven. */
  redrive(letterId: number, seq: number, route: string, now: number): void {
    this.sql.requeueDead.run(now, now, seq, route);
    this.sql.markRedriven.run(now, letterId);
  }
}
