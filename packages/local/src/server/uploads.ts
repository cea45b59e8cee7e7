import { rename, rm } from "node:fs/promises";
import { z } from "zod";
import { parseUploadKey, uploadKey } from "@media-pipeline/core";
import { newMediaId } from "../runtime/ids.js";
import type { UploadRow } from "../store/index.js";
import { HttpError, readJson, sendJson } from "./router.js";
import { keyPath, signedQuery, verifyGrant, type UploadGrant } from "./signing.js";
import type { RouteDef, RouteModule, ServerContext } from "./types.js";
import { UploadStore } from "./upload-store.js";

/** Media types the pipeline can probe; anything else is refused before a byte is sent. */
export const ALLOWED_CONTENT_TYPES: readonly string[] = [
  "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo", "video/mpeg", "video/ogg", "video/3gpp",
  "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/wav", "audio/x-wav", "audio/wave", "audio/flac", "audio/x-flac",
  "audio/ogg", "audio/webm", "audio/opus",
];

export interface UploadOptions {
  /** The clock for URL expiry (tests inject one). */
  now?: () => number;
  /** How long a signed URL stays valid (default 15 minutes). */
  urlTtlSeconds?: number;
  /** Uploads above this size are multipart (default 100 MiB, as in the cloud). */
  multipartThreshold?: number;
  /** Part size of a multipart upload (default 16 MiB; S3's minimum is 5 MiB, its maximum part count 10,000). */
  partSize?: number;
}

/** A MIME type without parameters, lower-cased: `Video/MP4; codecs=x` → `video/mp4`. */
const essence = (t: string | undefined) => (t ?? "").split(";")[0]!.trim().toLowerCase();

const UploadRequest = z.strictObject({
  filename: z.string().trim().min(1).max(255),
  contentType: z.string().transform(essence).refine((t) => ALLOWED_CONTENT_TYPES.includes(t), {
    message: `must be a video or audio type: ${ALLOWED_CONTENT_TYPES.join(", ")}`,
  }),
  size: z.number().int().positive(),
});

const PartsRequest = z.strictObject({ partNumbers: z.array(z.number().int().min(1)).min(1).max(10_000).optional() });
const CompleteRequest = z.strictObject({
  parts: z.array(z.strictObject({ partNumber: z.number().int().min(1), etag: z.string().min(1) })).min(1),
});
const MediaIdParam = z.string().regex(/^[0-9a-z]{26}$/, "mediaId is a 26-character lower-case ULID");

