import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { derivedKey, DERIVED_PREFIX, Report, type StageRecord, type StateStore } from "@media-pipeline/core";
import { renderReportHtml } from "@media-pipeline/web";
import { HttpError, notFound } from "./http.js";
import type { UploadRecord, UploadRecords } from "./upload-records.js";

/** A stored result a stage's events refer to, with a presigned GET link. */
export interface ResultLink {
  /** The event that referred to it and the field, e.g. `Audio Extracted.audio`. */
  from: string;
  bucket: string;
  key: string;
  url: string;
}

export interface StageStatus {
  stage: string;
  status: StageRecord["status"];
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  /** The detail-types the stage published. */
  events: string[];
  error?: { name: string; message: string };
  results: ResultLink[];
}

/**
 * `GET /media/{mediaId}`.
 * `status`: `awaiting-upload` (requested, nothing stored yet), `aborted`, `processing`,
 * `rejected` (probe refused the media), `failed` (the report stage failed), `completed`.
 */
export interface MediaStatus {
  mediaId: string;
  status: "awaiting-upload" | "aborted" | "processing" | "rejected" | "failed" | "completed";
  upload?: Pick<UploadRecord, "filename" | "contentType" | "size" | "mode" | "status" | "createdAt" | "key">;
  stages: StageStatus[];
  links: { self: string; report?: string };
  /** When the presigned result links stop working. */
  linksExpireAt: string;
}

export interface MediaApiDeps {
  s3: S3Client;
  state: StateStore;
  records: UploadRecords;
  bucket: string;
  linkExpiresSeconds: number;
  now?: () => number;
}

/** `{ bucket, key }` values anywhere in an event detail (results travel by reference). */
function references(detail: unknown, path: string, out: Array<{ field: string; bucket: string; key: string }>) {
  if (!detail || typeof detail !== "object") return out;
  const d = detail as Record<string, unknown>;
  if (typeof d.bucket === "string" && typeof d.key === "string") out.push({ field: path, bucket: d.bucket, key: d.key });
  else for (const [k, v] of Object.entries(d)) references(v, path ? `${path}.${k}` : k, out);
  return out;
}

function overall(records: StageRecord[], upload: UploadRecord | undefined): MediaStatus["status"] {
  const of = (stage: string) => records.find((r) => r.stage === stage);
  const report = of("complete-analysis");
  if (report?.status === "done") return "completed";
  if (report?.status === "failed") return "failed";
  const probe = of("probe");
  if (probe?.output?.events.some((e) => e.type === "Media Rejected") || probe?.status === "failed") return "rejected";
  if (records.length) return "processing";
  return upload?.status === "aborted" ? "aborted" : "awaiting-upload";
}

/**
 * The media routes: progress from the state table, results from S3.
 * @example const media = createMediaApi({ s3, state, records, bucket, linkExpiresSeconds: 900 })
 */
