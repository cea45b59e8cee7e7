import type { IncomingMessage, ServerResponse } from "node:http";
import type { LocalConfig } from "../runtime/config.js";
import type { ReviewerDirectory } from "../review/reviewers.js";
import type { LocalRuntime } from "../runtime/runtime.js";

/** What every route of the local server can use. */
export interface ServerContext {
  runtime: LocalRuntime;
  config: LocalConfig;
  /** The API token (`Authorization: Bearer <token>`), from MEDIA_PIPELINE_TOKEN or generated at start. */
  token: string;
  /** Reviewer tokens (MEDIA_PIPELINE_REVIEWER_TOKENS); the API token is never one of them. */
  reviewers: ReviewerDirectory;
  /** Secret key for HMAC-signed upload URLs and webhook signatures; never leaves the process. */
  signingKey: Buffer;
  /** Where the server listens, e.g. http://127.0.0.1:8787 (used to build URLs it hands out). */
  baseUrl: string;
  /** Resolves when the server is closing: long-lived responses (SSE) end themselves on it. */
  closing: Promise<void>;
}

/** One request, with the path parameters the route pattern captured. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The reviewer's name, on `auth: "reviewer"` routes. */
  reviewer?: string;
}

/**
 * A route. `auth: "token"` needs the API token; `"reviewer"` a reviewer's token (never the API token);
 * `"none"` is public (the upload endpoint itself and review media, whose authority is the signed URL
 * they check, and the review page, which asks for a token). Paths use `:name` parameters.
 */
export interface RouteDef {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  auth: "token" | "reviewer" | "none";
  handle(request: RouteRequest, ctx: ServerContext): Promise<void>;
}

/** A module of routes, and optionally work that runs while the server is up (e.g. webhook delivery). */
export interface RouteModule {
  routes(ctx: ServerContext): RouteDef[];
  start?(ctx: ServerContext): { stop(): Promise<void> };
}