/** Presigned uploads: request (`POST /uploads`), the signed PUT itself, and multipart parts, completion and abort. */
export function uploadsModule(options: UploadOptions = {}): RouteModule {
  const now = options.now ?? Date.now;
  const ttl = options.urlTtlSeconds ?? 15 * 60;
  const threshold = options.multipartThreshold ?? 100 * 1024 ** 2;
  const partSize = options.partSize ?? 16 * 1024 ** 2;

  return {
    routes(ctx: ServerContext): RouteDef[] {
      const store = new UploadStore(ctx.runtime);
      const expiry = () => Math.floor(now() / 1000) + ttl;
      const iso = (expires: number) => new Date(expires * 1000).toISOString();
      const putUrl = (grant: UploadGrant) => `${ctx.baseUrl}/upload/${keyPath(grant.key)}?${signedQuery(ctx.signingKey, grant)}`;

      const session = (mediaIdRaw: string | undefined): UploadRow => {
        const mediaId = MediaIdParam.safeParse(mediaIdRaw);
        const row = mediaId.success ? store.get(mediaId.data) : undefined;
        if (!row) throw new HttpError(404, "not_found", `No upload ${mediaIdRaw}`);
        return row;
      };
      const multipart = (row: UploadRow) => {
        if (row.part_size === null || row.part_count === null) throw new HttpError(409, "not_multipart", "This upload is a single PUT, not multipart");
        if (row.status === "completed" || row.status === "aborted") throw new HttpError(409, `upload_${row.status}`, `The upload is ${row.status}`);
        return { partSize: row.part_size, partCount: row.part_count };
      };
      const partBytes = (row: UploadRow, n: number) => (n < row.part_count! ? row.part_size! : row.size - row.part_size! * (row.part_count! - 1));

      return [
        {
          method: "POST", path: "/uploads", auth: "token",
          async handle({ req, res }) {
            const body = await readJson(req, UploadRequest);
            const max = ctx.config.limits.maxBytes;
            if (body.size > max) throw new HttpError(400, "invalid_request", `size: ${body.size} bytes is over the limit of ${max} bytes`);
            const mediaId = newMediaId(now());
            const key = uploadKey(mediaId, body.filename);
            const expires = expiry();
            if (body.size <= threshold) {
              store.create({ media_id: mediaId, key, filename: body.filename, content_type: body.contentType, size: body.size, part_size: null, part_count: null });
              const url = putUrl({ key, maxBytes: body.size, expires, contentType: body.contentType });
              sendJson(res, 201, { mediaId, key, upload: { mode: "put", url, method: "PUT", headers: { "content-type": body.contentType }, expiresAt: iso(expires) } }, {
                location: `${ctx.baseUrl}/media/${mediaId}`,
              });
              return;
            }
            const partCount = Math.ceil(body.size / partSize);
            if (partCount > 10_000) throw new HttpError(400, "invalid_request", `size: needs ${partCount} parts; at most 10000`);
            store.create({ media_id: mediaId, key, filename: body.filename, content_type: body.contentType, size: body.size, part_size: partSize, part_count: partCount });
            sendJson(res, 201, {
              mediaId,
              key,
              upload: {
                mode: "multipart", url: `${ctx.baseUrl}/uploads/${mediaId}/parts`, method: "POST", expiresAt: iso(expires),
                multipart: { partSize, partCount, complete: `${ctx.baseUrl}/uploads/${mediaId}/complete`, abort: `${ctx.baseUrl}/uploads/${mediaId}` },
              },
            }, { location: `${ctx.baseUrl}/media/${mediaId}` });
          },
        },
        {
          method: "POST", path: "/uploads/:mediaId/parts", auth: "token",
          async handle({ req, res, params }) {
            const row = session(params.mediaId);
            const { partCount } = multipart(row);
            const body = await readJson(req, PartsRequest);
            const numbers = [...new Set(body.partNumbers ?? Array.from({ length: partCount }, (_, i) => i + 1))].sort((a, b) => a - b);
            const bad = numbers.find((n) => n > partCount);
            if (bad !== undefined) throw new HttpError(400, "invalid_request", `partNumbers: part ${bad} is beyond the ${partCount} parts of this upload`);
            const expires = expiry();
            const parts = numbers.map((partNumber) => {
              const grant: UploadGrant = { key: row.key, maxBytes: partBytes(row, partNumber), expires, uploadId: row.upload_id, partNumber };
              return { partNumber, url: putUrl(grant), method: "PUT", offset: (partNumber - 1) * row.part_size!, size: grant.maxBytes };
            });
            sendJson(res, 200, { mediaId: row.media_id, parts, expiresAt: iso(expires) });
          },
        },
        {
          method: "POST", path: "/uploads/:mediaId/complete", auth: "token",
          async handle({ req, res, params }) {
            const row = session(params.mediaId);
            const { partCount } = multipart(row);
            const body = await readJson(req, CompleteRequest);
            const stored = new Map(store.parts(row.media_id).map((p) => [p.part_number, p]));
            const listed = [...body.parts].sort((a, b) => a.partNumber - b.partNumber);
            if (listed.length !== partCount || listed.some((p, i) => p.partNumber !== i + 1)) {
              throw new HttpError(400, "invalid_request", `parts: list every part 1..${partCount} exactly once`);
            }
            for (const p of listed) {
              const have = stored.get(p.partNumber);
              if (!have) throw new HttpError(400, "missing_part", `parts: part ${p.partNumber} was not uploaded`);
              if (have.etag !== p.etag && have.etag !== `"${p.etag}"`) throw new HttpError(400, "etag_mismatch", `parts: part ${p.partNumber} has ETag ${have.etag}`);
            }
            if (!store.transition(row.media_id, ["pending"], "completing")) throw new HttpError(409, "busy", "The upload is being completed or was aborted");
            try {
              const total = listed.reduce((sum, p) => sum + stored.get(p.partNumber)!.size, 0);
              if (total > row.size) throw new HttpError(400, "too_large", `The parts add up to ${total} bytes, over the ${row.size} requested`);
              const file = await store.assemble(row.media_id, listed.map((p) => stored.get(p.partNumber)!));
              const size = await store.place(file, row.key);
              await store.received(row, size);
            } catch (error) {
              store.transition(row.media_id, ["completing"], "pending");
              throw error;
            }
            await store.discard(row.media_id);
            sendJson(res, 200, { mediaId: row.media_id, key: row.key, status: "uploaded" });
          },
        },
        {
          method: "DELETE", path: "/uploads/:mediaId", auth: "token",
          async handle({ res, params }) {
            const row = session(params.mediaId);
            if (row.status === "aborted") return void res.writeHead(204).end();
            if (!store.transition(row.media_id, ["pending"], "aborted")) {
              throw new HttpError(409, row.status === "completed" ? "upload_completed" : "busy", `The upload is ${row.status}`);
            }
            await store.discard(row.media_id);
            res.writeHead(204).end();
          },
        },
        {
          // Public: the signed URL is the authority. The API token is neither needed nor enough.
          method: "PUT", path: "/upload/*key", auth: "none",
          async handle({ req, res, url, params }) {
            const key = params.key!;
            const q = url.searchParams;
            const row = parseUploadKey(key) ? store.byKey(key) : undefined;
            const partNumber = q.has("partNumber") ? Number(q.get("partNumber")) : undefined;
            const grant: UploadGrant = {
              key, maxBytes: Number(q.get("maxBytes")), expires: Number(q.get("expires")),
              ...(partNumber === undefined ? { contentType: row?.content_type ?? "" } : { uploadId: q.get("uploadId") ?? "", partNumber }),
            };
            const check = row && Number.isSafeInteger(grant.maxBytes) && Number.isSafeInteger(grant.expires)
              ? verifyGrant(ctx.signingKey, grant, q.get("sig"), now())
              : ({ ok: false, reason: "signature" } as const);
            if (!check.ok) {
              throw new HttpError(403, check.reason === "expired" ? "url_expired" : "bad_signature",
                check.reason === "expired" ? "The upload URL has expired" : "The upload URL's signature does not match", { connection: "close" });
            }
            const upload = row!;
            if (partNumber === undefined && essence(req.headers["content-type"]) !== upload.content_type) {
              throw new HttpError(403, "content_type_mismatch", `This URL is signed for content-type ${upload.content_type}`, { connection: "close" });
            }
            if (partNumber !== undefined && (grant.uploadId !== upload.upload_id || upload.part_count === null)) {
              throw new HttpError(403, "bad_signature", "The upload URL's signature does not match", { connection: "close" });
            }
            if (partNumber === undefined) await putWhole(upload, grant.maxBytes);
            else await putPart(upload, partNumber, grant.maxBytes);

            async function putWhole(s: UploadRow, maxBytes: number) {
              if (!store.transition(s.media_id, ["pending"], "receiving")) {
                throw new HttpError(409, `upload_${s.status}`, `The upload is ${s.status === "receiving" ? "already being received" : s.status}`, { connection: "close" });
              }
              try {
                const got = await store.receive(req, s.media_id, maxBytes);
                const size = await store.place(got.file, s.key);
                await store.received(s, size);
                await store.discard(s.media_id);
                sendJson(res, 200, { mediaId: s.media_id, key: s.key, size, status: "uploaded" }, { etag: got.etag });
              } catch (error) {
                store.transition(s.media_id, ["receiving"], "pending");
                throw error;
              }
            }

            async function putPart(s: UploadRow, n: number, maxBytes: number) {
              if (s.status !== "pending") throw new HttpError(409, `upload_${s.status}`, `The upload is ${s.status}`, { connection: "close" });
              const got = await store.receive(req, s.media_id, maxBytes);
              // An abort may have removed the directory while the part streamed in: then the part goes too.
              if (store.get(s.media_id)?.status !== "pending") {
                await rm(got.file, { force: true });
                throw new HttpError(409, "upload_aborted", "The upload was aborted or completed meanwhile");
              }
              await rename(got.file, store.partFile(s.media_id, n));
              store.putPart(s.media_id, { part_number: n, etag: got.etag, size: got.size });
              sendJson(res, 200, { mediaId: s.media_id, partNumber: n, etag: got.etag, size: got.size }, { etag: got.etag });
            }
          },
        },
      ];
    },
  };
}
