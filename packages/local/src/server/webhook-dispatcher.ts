import { EventEmitter } from "node:events";
import { compilePattern, type CompiledPattern } from "@media-pipeline/core";
import type { Store, SubscriptionRow, WebhookHeadRow } from "../store/index.js";
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./webhook-signature.js";

export interface WebhookOptions {
  /** Attempts per event before it goes to the subscription's dead letters (default 8). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt with ±25 % jitter, up to `maxBackoffMs` (default 1 s, 5 min). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt time limit, response headers included (default 10 s). */
  timeoutMs?: number;
  /** Deliveries in flight at once across subscriptions (default 4); one at a time per subscription. */
  concurrency?: number;
}

const DEFAULTS: Required<WebhookOptions> = { maxAttempts: 8, baseBackoffMs: 1000, maxBackoffMs: 300_000, timeoutMs: 10_000, concurrency: 4 };

/** What happened to one attempt (the dispatcher emits `delivery` with it; tests and logs listen). */
export interface WebhookDeliveryNotice {
  subscriptionId: string;
  seq: number;
  attempt: number;
  status: "done" | "retry" | "dead";
  httpStatus?: number;
  error?: string;
}


/**
 * Delivers matching events to every subscription, durably: the subscription's cursor and its
 * deliveries live in SQLite, so a restart picks up where the last process stopped. Each
 * subscription gets its events in seq order: a later event waits while an earlier one is retried.
 */
export class WebhookDispatcher extends EventEmitter {
  private readonly opts: Required<WebhookOptions>;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly patterns = new Map<string, { text: string; compiled: CompiledPattern }>();
  private readonly stopping = new AbortController();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private kickScheduled = false;
  constructor(private readonly store: Store, private readonly bus: EventEmitter, options: WebhookOptions = {}) {
    super();
    this.opts = { ...DEFAULTS, ...options };
  }
  /**
   * Matching and queueing read the log from each subscription's cursor, not from the emitter:
   * events committed while no dispatcher ran (or just before a crash) are queued all the same.
   */
  private enqueue(): void {
    const { webhooks, events } = this.store;
    this.store.atomically(() => {
      for (const sub of webhooks.subscriptions()) {
        const pattern = this.patternOf(sub);
        let cursor = sub.cursor_seq;
        for (;;) {
          const rows = events.page(cursor, Number.MAX_SAFE_INTEGER, 500);
          for (const row of rows) {
            if (pattern.match(JSON.parse(row.body))) webhooks.queue(sub.id, row.seq, Date.now());
            cursor = row.seq;
          }
          if (rows.length < 500) break;
        }
        if (cursor !== sub.cursor_seq) webhooks.moveCursor(sub.id, cursor);
      }
    });
  }

  start(): void {
    this.running = true;
    this.bus.on("event", this.kick);
    this.kick();
  }

  /** Stops; attempts in flight are abandoned unrecorded, so the next start sends them again. */
  async stop(): Promise<void> {
    this.running = false;
    this.bus.off("event", this.kick);
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Coalesces the passes a burst of events and completions asks for into one. */
  readonly kick = (): void => {
    if (this.kickScheduled || !this.running) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      if (!this.running) return;
      try {
        this.enqueue();
        this.dispatch();
      } catch (error) {
        this.emit("error-notice", error);
        this.schedule(Date.now() + 1000);
      }
    });
  };

  private patternOf(sub: SubscriptionRow): CompiledPattern {
    const cached = this.patterns.get(sub.id);
    if (cached && cached.text === sub.pattern) return cached.compiled;
    const compiled = compilePattern(sub.pattern);
    this.patterns.set(sub.id, { text: sub.pattern, compiled });
    return compiled;
  }

  private schedule(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.kick, Math.max(5, at - Date.now()));
  }

  private dispatch(): void {
    const now = Date.now();
    let wake = Infinity;
    for (const head of this.store.webhooks.heads()) {
      if (this.inflight.has(head.sid)) continue;
      if (head.next_at > now) {
        wake = Math.min(wake, head.next_at);
        continue;
      }
      if (this.inflight.size >= this.opts.concurrency) break;
      const run = this.deliver(head).finally(() => {
        this.inflight.delete(head.sid);
        this.kick();
      });
      this.inflight.set(head.sid, run);
    }
    if (wake !== Infinity) this.schedule(wake);
  }

  private async deliver(head: WebhookHeadRow): Promise<void> {
    const attempt = head.attempts + 1;
    const timestamp = String(Math.floor(Date.now() / 1000));
    let httpStatus: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(head.url, {
        method: "POST",
        body: head.body,
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.stopping.signal]),
        headers: {
          "content-type": "application/json",
          "user-agent": "media-pipeline-webhooks/1",
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: `sha256=${signWebhook(head.secret, timestamp, head.body)}`,
          "x-media-pipeline-event-id": (JSON.parse(head.body) as { id: string }).id,
          "x-media-pipeline-seq": String(head.seq),
          "x-media-pipeline-subscription": head.sid,
          "x-media-pipeline-attempt": String(attempt),
        },
      });
      httpStatus = response.status;
      await response.body?.cancel().catch(() => {});
      if (response.status < 200 || response.status > 299) error = `HTTP ${response.status}`;
    } catch (caught) {
      if (this.stopping.signal.aborted) return;
      const e = caught as Error & { cause?: { message?: string; code?: string } };
      error = e.name === "TimeoutError" ? `timed out after ${this.opts.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ""}`;
    }
    const notice: WebhookDeliveryNotice = { subscriptionId: head.sid, seq: head.seq, attempt, status: "done", ...(httpStatus ? { httpStatus } : {}) };
    if (error === undefined) {
      this.store.webhooks.markDone(head.sid, head.seq, attempt, httpStatus ?? null);
    } else if (attempt >= this.opts.maxAttempts) {
      this.store.webhooks.markDead(head.sid, head.seq, attempt, httpStatus ?? null, error);
      Object.assign(notice, { status: "dead", error });
    } else {
      const delay = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      this.store.webhooks.scheduleRetry(head.sid, head.seq, attempt, Date.now() + Math.round(delay), httpStatus ?? null, error);
      Object.assign(notice, { status: "retry", error });
    }
    this.emit("delivery", notice);
  }
}

