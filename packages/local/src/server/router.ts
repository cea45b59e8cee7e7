import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { MediaPipelineError } from "@media-pipeline/core";
import type { RouteDef, RouteRequest, ServerContext } from "./types.js";
import { hasToken } from "./auth.js";

/** An error that is the answer: its status and code go to the client as `{ error: { code, message } }`. */
export class HttpError extends MediaPipelineError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code, message } }, headers);
}

/** JSON bodies are small (upload requests, part lists): anything bigger is refused before it is buffered. */
export const MAX_JSON_BYTES = 256 * 1024;

/** Reads and parses a JSON body of at most `limit` bytes, then validates it; a 400 names the field. */
export async function readJson<T extends z.ZodType>(req: IncomingMessage, schema: T, limit = MAX_JSON_BYTES): Promise<z.infer<T>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new HttpError(415, "unsupported_media_type", "Send the body as application/json");
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) throw new HttpError(413, "body_too_large", `JSON bodies are limited to ${limit} bytes`, { connection: "close" });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "body_too_large", `JSON bodies are limited to ${limit} bytes`, { connection: "close" });
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "invalid_json", "The body is not valid JSON");
  }
  return validate(schema, value);
}

/** Validates a value; the 400 names every failing field (`size: Too big…`). */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const message = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`).join("; ");
  throw new HttpError(400, "invalid_request", message);
}

interface Compiled {
  def: RouteDef;
  /** Literal segments, `:name` parameters, and a final `*name` that takes the rest of the path. */
  segments: Array<{ literal: string } | { param: string } | { rest: string }>;
}

function compile(def: RouteDef): Compiled {
  const parts = def.path.split("/").filter(Boolean);
  return {
    def,
    segments: parts.map((p, i) => {
      if (p.startsWith(":")) return { param: p.slice(1) };
      if (p.startsWith("*")) {
        if (i !== parts.length - 1) throw new Error(`"${p}" must be the last segment of ${def.path}`);
        return { rest: p.slice(1) };
      }
      return { literal: p };
    }),
  };
}

function match(c: Compiled, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segments.length; i++) {
    const seg = c.segments[i]!;
    if ("rest" in seg) {
      if (i >= parts.length) return undefined;
      params[seg.rest] = parts.slice(i).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if ("literal" in seg) {
      if (seg.literal !== part) return undefined;
    } else params[seg.param] = part;
  }
  return parts.length === c.segments.length ? params : undefined;
}

/** A small router over node:http: path parameters, token auth per route, JSON errors and never a stack trace. */
export class Router {
  private readonly routes: Compiled[] = [];

  constructor(private readonly ctx: ServerContext, private readonly onError: (error: unknown) => void = () => {}) {}

  add(defs: RouteDef[]): void {
    for (const def of defs) {
      if (this.routes.some((r) => r.def.method === def.method && r.def.path === def.path)) {
        throw new Error(`Route ${def.method} ${def.path} is defined twice`);
      }
      this.routes.push(compile(def));
    }
  }

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? "/", this.ctx.baseUrl);
      let parts: string[];
      try {
        parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      } catch {
        throw new HttpError(400, "invalid_path", "The path is not valid percent-encoding");
      }
      const found = this.routes.map((r) => ({ r, params: match(r, parts) })).filter((m) => m.params);
      if (found.length === 0) throw new HttpError(404, "not_found", `No route for ${url.pathname}`);
      const hit = found.find((m) => m.r.def.method === req.method);
      if (!hit) {
        const allow = [...new Set(found.map((m) => m.r.def.method))].join(", ");
        throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed here; use ${allow}`, { allow });
      }
      if (hit.r.def.auth === "token" && !hasToken(req.headers.authorization, this.ctx.token)) {
        throw new HttpError(401, "unauthorized", "Send Authorization: Bearer <token>", { "www-authenticate": 'Bearer realm="media-pipeline"' });
      }
      let reviewer: string | undefined;
      if (hit.r.def.auth === "reviewer") {
        reviewer = this.ctx.reviewers.identify(req.headers.authorization);
        if (!reviewer) {
          throw new HttpError(401, "unauthorized", "Send Authorization: Bearer <reviewer token> (from MEDIA_PIPELINE_REVIEWER_TOKENS; the API token is not a reviewer token)", {
            "www-authenticate": 'Bearer realm="media-pipeline-review"',
          });
        }
      }
      const request: RouteRequest = { req, res, url, params: hit.params!, ...(reviewer ? { reviewer } : {}) };
      await hit.r.def.handle(request, this.ctx);
    } catch (error) {
      if (error instanceof HttpError) {
        sendError(res, error.status, error.code, error.message, error.headers);
        // Unread request bodies (a refused upload) would keep the connection busy: drop it after answering.
        if (error.headers.connection === "close" && !req.readableEnded) res.on("finish", () => req.destroy());
        return;
      }
      this.onError(error);
      sendError(res, 500, "internal", "Internal server error", { connection: "close" });
      if (!req.readableEnded) res.on("finish", () => req.destroy());
    }
  };
}
