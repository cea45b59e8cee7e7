import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { compilePattern, InvalidPatternError } from "@media-pipeline/core";
import type { Store, SubscriptionRow } from "../store/index.js";
import { WebhookDispatcher, type WebhookOptions } from "./webhook-dispatcher.js";
import type { RouteDef, RouteModule, ServerContext } from "./types.js";

// Signing (the receiver's side too) and delivery have their own modules; this one is the HTTP API.
export * from "./webhook-signature.js";
export * from "./webhook-dispatcher.js";

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

function view(store: Store, sub: SubscriptionRow) {
  return {
    id: sub.id, url: sub.url, pattern: JSON.parse(sub.pattern) as unknown, createdAt: new Date(sub.created_at).toISOString(),
    deliveries: store.webhooks.counts(sub.id),
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
  const find = (store: Store, id: string | undefined) => store.webhooks.find(id ?? "");
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
        const { store } = ctx.runtime;
        const id = `sub_${randomUUID().replaceAll("-", "")}`;
        const secret = parsed.data.secret ?? `whsec_${randomBytes(32).toString("base64url")}`;
        const row: SubscriptionRow = {
          id, url: parsed.data.url, pattern: JSON.stringify(pattern), secret, created_at: Date.now(),
          cursor_seq: store.events.lastSeq(),
        };
        store.webhooks.create(row);
        sendJson(res, 201, { ...view(store, row), ...(parsed.data.secret ? {} : { secret }) }, { location: `/subscriptions/${id}` });
      },
    },
    {
      method: "GET", path: "/subscriptions", auth: "token",
      async handle({ res }, ctx) {
        const { store } = ctx.runtime;
        sendJson(res, 200, { subscriptions: store.webhooks.subscriptions({ ordered: true }).map((r) => view(store, r)) });
      },
    },
    {
      method: "GET", path: "/subscriptions/:id", auth: "token",
      async handle({ res, params }, ctx) {
        const sub = find(ctx.runtime.store, params.id);
        if (!sub) return notFound(res, params.id);
        sendJson(res, 200, view(ctx.runtime.store, sub));
      },
    },
    {
      method: "DELETE", path: "/subscriptions/:id", auth: "token",
      async handle({ res, params }, ctx) {
        if (!ctx.runtime.store.webhooks.remove(params.id ?? "")) return notFound(res, params.id);
        res.writeHead(204).end();
      },
    },
    {
      method: "GET", path: "/subscriptions/:id/dead-letters", auth: "token",
      async handle({ res, params }, ctx) {
        const { store } = ctx.runtime;
        if (!find(store, params.id)) return notFound(res, params.id);
        const rows = store.webhooks.deadOf(params.id!);
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
        const { store } = ctx.runtime;
        if (!find(store, params.id)) return notFound(res, params.id);
        const redriven = store.webhooks.redriveDead(params.id!, Date.now());
        dispatcher?.kick();
        sendJson(res, 200, { redriven });
      },
    },
  ];

  return {
    routes,
    start(ctx: ServerContext) {
      const d = new WebhookDispatcher(ctx.runtime.store, ctx.runtime.bus, options);
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
