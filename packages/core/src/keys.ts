import { MediaId } from "./events/catalog.js";

/**
 * The storage key layout, in one place for both runtimes and the stacks: uploads land at
 * `media/<mediaId>/<filename>` (the ingest rule listens on this prefix; the key alone identifies the
 * media item) and stage outputs at `derived/<mediaId>/…` (a lifecycle rule can expire them).
 */
export const UPLOAD_PREFIX = "media/";
export const DERIVED_PREFIX = "derived/";

/**
 * A file name made safe for a key: letters, digits, dot, dash and underscore only, so no encoding
 * question arises between S3, EventBridge and a local file system. The original name travels in
 * `Media Received.filename`.
 * @example safeKeyName("Ünïcode talk (final).MP4") === "_n_code_talk_final_.MP4"
 */
export function safeKeyName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? "";
  const safe = base.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "").slice(-100);
  return safe || "upload";
}

/** The key an upload is stored under. */
export function uploadKey(mediaId: string, filename: string): string {
  return `${UPLOAD_PREFIX}${mediaId}/${safeKeyName(filename)}`;
}

const UPLOAD_KEY = /^media\/([^/]+)\/([^/]+)$/;

/** Splits an upload key into its mediaId and file name, or undefined for any other key. */
export function parseUploadKey(key: string): { mediaId: MediaId; filename: string } | undefined {
  const match = UPLOAD_KEY.exec(key);
  const mediaId = MediaId.safeParse(match?.[1]);
  return match && mediaId.success ? { mediaId: mediaId.data, filename: match[2]! } : undefined;
}

/** Where a stage's output for a media item is stored. */
export function derivedKey(mediaId: string, name: string): string {
  return `${DERIVED_PREFIX}${mediaId}/${name}`;
}
