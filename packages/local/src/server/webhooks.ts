import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { compilePattern, InvalidPatternError, type CompiledPattern } from "@media-pipeline/core";
import type { Db } from "../runtime/db.js";
import type { RouteDef, RouteModule, ServerContext } from "./types.js";

/*
 * Webhook signatures. Each delivery is a POST of the event's JSON (the EventBridge-shaped envelope
 * exactly as stored in the log) with:
 *
 *   X-Media-Pipeline-Timestamp: <unix seconds when this attempt was sent>
 *   X-Media-Pipeline-Signature: sha256=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
 *   X-Media-Pipeline-Event-Id, X-Media-Pipeline-Seq, X-Media-Pipeline-Subscription, X-Media-Pipeline-Attempt
 *
 * The timestamp is inside the signed text, so it cannot be changed without breaking the signature:
 * a receiver recomputes the HMAC over the raw body bytes, compares in constant time, and refuses a
 * timestamp more than a few minutes from its clock (a replayed request). Delivery is at least once:
 * dedupe on the event id. `verifyWebhookSignature` below does the receiver's side.
 */

export const SIGNATURE_HEADER = "x-media-pipeline-signature";
export const TIMESTAMP_HEADER = "x-media-pipeline-timestamp";

/** The hex HMAC-SHA256 of `${timestamp}.${body}` with the subscription's secret. */
export function signWebhook(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

/**
 * The receiver's check: a valid signature over this body and timestamp, and a timestamp within
 * `toleranceSeconds` (default 300) of now.
 *
 * @example
 * verifyWebhookSignature({ secret, body: rawBody, timestamp: req.headers["x-media-pipeline-timestamp"],
 *   signature: req.headers["x-media-pipeline-signature"] });
 */
export function verifyWebhookSignature(input: {
  secret: string; body: string | Buffer; timestamp: string | string[] | undefined; signature: string | string[] | undefined;
  toleranceSeconds?: number; now?: number;
}): boolean {
  const { timestamp, signature } = input;
  if (typeof timestamp !== "string" || typeof signature !== "string" || !/^\d{1,12}$/.test(timestamp)) return false;
  const age = Math.abs((input.now ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(`sha256=${signWebhook(input.secret, timestamp, input.body)}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

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

interface SubscriptionRow { id: string; url: string; pattern: string; secret: string; cursor_seq: number; created_at: number }
interface HeadRow { sid: string; seq: number; attempts: number; next_at: number; url: string; secret: string; body: string }

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
  private readonly sql;
  private readonly enqueueTx;

  constructor(private readonly db: Db, private readonly bus: EventEmitter, options: WebhookOptions = {}) {
    super();
    this.opts = { ...DEFAULTS, ...options };
    this.sql = {
      subs: db.prepare("SELECT * FROM webhook_subscriptions"),
      events: db.prepare("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT 500"),
      insert: db.prepare("INSERT OR IGNORE INTO webhook_deliveries (subscription_id, event_seq, status, attempts, next_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?)"),
      cursor: db.prepare("UPDATE webhook_subscriptions SET cursor_seq = ? WHERE id = ?"),
      heads: db.prepare(
        `SELECT s.id sid, d.event_seq seq, d.attempts, d.next_at, s.url, s.secret, e.body FROM webhook_subscriptions s
         JOIN webhook_deliveries d ON d.subscription_id = s.id AND d.event_seq =
           (SELECT min(event_seq) FROM webhook_deliveries WHERE subscription_id = s.id AND status = 'pending')
         JOIN events e ON e.seq = d.event_seq`,
      ),
      done: db.prepare("UPDATE webhook_deliveries SET status = 'done', attempts = ?, last_status = ?, last_error = NULL, updated_at = ? WHERE subscription_id = ? AND event_seq = ?"),
      retry: db.prepare("UPDATE webhook_deliveries SET attempts = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE subscription_id = ? AND event_seq = ?"),
      dead: db.prepare("UPDATE webhook_deliveries SET status = 'dead', attempts = ?, last_status = ?, last_error = ?, updated_at = ? WHERE subscription_id = ? AND event_seq = ?"),
    };
    // Matching and queueing read the log from each subscription's cursor, not from the emitter:
    // events committed while no dispatcher ran (or just before a crash) are queued all the same.
    this.enqueueTx = db.transaction(() => {
      for (const sub of this.sql.subs.all() as SubscriptionRow[]) {
        const pattern = this.patternOf(sub);
        let cursor = sub.cursor_seq;
        for (;;) {
          const rows = this.sql.events.all(cursor) as Array<{ seq: number; body: string }>;
          for (const row of rows) {
            if (pattern.match(JSON.parse(row.body))) this.sql.insert.run(sub.id, row.seq, Date.now(), Date.now());
            cursor = row.seq;
          }
          if (rows.length < 500) break;
        }
        if (cursor !== sub.cursor_seq) this.sql.cursor.run(cursor, sub.id);
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
        this.enqueueTx.immediate();
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
    for (const head of this.sql.heads.all() as HeadRow[]) {
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

  private async deliver(head: HeadRow): Promise<void> {
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
      this.sql.done.run(attempt, httpStatus ?? null, Date.now(), head.sid, head.seq);
    } else if (attempt >= this.opts.maxAttempts) {
      this.sql.dead.run(attempt, httpStatus ?? null, error, Date.now(), head.sid, head.seq);
      Object.assign(notice, { status: "dead", error });
    } else {
      const delay = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      this.sql.retry.run(attempt, Date.now() + Math.round(delay), httpStatus ?? null, error, Date.now(), head.sid, head.seq);
      Object.assign(notice, { status: "retry", error });
    }
    this.emit("delivery", notice);
  }
}

const HttpUrl = z.string().max(2048).refine((s) => {
  try {
    return ["http:", "https:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, { message: "must be an http(s) URL" });

const CreateSubscription = z.strictObject({
  url: HttpUrl,
  /** The EventBridge pattern, as an object or its JSON text. */
  pattern: z.union([z.record(z.string(), z.unknown()), z.string()]),
  /** Bring your own signing secret; otherwise one is generated and returned once. */
  secret: z.string().min(16).max(256).optional(),
});

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}
const sendError = (res: ServerResponse, status: number, code: string, message: string) => sendJson(res, status, { error: { code, message } });

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return { ok: false, status: 413, message: `body larger than ${limit} bytes` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, status: 400, message: "body is not valid JSON" };
  }
}

function view(db: Db, sub: SubscriptionRow) {
  const counts = db.prepare("SELECT status, count(*) n FROM webhook_deliveries WHERE subscription_id = ? GROUP BY status").all(sub.id) as Array<{ status: string; n: number }>;
  const n = (status: string) => counts.find((c) => c.status === status)?.n ?? 0;
  return {
    id: sub.id, url: sub.url, pattern: JSON.parse(sub.pattern) as unknown, createdAt: new Date(sub.created_at).toISOString(),
    deliveries: { pending: n("pending"), done: n("done"), dead: n("dead") },
  };
}

/**
 * Webhook subscriptions (all `auth: "token"`):
 * - `POST /subscriptions` `{ url, pattern, secret? }` → 201 `{ id, url, pattern, createdAt, secret? }`
 *   (`secret` only when generated: keep it, it is not shown again). Events published from then on
 *   that match are delivered.
 * - `GET /subscriptions` → `{ subscriptions: [{ id, url, pattern, createdAt, deliveries: { pending, done, dead } }] }`
 * - `GET /subscriptions/:id`, `DELETE /subscriptions/:id` (204; its queue goes with it)
 * - `GET /subscriptions/:id/dead-letters` → `{ deadLetters: [{ seq, eventId, detailType, attempts, lastStatus, error, failedAt, event }] }`
 * - `POST /subscriptions/:id/dead-letters/redrive` → `{ redriven: n }`: back in the queue, attempts reset.
 */
export function webhooksModule(options: WebhookOptions = {}): RouteModule {
  let dispatcher: WebhookDispatcher | undefined;
  const find = (db: Db, id: string | undefined) =>
    db.prepare("SELECT * FROM webhook_subscriptions WHERE id = ?").get(id ?? "") as SubscriptionRow | undefined;
  const notFound = (res: ServerResponse, id: string | undefined) => sendError(res, 404, "not_found", `No subscription "${id ?? ""}"`);

  const routes = (): RouteDef[] => [
    {
      method: "POST", path: "/subscriptions", auth: "token",
      async handle({ req, res }, ctx) {
        const body = await readJson(req);
        if (!body.ok) return sendError(res, body.status, "invalid_request", body.message);
        const parsed = CreateSubscription.safeParse(body.value);
        if (!parsed.success) {
          return sendError(res, 400, "invalid_request", parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "));
        }
        let pattern: unknown;
        try {
          pattern = compilePattern(parsed.data.pattern).pattern;
          if (typeof pattern === "string") pattern = JSON.parse(pattern);
        } catch (error) {
          if (error instanceof InvalidPatternError) return sendError(res, 400, "invalid_pattern", error.message);
          throw error;
        }
        const db = ctx.runtime.db;
        const id = `sub_${randomUUID().replaceAll("-", "")}`;
        const secret = parsed.data.secret ?? `whsec_${randomBytes(32).toString("base64url")}`;
        const row: SubscriptionRow = {
          id, url: parsed.data.url, pattern: JSON.stringify(pattern), secret, created_at: Date.now(),
          cursor_seq: (db.prepare("SELECT coalesce(max(seq), 0) m FROM events").get() as { m: number }).m,
        };
        db.prepare("INSERT INTO webhook_subscriptions (id, url, pattern, secret, cursor_seq, created_at) VALUES (@id, @url, @pattern, @secret, @cursor_seq, @created_at)").run(row);
        sendJson(res, 201, { ...view(db, row), ...(parsed.data.secret ? {} : { secret }) }, { location: `/subscriptions/${id}` });
      },
    },
    {
      method: "GET", path: "/subscriptions", auth: "token",
      async handle({ res }, ctx) {
        const rows = ctx.runtime.db.prepare("SELECT * FROM webhook_subscriptions ORDER BY created_at, id").all() as SubscriptionRow[];
        sendJson(res, 200, { subscriptions: rows.map((r) => view(ctx.runtime.db, r)) });
      },
    },
    {
      method: "GET", path: "/subscriptions/:id", auth: "token",
      async handle({ res, params }, ctx) {
        const sub = find(ctx.runtime.db, params.id);
        if (!sub) return notFound(res, params.id);
        sendJson(res, 200, view(ctx.runtime.db, sub));
      },
    },
    {
      method: "DELETE", path: "/subscriptions/:id", auth: "token",
      async handle({ res, params }, ctx) {
        const { changes } = ctx.runtime.db.prepare("DELETE FROM webhook_subscriptions WHERE id = ?").run(params.id ?? "");
        if (changes === 0) return notFound(res, params.id);
        res.writeHead(204).end();
      },
    },
    {
      method: "GET", path: "/subscriptions/:id/dead-letters", auth: "token",
      async handle({ res, params }, ctx) {
        const db = ctx.runtime.db;
        if (!find(db, params.id)) return notFound(res, params.id);
        const rows = db.prepare(
          `SELECT d.event_seq seq, d.attempts, d.last_status, d.last_error, d.updated_at, e.body FROM webhook_deliveries d
           JOIN events e ON e.seq = d.event_seq WHERE d.subscription_id = ? AND d.status = 'dead' ORDER BY d.event_seq`,
        ).all(params.id) as Array<{ seq: number; attempts: number; last_status: number | null; last_error: string; updated_at: number; body: string }>;
        sendJson(res, 200, {
          deadLetters: rows.map((r) => {
            const event = JSON.parse(r.body) as { id: string; "detail-type": string };
            return {
              seq: r.seq, eventId: event.id, detailType: event["detail-type"], attempts: r.attempts, lastStatus: r.last_status,
              error: r.last_error, failedAt: new Date(r.updated_at).toISOString(), event,
            };
          }),
        });
      },
    },
    {
      method: "POST", path: "/subscriptions/:id/dead-letters/redrive", auth: "token",
      async handle({ res, params }, ctx) {
        const db = ctx.runtime.db;
        if (!find(db, params.id)) return notFound(res, params.id);
        const { changes } = db.prepare(
          "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE subscription_id = ? AND status = 'dead'",
        ).run(Date.now(), Date.now(), params.id);
        dispatcher?.kick();
        sendJson(res, 200, { redriven: changes });
      },
    },
  ];

  return {
    routes,
    start(ctx: ServerContext) {
      const d = new WebhookDispatcher(ctx.runtime.db, ctx.runtime.bus, options);
      dispatcher = d;
      d.start();
      return {
        async stop() {
          await d.stop();
          if (dispatcher === d) dispatcher = undefined;
        },
      };
    },
  };
}

/** The module with the default settings (what `media-pipeline serve` mounts); one server per module value. */
export const webhooks: RouteModule = webhooksModule();