export function createMediaApi(deps: MediaApiDeps) {
  const { s3, state, records, bucket, linkExpiresSeconds, now = () => Date.now() } = deps;

  // Only our bucket's outputs of this media item: an event can never make the API sign another key.
  const ours = (mediaId: string, ref: { bucket: string; key: string }) => ref.bucket === bucket && ref.key.startsWith(`${DERIVED_PREFIX}${mediaId}/`);

  async function links(mediaId: string, record: StageRecord): Promise<ResultLink[]> {
    const refs = (record.output?.events ?? []).flatMap((e) => references(e.detail, "", []).map((r) => ({ ...r, from: `${e.type}.${r.field}` })));
    const unique = refs.filter((r, i) => ours(mediaId, r) && refs.findIndex((o) => o.key === r.key) === i);
    return Promise.all(
      unique.map(async (r) => ({
        from: r.from,
        bucket: r.bucket,
        key: r.key,
        url: await getSignedUrl(s3, new GetObjectCommand({ Bucket: r.bucket, Key: r.key }), { expiresIn: linkExpiresSeconds }),
      })),
    );
  }

  return {
    /** `GET /media/{mediaId}` → 200, or 404 for a media item neither requested nor processed here. */
    async status(mediaId: string, base: string): Promise<MediaStatus> {
      const [upload, stages] = await Promise.all([records.get(mediaId), state.list(mediaId)]);
      if (!upload && !stages.length) throw notFound(mediaId);
      const self = `${base}/media/${mediaId}`;
      const status = overall(stages, upload);
      return {
        mediaId,
        status,
        ...(upload
          ? { upload: { filename: upload.filename, contentType: upload.contentType, size: upload.size, mode: upload.mode, status: upload.status, createdAt: upload.createdAt, key: upload.key } }
          : {}),
        stages: await Promise.all(
          stages.map(async (r) => ({
            stage: r.stage,
            status: r.status,
            attempts: r.attempts,
            ...(r.startedAt ? { startedAt: r.startedAt } : {}),
            ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
            events: (r.output?.events ?? []).map((e) => e.type),
            ...(r.error ? { error: r.error } : {}),
            results: await links(mediaId, r),
          })),
        ),
        links: { self, ...(status === "completed" ? { report: `${self}/report` } : {}) },
        linksExpireAt: new Date(now() + linkExpiresSeconds * 1000).toISOString(),
      };
    },

    /**
     * `GET /media/{mediaId}/report` → the report JSON; 404 for unknown media or a report not written yet.
     * The state decides first: without s3:ListBucket (not granted) S3 answers a missing key with 403,
     * indistinguishable from a real denial.
     */
    async report(mediaId: string): Promise<string> {
      const [upload, stages] = await Promise.all([records.get(mediaId), state.list(mediaId)]);
      if (!upload && !stages.length) throw notFound(mediaId);
      const done = stages.find((r) => r.stage === "complete-analysis" && r.status === "done");
      if (!done) throw new HttpError(404, "report_not_ready", `The report of ${mediaId} is not ready (status: ${overall(stages, upload)})`);
      const ref = done.output?.events.flatMap((e) => references(e.detail, "", [])).find((r) => ours(mediaId, r) && r.key.endsWith(".json"));
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ref?.key ?? derivedKey(mediaId, "report.json") }));
        return await object.Body!.transformToString("utf8");
      } catch (error) {
        // derived/ expires (the bucket's lifecycle rule) while the state may still remember the item.
        if ((error as { name?: string }).name === "NoSuchKey") throw new HttpError(404, "report_expired", `The report of ${mediaId} has expired`, [], { cause: error });
        throw error;
      }
    },

    /**
     * `GET /media/{mediaId}/captions.vtt` or `.srt` → the caption file make-captions stored; 404 for
     * unknown media or captions not made (yet, or at all: media without audio).
     */
    async captions(mediaId: string, format: "vtt" | "srt"): Promise<string> {
      const [upload, stages] = await Promise.all([records.get(mediaId), state.list(mediaId)]);
      if (!upload && !stages.length) throw notFound(mediaId);
      const done = stages.find((r) => r.stage === "make-captions" && r.status === "done");
      if (!done) throw new HttpError(404, "captions_not_ready", `The captions of ${mediaId} are not ready (status: ${overall(stages, upload)})`);
      const ref = done.output?.facts?.[format] as { bucket: string; key: string } | undefined;
      // Only our own derived files of this media item, whatever the record says.
      const key = ref && ours(mediaId, ref) ? ref.key : derivedKey(mediaId, `captions.${format}`);
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await object.Body!.transformToString("utf8");
      } catch (error) {
        if ((error as { name?: string }).name === "NoSuchKey") throw new HttpError(404, "captions_expired", `The captions of ${mediaId} have expired`, [], { cause: error });
        throw error;
      }
    },

    /**
     * `GET /media/{mediaId}/report.html` → the same self-contained page the local runtime writes, with
     * the keyframes (`s3://` references in the cloud report) inlined from our bucket.
     */
    async reportHtml(mediaId: string): Promise<string> {
      const report = Report.parse(JSON.parse(await this.report(mediaId)));
      const images = new Map<string, string>();
      for (const shot of report.shots) {
        const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(shot.keyframe);
        // Keyframes sit under derived/frames/<mediaId>/ (see cloud-stages FRAMES_PREFIX); nothing else is read.
        if (!m || m[1] !== bucket || !m[2]!.startsWith(`${DERIVED_PREFIX}frames/${mediaId}/`)) continue;
        try {
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: m[2]! }));
          images.set(shot.keyframe, `data:image/jpeg;base64,${Buffer.from(await object.Body!.transformToByteArray()).toString("base64")}`);
        } catch {
          // A missing keyframe shows as "No keyframe" on the page; the report itself is what matters.
        }
      }
      return renderReportHtml(report, { embedImage: (p) => images.get(p) });
    },
  };
}

export type MediaApi = ReturnType<typeof createMediaApi>;
