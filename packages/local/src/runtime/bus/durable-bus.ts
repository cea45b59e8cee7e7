import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  compilePattern, isRetryable, makeEvent, NonRetryableError, parseEvent, RetryableError,
  type AnyPipelineEvent, type CompiledPattern, type DetailType, type Publish, type Route, type StageHandler, type StageName,
} from "@media-pipeline/core";
import { storeFor, type Db, type DueDelivery, type Store } from "../../store/index.js";
import { listDeadLetters, redriveDeadLetters, type DeadLetter, type Redriven } from "./dead-letters.js";
import { describeBusFault, inDelivery, messageOf } from "./delivery-scope.js";

/** An event row that can never be delivered: its body is not JSON, or it does not match the catalog. */
export class PoisonEventError extends NonRetryableError {}

export interface BusOptions {
  /** The runtime's database (openDb); the bus reads and writes it through its store. */
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
  /** The deadline (ms) of one delivery of `stage` for `event` (e.g. scaled to the media's duration); undefined: the stage's own. */
  timeoutFor?: (stage: StageName, event: AnyPipelineEvent) => number | undefined;
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

/** First and longest wait before trying again a delivery whose outcome could not be recorded. */
const HOLD_BASE_MS = 250;
const HOLD_MAX_MS = 10_000;

/**
 * The local event bus: durable and at-least-once, like EventBridge. Every event is written to SQLite
 * (with each matching route's delivery) in one transaction before anything is dispatched, so a
 * process killed at any point loses nothing: on the next start the pending deliveries run again.
 * Stage outputs are published with a dedupe key, so a stage that re-publishes after a crash does not
 * create a second event.
 *
 * Emits `event` (AnyPipelineEvent, seq), `delivery` (DeliveryNotice), `progress`, and `fault` (the
 * database could not be read for a dispatch pass; the bus tries again shortly).
 *
 * Faults: a handler gets a deadline (`timeoutFor`) and a signal that aborts when it returns or
 * throws; an event row that cannot be parsed is dead-lettered at once; when a delivery's outcome
 * cannot be written (a full disk, a lock held past busy_timeout) its row stays pending and it runs
 * again after a backoff, so nothing is lost and nothing crashes.
 */
export class DurableBus extends EventEmitter {
  private readonly compiled: Array<{ route: Route; pattern: CompiledPattern }>;
  private readonly inflight = new Set<string>();
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly store: Store;
  private kickScheduled = false;
  /**
   * Deliveries whose outcome could not be written (a full disk, a lock held past busy_timeout): their
   * rows are still pending, so nothing is lost, and they wait here, in memory, before running again.
   */
  private readonly held = new Map<string, { until: number; failures: number }>();

  constructor(private readonly opts: BusOptions) {
    super();
    this.setMaxListeners(100);
    this.compiled = opts.routes.map((route) => ({ route, pattern: compilePattern(route.pattern) }));
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.baseBackoffMs = opts.baseBackoffMs ?? 250;
    this.store = storeFor(opts.db);
  }

  /** Publishes onto the bus: validated against the catalog, stored, then dispatched. */
  publish: Publish = async (type, detail, options) => {
    const event = makeEvent(type as DetailType, detail, {
      id: randomUUID(),
      time: new Date(),
      account: this.opts.account ?? "000000000000",
      region: this.opts.region ?? "local",
    }) as AnyPipelineEvent;
    // Matched before the transaction: matching is pure, and the write lock is held no longer than the writes.
    const routes = this.compiled.filter(({ pattern }) => pattern.match(event)).map(({ route }) => route.name);
    const seq = this.store.events.append(event, options?.dedupeKey ?? null, routes);
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
    return this.store.events.ofMedia(mediaId).map((r) => JSON.parse(r.body) as AnyPipelineEvent);
  }

  /** Deliveries still owed (pending), overall or for one media item. */
  pendingCount(mediaId?: string): number {
    return this.store.deliveries.pendingCount(mediaId);
  }

  /** Looks for due deliveries now (after rows were changed behind the bus's back, as a replay does). */
  wake(): void {
    this.kick();
  }

  /** This bus's dead letters, oldest first; by default only those not yet redriven. */
  deadLetters(options: { all?: boolean } = {}): DeadLetter[] {
    return listDeadLetters(this.store, { ...options, routes: this.opts.routes });
  }

