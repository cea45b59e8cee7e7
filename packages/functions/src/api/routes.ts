import { baseUrl, httpHandler, json, mediaIdParam, parseBody } from "./http.js";
import type { MediaApi } from "./media.js";
import { CompleteRequest, PartsRequest, UploadRequest, type UploadApi } from "./uploads.js";

/**
 * The HTTP API's routes as API Gateway (payload 2.0) handlers, one per route so that each Lambda
 * (stacks/api.ts) carries only its own permissions.
 *
 * | route                                | success | body in                         |
 * |--------------------------------------|---------|---------------------------------|
 * | `POST /uploads`                      | 201     | `{ filename, contentType, size }` |
 * | `POST /uploads/{mediaId}/parts`      | 200     | `{ partNumbers? }`              |
 * | `POST /uploads/{mediaId}/complete`   | 200     | `{ parts: [{ partNumber, etag }] }` |
 * | `DELETE /uploads/{mediaId}`          | 204     |                                 |
 * | `GET /media/{mediaId}`               | 200     |                                 |
 * | `GET /media/{mediaId}/report`        | 200     |                                 |
 * | `GET /media/{mediaId}/report.html`   | 200     | the self-contained report page  |
 *
 * Errors: 400 `{ error: { code: "invalid_request", message, issues: [{ field, message }] } }`, 404 `not_found`
 * / `report_not_ready`, 409 when the upload is not (or no longer) a multipart upload in progress.
 */
export function createRoutes(api: { uploads: UploadApi; media: MediaApi }) {
  return {
    createUpload: httpHandler(async (event) => {
      const created = await api.uploads.create(parseBody(event, UploadRequest), baseUrl(event));
      return json(201, created, { location: `${baseUrl(event)}/media/${created.mediaId}` });
    }),
    uploadParts: httpHandler(async (event) => json(200, await api.uploads.parts(mediaIdParam(event), parseBody(event, PartsRequest)))),
    completeUpload: httpHandler(async (event) => json(200, await api.uploads.complete(mediaIdParam(event), parseBody(event, CompleteRequest)))),
    abortUpload: httpHandler(async (event) => {
      await api.uploads.abort(mediaIdParam(event));
      return { statusCode: 204 };
    }),
    getMedia: httpHandler(async (event) => json(200, await api.media.status(mediaIdParam(event), baseUrl(event)))),
    getReport: httpHandler(async (event) => ({
      statusCode: 200,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
      body: await api.media.report(mediaIdParam(event)),
    })),
    getCaptionsVtt: httpHandler(async (event) => ({
      statusCode: 200,
      headers: { "content-type": "text/vtt; charset=utf-8", "cache-control": "no-store" },
      body: await api.media.captions(mediaIdParam(event), "vtt"),
    })),
    getCaptionsSrt: httpHandler(async (event) => ({
      statusCode: 200,
      headers: { "content-type": "application/x-subrip; charset=utf-8", "cache-control": "no-store" },
      body: await api.media.captions(mediaIdParam(event), "srt"),
    })),
    getReportHtml: httpHandler(async (event) => ({
      statusCode: 200,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      body: await api.media.reportHtml(mediaIdParam(event)),
    })),
  };
}
