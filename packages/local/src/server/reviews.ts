import { createHmac, timingSafeEqual } from "node:crypto";
import path from "node:path";
import send from "send";
import { presentTask, ReviewVerdict, TASK_STATUSES, ReviewVerdictError, type ObjectRef } from "@media-pipeline/core";
import { renderReviewPage, reviewPageHeaders } from "@media-pipeline/web";
import { ReviewConflictError, ReviewNotFoundError, type ReviewTaskView } from "../review/service.js";
import { HttpError, readJson, sendJson } from "./router.js";
import type { RouteDef, RouteModule, ServerContext } from "./types.js";

/*
 * The review API (`/reviews…`, reviewer tokens only) and page (`/review`). A <video> or <img> cannot
 * send an Authorization header, so the task answer carries short-lived signed URLs for the media and
 * keyframes, HMAC'd with the server's key over the exact path and expiry (like the upload URLs).
 */

/** How long a media or keyframe link in a task answer works. */
const LINK_TTL_S = 4 * 3600;

function linkSig(key: Buffer, pathname: string, expires: number): string {
  return createHmac("sha256", key).update(`mp-review-link-v1\nGET\n${pathname}\n${expires}`).digest("base64url");
}

function signedLink(ctx: ServerContext, pathname: string, nowMs = Date.now()): string {
  const expires = Math.floor(nowMs / 1000) + LINK_TTL_S;
  return `${pathname}?expires=${expires}&sig=${linkSig(ctx.signingKey, pathname, expires)}`;
}

function checkLink(ctx: ServerContext, url: URL): void {
  const expires = Number(url.searchParams.get("expires"));
  const sig = url.searchParams.get("sig") ?? "";
  const expected = Buffer.from(linkSig(ctx.signingKey, url.pathname, expires), "base64url");
  const given = Buffer.from(sig, "base64url");
  if (!Number.isInteger(expires) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(403, "forbidden", "This link is not valid; reload the task for a fresh one");
  }
  if (Date.now() >= expires * 1000) throw new HttpError(403, "expired", "This link has expired; reload the task for a fresh one");
}

const enc = encodeURIComponent;

/** The task as the API answers it: keyframe and media refs swapped for signed links (core's presentTask). */
function present(ctx: ServerContext, task: ReviewTaskView) {
  const base = `/reviews/${enc(task.taskId)}`;
  return presentTask(task, { media: signedLink(ctx, `${base}/media`), keyframe: (index) => signedLink(ctx, `${base}/keyframes/${index}`) });
}

function service(ctx: ServerContext) {
  return ctx.runtime.reviews;
}

/** Maps the service's errors onto HTTP answers. */
async function answer<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReviewNotFoundError) throw new HttpError(404, "not_found", error.message);
    if (error instanceof ReviewConflictError) throw new HttpError(409, error.code, error.message);
    if (error instanceof ReviewVerdictError) throw new HttpError(400, "invalid_verdict", error.message);
    throw error;
  }
}

const STATUSES = new Set<string>([...TASK_STATUSES, "all"]);

/** Streams an object with Range support (the player seeks by asking for byte ranges). */
function sendObject(ctx: ServerContext, request: { req: import("node:http").IncomingMessage; res: import("node:http").ServerResponse }, ref: ObjectRef): Promise<void> {
  const file = ctx.runtime.objects.pathOf(ref);
  return new Promise((resolve, reject) => {
    const stream = send(request.req, enc(path.basename(file)), { root: path.dirname(file), dotfiles: "deny", cacheControl: false, index: false });
    stream.on("error", (error: { status?: number; statusCode?: number }) => {
      const status = error.status ?? error.statusCode ?? 500;
      if (status === 404) reject(new HttpError(404, "not_found", "The file is not in the object store"));
      else if (status === 416) reject(new HttpError(416, "range_not_satisfiable", "The requested range is outside the file"));
      else reject(error);
    });
    stream.on("end", () => resolve());
    request.res.on("close", () => resolve());
    stream.pipe(request.res);
  });
}

/** `/review` (the page) and the `/reviews` API. */
export function reviewsModule(): RouteModule {
  return {
    routes(ctx: ServerContext): RouteDef[] {
      return [
        {
          method: "GET", path: "/review", auth: "none",
          async handle({ res }) {
            const html = renderReviewPage();
            // The headers the cloud app sends with the page too: the page is self-contained, so its
            // policy lets nothing load from elsewhere and no other site frame it.
            res.writeHead(200, { ...reviewPageHeaders(), "content-length": Buffer.byteLength(html) });
            res.end(html);
          },
        },
        {
          method: "GET", path: "/reviews/me", auth: "reviewer",
          async handle({ res, reviewer }) {
            sendJson(res, 200, { reviewer });
          },
        },
        {
          method: "GET", path: "/reviews", auth: "reviewer",
          async handle({ res, url }) {
            const status = url.searchParams.get("status") ?? "open";
            if (!STATUSES.has(status)) throw new HttpError(400, "invalid_request", `status must be one of ${[...STATUSES].join(", ")}`);
            const { tasks, counts } = service(ctx).list({ status: status as "open" });
            sendJson(res, 200, { tasks: tasks.map((t) => present(ctx, t)), counts });
          },
        },
        {
          method: "GET", path: "/reviews/:taskId", auth: "reviewer",
          async handle({ res, params }) {
            const task = await answer(() => service(ctx).get(params.taskId!));
            sendJson(res, 200, { ...present(ctx, task), audit: service(ctx).audit(task.taskId) });
          },
        },
        {
          method: "POST", path: "/reviews/:taskId/claim", auth: "reviewer",
          async handle({ res, params, reviewer }) {
            const task = await answer(() => service(ctx).claim(params.taskId!, reviewer!));
            sendJson(res, 200, { ...present(ctx, task), audit: service(ctx).audit(task.taskId) });
          },
        },
        {
          method: "POST", path: "/reviews/:taskId/release", auth: "reviewer",
          async handle({ res, params, reviewer }) {
            const task = await answer(() => service(ctx).release(params.taskId!, reviewer!));
            sendJson(res, 200, { ...present(ctx, task), audit: service(ctx).audit(task.taskId) });
          },
        },
        {
          method: "POST", path: "/reviews/:taskId/verdict", auth: "reviewer",
          async handle({ req, res, params, reviewer }) {
            const body = await readJson(req, ReviewVerdict.strict());
            const decision = await answer(() => service(ctx).decide(params.taskId!, reviewer!, body));
            const task = service(ctx).get(params.taskId!);
            sendJson(res, 200, { decision, task: { ...present(ctx, task), audit: service(ctx).audit(task.taskId) } });
          },
        },
        {
          method: "GET", path: "/reviews/:taskId/media", auth: "none",
          async handle(request) {
            checkLink(ctx, request.url);
            const task = await answer(() => service(ctx).get(request.params.taskId!));
            await sendObject(ctx, request, task.source);
          },
        },
        {
          method: "GET", path: "/reviews/:taskId/keyframes/:index", auth: "none",
          async handle(request) {
            checkLink(ctx, request.url);
            const task = await answer(() => service(ctx).get(request.params.taskId!));
            const seg = task.segments.find((s) => String(s.index) === request.params.index);
            if (!seg?.keyframe) throw new HttpError(404, "not_found", "That segment has no keyframe");
            await sendObject(ctx, request, seg.keyframe);
          },
        },
      ];
    },
  };
}
