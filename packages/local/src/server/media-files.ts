import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import send from "send";
import { MediaId, type ObjectRef } from "@media-pipeline/core";
import type { RenderOptions } from "@media-pipeline/web";
import { captionFiles } from "../cli/export.js";
import { hasToken } from "./auth.js";
import { HttpError } from "./router.js";
import type { RouteDef, RouteRequest, ServerContext } from "./types.js";

/*
 * What a report page plays: the uploaded media (`/media/:id/source`, in byte ranges, as a player asks
 * when it seeks) and its captions (`/media/:id/captions.vtt` and `.srt`, stored beside report.json).
 * Like every /media route they answer the API token; but a <video> or <track> cannot send an
 * Authorization header, so the report page carries short-lived signed links to them instead: an HMAC
 * with the server's key over the exact path and expiry, as the review page's media links.
 */

/** How long the links in a report page work (the page is never cached: each load signs fresh ones). */
const LINK_TTL_S = 4 * 3600;

function linkSig(key: Buffer, pathname: string, expires: number): string {
  return createHmac("sha256", key).update(`mp-media-link-v1\nGET\n${pathname}\n${expires}`).digest("base64url");
}

/** A root-relative link to `pathname` that works without a token until it expires. */
export function signedMediaLink(ctx: ServerContext, pathname: string, nowMs = Date.now()): string {
  const expires = Math.floor(nowMs / 1000) + LINK_TTL_S;
  return `${pathname}?expires=${expires}&sig=${linkSig(ctx.signingKey, pathname, expires)}`;
}

/** The API token in the Authorization header, or else a valid, unexpired signature for this very path. */
function authorize(ctx: ServerContext, { req, url }: RouteRequest): void {
  if (hasToken(req.headers.authorization, ctx.token)) return;
  const sig = url.searchParams.get("sig");
  if (sig === null) {
    throw new HttpError(401, "unauthorized", "Send Authorization: Bearer <token>, or open the media through its report page's link", {
      "www-authenticate": 'Bearer realm="media-pipeline"',
    });
  }
  const expires = Number(url.searchParams.get("expires"));
  const expected = Buffer.from(linkSig(ctx.signingKey, url.pathname, expires), "base64url");
  const given = Buffer.from(sig, "base64url");
  if (!Number.isInteger(expires) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(403, "forbidden", "This link is not valid; reload the report for a fresh one");
  }
  if (Date.now() >= expires * 1000) throw new HttpError(403, "expired", "This link has expired; reload the report for a fresh one");
}

function mediaIdOf(params: Record<string, string>): string {
  const id = params.mediaId!;
  if (!MediaId.safeParse(id).success) throw new HttpError(404, "not_found", `No media ${id}`);
  return id;
}

/** The upload as stored, when the media item is known and its file is still there. */
async function sourceOf(ctx: ServerContext, mediaId: string): Promise<ObjectRef | undefined> {
  const media = ctx.runtime.store.media.get(mediaId);
  if (!media) return undefined;
  const ref = { bucket: ctx.runtime.config.bucket, key: media.source_key };
  return (await ctx.runtime.objects.size(ref)) === undefined ? undefined : ref;
}

/**
 * The media the report page plays, as signed root-relative links: relative, so the page and its media
 * share one origin whatever host name the browser used (the page's policy then needs only 'self', and
 * the captions track, which a browser loads only from its own origin without CORS, just works).
 */
export async function reportPageMedia(ctx: ServerContext, mediaId: string): Promise<RenderOptions["media"]> {
  if (!(await sourceOf(ctx, mediaId))) return undefined;
  const base = `/media/${mediaId}`;
  const captions = await captionFiles(ctx.runtime, mediaId);
  return {
    src: signedMediaLink(ctx, `${base}/source`),
    ...(captions.vtt ? { captions: { vtt: signedMediaLink(ctx, `${base}/captions.vtt`) } } : {}),
  };
}

/** Streams a stored file with Range support (206, Accept-Ranges, Content-Range), as `send` does. */
function stream(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, ref: ObjectRef): Promise<void> {
  const file = ctx.runtime.objects.pathOf(ref);
  return new Promise((resolve, reject) => {
    const s = send(req, encodeURIComponent(path.basename(file)), { root: path.dirname(file), dotfiles: "deny", cacheControl: false, index: false });
    s.on("error", (error: { status?: number; statusCode?: number }) => {
      const status = error.status ?? error.statusCode ?? 500;
      if (status === 404) reject(new HttpError(404, "not_found", "The media file is not in the object store"));
      else if (status === 416) reject(new HttpError(416, "range_not_satisfiable", "The requested range is outside the file"));
      else reject(error);
    });
    s.on("end", () => resolve());
    res.on("close", () => resolve());
    s.pipe(res);
  });
}

const CAPTION_TYPES = { vtt: "text/vtt; charset=utf-8", srt: "application/x-subrip; charset=utf-8" } as const;

/** `GET /media/:mediaId/source`, `/captions.vtt` and `/captions.srt`: the API token or a report page's signed link. */
export function mediaFileRoutes(ctx: ServerContext): RouteDef[] {
  const captionRoute = (kind: "vtt" | "srt"): RouteDef => ({
    method: "GET", path: `/media/:mediaId/captions.${kind}`, auth: "none",
    async handle(request) {
      authorize(ctx, request);
      const mediaId = mediaIdOf(request.params);
      if (!ctx.runtime.store.media.get(mediaId)) throw new HttpError(404, "not_found", `No media ${mediaId}`);
      const ref = (await captionFiles(ctx.runtime, mediaId))[kind];
      if (!ref) throw new HttpError(404, "not_found", `No ${kind === "vtt" ? "WebVTT" : "SRT"} captions for media ${mediaId}`);
      const body = await readFile(ctx.runtime.objects.pathOf(ref));
      request.res.writeHead(200, {
        "content-type": CAPTION_TYPES[kind], "content-length": body.length, "cache-control": "no-store", "x-content-type-options": "nosniff",
      });
      request.res.end(body);
    },
  });
  return [
    {
      // auth "none" at the router: the handler takes the token or a signed link (see authorize).
      method: "GET", path: "/media/:mediaId/source", auth: "none",
      async handle(request) {
        authorize(ctx, request);
        const mediaId = mediaIdOf(request.params);
        const ref = await sourceOf(ctx, mediaId);
        if (!ref) throw new HttpError(404, "not_found", `No media file for ${mediaId}`);
        const type = ctx.runtime.store.uploads.get(mediaId)?.content_type;
        // The type the upload declared (one the server accepts); otherwise send names it by its extension.
        if (type) request.res.setHeader("content-type", type);
        request.res.setHeader("cache-control", "no-store");
        request.res.setHeader("x-content-type-options", "nosniff");
        await stream(ctx, request.req, request.res, ref);
      },
    },
    captionRoute("vtt"),
    captionRoute("srt"),
  ];
}