  /**
   * Puts dead-lettered deliveries back on the bus: the given ids, or every one not yet redriven. Each
   * delivery becomes pending with its attempts reset, and a stage its failure settled as failed is
   * given back so that it runs again. Throws `DeadLetterNotFoundError` for an unknown or redriven id.
   */
  redrive(ids?: readonly number[]): Redriven[] {
    const redriven = redriveDeadLetters(this.store, this.opts.routes, ids);
    this.kick();
    return redriven;
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
    let wakeAt: number | undefined;
    try {
      const rows = this.store.deliveries.due(now, free + this.inflight.size + this.held.size);
      for (const row of rows) {
        const key = `${row.event_seq}/${row.route}`;
        if (this.inflight.has(key) || this.inflight.size >= this.opts.workers) continue;
        const hold = this.held.get(key);
        if (hold && hold.until > now) continue;
        this.inflight.add(key);
        void this.deliver(row).finally(() => {
          this.inflight.delete(key);
          this.kick();
        });
      }
      // Wake up for the earliest retry that is not due yet.
      wakeAt = this.store.deliveries.nextRetryAt(now);
    } catch (error) {
      // The database could not be read (a lock, a failing disk): try again shortly rather than stop.
      this.emit("fault", describeBusFault(error));
      wakeAt = now + HOLD_BASE_MS;
    }
    for (const { until } of this.held.values()) if (until > now && (wakeAt === undefined || until < wakeAt)) wakeAt = until;
    if (wakeAt !== undefined) this.timer = setTimeout(() => this.dispatch(), Math.max(5, wakeAt - now));
  }

  /** Keeps a delivery whose outcome could not be recorded out of dispatch for a while, backing off. */
  private hold(key: string): void {
    const failures = (this.held.get(key)?.failures ?? 0) + 1;
    const delay = Math.min(HOLD_MAX_MS, HOLD_BASE_MS * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5);
    this.held.set(key, { until: Date.now() + Math.round(delay), failures });
  }

  private async deliver(row: DueDelivery): Promise<void> {
    const key = `${row.event_seq}/${row.route}`;
    const route = this.compiled.find((c) => c.route.name === row.route)?.route;
    const attempt = row.attempts + 1;
    let event: AnyPipelineEvent | undefined;
    let stage: StageName = route?.stage ?? "probe";
    const notice = (status: DeliveryNotice["status"], error?: string) =>
      this.emit("delivery", { seq: row.event_seq, route: row.route, stage, mediaId: event?.detail.mediaId ?? row.media_id ?? "", attempt, status, ...(error ? { error } : {}) } satisfies DeliveryNotice);
    // Aborted when the handler returns or throws: whatever engine work it started ends with it.
    const scope = new AbortController();
    let outcome: { ok: true } | { ok: false; error: unknown };
    try {
      // Wiring errors and poison events fail the same way every time: non-retryable, dead-lettered at once.
      if (!route) throw new NonRetryableError(`No route named "${row.route}" in this runtime's route table`);
      stage = route.stage;
      event = this.parse(row);
      const handler = this.opts.handlers[route.stage];
      if (!handler) throw new NonRetryableError(`No handler for stage "${route.stage}"`);
      notice("start");
      const mediaId = event.detail.mediaId;
      const timeoutMs = this.opts.timeoutFor?.(stage, event);
      const ctx = {
        attempt,
        finalAttempt: attempt >= this.maxAttempts,
        progress: (fraction: number, note?: string) => this.emit("progress", { mediaId, stage, fraction, note }),
        signal: scope.signal,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      };
      await inDelivery(scope.signal, () => handler(event!, ctx));
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, error: describeBusFault(error) };
    } finally {
      scope.abort(new RetryableError(`the delivery of event #${row.event_seq} to ${row.route} ended`));
    }
    try {
      this.record(row, attempt, outcome, notice);
      this.held.delete(key);
    } catch (error) {
      // The outcome could not be written (disk full, lock held past busy_timeout). The row is still
      // pending, so the delivery is not lost: it runs again after a backoff, and a stage that
      // finished meanwhile does not run twice (it publishes its stored output only if it never was).
      this.hold(key);
      const why = messageOf(describeBusFault(error));
      const what = outcome.ok ? why : `${messageOf(outcome.error)}; and its outcome could not be recorded: ${why}`;
      notice("retry", what);
    }
  }

  private parse(row: DueDelivery): AnyPipelineEvent {
    let raw: unknown;
    try {
      raw = JSON.parse(row.body);
    } catch (cause) {
      throw new PoisonEventError(`poison event #${row.event_seq}: its stored body is not JSON (${(cause as Error).message})`, { cause });
    }
    try {
      return parseEvent(raw);
    } catch (cause) {
      throw new PoisonEventError(`poison event #${row.event_seq}: it does not match the event catalog: ${(cause as Error).message}`, { cause });
    }
  }

  private record(row: DueDelivery, attempt: number, outcome: { ok: true } | { ok: false; error: unknown }, notice: (status: DeliveryNotice["status"], error?: string) => void): void {
    if (outcome.ok) {
      this.store.deliveries.markDone(row.event_seq, row.route, attempt);
      notice("done");
      return;
    }
    const { error } = outcome;
    const message = messageOf(error);
    if (attempt >= this.maxAttempts || !isRetryable(error)) {
      this.store.deliveries.deadLetter(row.event_seq, row.route, attempt, message);
      notice("dead", message);
    } else {
      const delay = this.baseBackoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      this.store.deliveries.scheduleRetry(row.event_seq, row.route, attempt, Date.now() + Math.round(delay), message);
      notice("retry", message);
    }
  }
}
