import { StageName, type PipelineEvent } from "@media-pipeline/core";
import { loadReport, renderReport } from "../cli/export.js";
import { mediaFileRoutes, reportPageMedia } from "./media-files.js";
import { HttpError, sendJson } from "./router.js";
import type { RouteDef, RouteModule, ServerContext } from "./types.js";

const MEDIA_ID = /^[0-9a-z]{26}$/;

/** Where a media item stands, derived from the durable log and state (nothing kept in memory). */
function describe(ctx: ServerContext, mediaId: string) {
  const { store } = ctx.runtime;
  const media = store.media.get(mediaId);
  const upload = store.uploads.get(mediaId);
  if (!media && !upload) return undefined;
  // The latest: after a review, a second, final Analysis Completed supersedes the first.
  const end = store.events.latest(mediaId, ["Analysis Completed", "Media Rejected"]);
  return { media, upload, end };
}

function reportEvent(ctx: ServerContext, mediaId: string): PipelineEvent<"Analysis Completed"> {
  if (!MEDIA_ID.test(mediaId)) throw new HttpError(404, "not_found", `No media ${mediaId}`);
  const d = describe(ctx, mediaId);
  if (!d) throw new HttpError(404, "not_found", `No media ${mediaId}`);
  if (d.end?.["detail-type"] === "Media Rejected") throw new HttpError(409, "rejected", "The media was rejected; there is no report");
  if (!d.end) throw new HttpError(409, "not_ready", "The analysis has not completed yet");
  return d.end as PipelineEvent<"Analysis Completed">;
}

/**
 * `GET /media/:mediaId` (status per stage, links), `/report` (JSON) and `/report.html`, and what the
 * report page plays: `/source` and `/captions.vtt|.srt` (media-files.ts).
 */
export function mediaModule(): RouteModule {
  return {
    routes(ctx: ServerContext): RouteDef[] {
      const base = (id: string) => `${ctx.baseUrl}/media/${id}`;
      return [
        {
          method: "GET", path: "/media/:mediaId", auth: "token",
          async handle({ res, params }) {
            const mediaId = params.mediaId!;
            const d = MEDIA_ID.test(mediaId) ? describe(ctx, mediaId) : undefined;
            if (!d) throw new HttpError(404, "not_found", `No media ${mediaId}`);
            const records = await ctx.runtime.state.list(mediaId);
            const stages: Record<string, unknown> = {};
            for (const r of records) {
              stages[r.stage] = {
                status: r.status, attempts: r.attempts,
                ...(r.startedAt ? { startedAt: r.startedAt } : {}), ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
                ...(r.error ? { error: r.error.message } : {}),
              };
            }
            const completed = d.end?.["detail-type"] === "Analysis Completed" ? (d.end as PipelineEvent<"Analysis Completed">) : undefined;
            // Stages that never ran (skipped for audio, or pending) are named by the final event.
            for (const [stage, status] of Object.entries(completed?.detail.stages ?? {})) stages[stage] ??= { status };
            const ordered = Object.fromEntries(
              Object.entries(stages).sort(([a], [b]) => StageName.options.indexOf(a as StageName) - StageName.options.indexOf(b as StageName)),
            );
            const status = completed
              ? completed.detail.status
              : d.end ? "rejected"
              : !d.media ? (d.upload!.status === "aborted" ? "aborted" : "awaiting-upload")
              : "processing";
            sendJson(res, 200, {
              mediaId,
              filename: d.media?.filename ?? d.upload!.filename,
              status,
              ...(d.upload ? { upload: { status: d.upload.status, contentType: d.upload.content_type, size: d.upload.size } } : {}),
              ...(d.media ? { source: { bucket: ctx.runtime.config.bucket, key: d.media.source_key }, createdAt: new Date(d.media.created_at).toISOString() } : {}),
              stages: ordered,
              ...(completed ? { decision: completed.detail.decision, review: completed.detail.review } : {}),
              ...(d.end?.["detail-type"] === "Media Rejected" ? { rejection: { reason: d.end.detail.reason, message: d.end.detail.message } } : {}),
              links: {
                self: base(mediaId),
                ...(completed ? { report: `${base(mediaId)}/report`, reportHtml: `${base(mediaId)}/report.html` } : {}),
              },
            });
          },
        },
        {
          method: "GET", path: "/media/:mediaId/report", auth: "token",
          async handle({ res, params }) {
            const event = reportEvent(ctx, params.mediaId!);
            const { report } = await loadReport(ctx.runtime, event.detail.mediaId, event.detail.report);
            sendJson(res, 200, report);
          },
        },
        {
          method: "GET", path: "/media/:mediaId/report.html", auth: "token",
          async handle({ res, params }) {
            const event = reportEvent(ctx, params.mediaId!);
            const media = await reportPageMedia(ctx, event.detail.mediaId);
            const html = await renderReport(await loadReport(ctx.runtime, event.detail.mediaId, event.detail.report), media);
            res.writeHead(200, {
              // No cache: the page's media links are signed and expire; each load signs fresh ones.
              "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html), "cache-control": "no-store",
              // Self-contained page: its own inline script and styles, images as data URLs, nothing fetched
              // but its media and captions, through signed links on this server (the page names them
              // root-relative, so 'self'; the page's own meta policy says the same, computed from them).
              "content-security-policy": `default-src 'none'; img-src data:; ${media ? "media-src 'self'; " : ""}style-src 'unsafe-inline'; script-src 'unsafe-inline'`,
              "x-content-type-options": "nosniff",
            });
            res.end(html);
          },
        },
        ...mediaFileRoutes(ctx),
      ];
    },
  };
}
