import { formatBytes, MAX_UPLOAD_BYTES } from "@media-pipeline/core";
import { ConfigurationError } from "../errors.js";

/**
 * Content types an upload may declare: the containers and codecs the probe stage can read (ffprobe),
 * video and audio only. The declared type is pinned in the presigned policy, so S3 stores exactly it.
 */
export const ALLOWED_CONTENT_TYPES = [
  "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo", "video/mpeg", "video/ogg", "video/3gpp",
  "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/wav", "audio/x-wav", "audio/wave", "audio/flac", "audio/x-flac",
  "audio/ogg", "audio/opus", "audio/webm",
] as const;

const MiB = 1024 ** 2;

/** S3's multipart rules: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them. */
export const S3_MULTIPART = { minPartSize: 5 * MiB, maxPartSize: 5 * 1024 * MiB, maxParts: 10_000 } as const;
/** S3 takes at most 5 GiB in one POST or PUT; above that only multipart works. */
export const S3_MAX_SINGLE_UPLOAD = 5 * 1024 * MiB;

/**
 * Days after which S3 aborts an incomplete multipart upload: the bucket's `abort-incomplete-uploads`
 * lifecycle rule (stacks/storage.ts). A multipart upload's `expiresAt` is this far from its start.
 */
export const MULTIPART_ABANDON_DAYS = 7;

export interface UploadSettings {
  /**
   * Largest upload accepted (bytes): core's `MAX_UPLOAD_BYTES`, or a lower `MAX_BYTES`, which is the
   * probe's limit too, so nothing passes one and fails the other.
   */
  maxBytes: number;
  /** Declared sizes above this use a multipart upload; at or below, one presigned POST. */
  multipartThreshold: number;
  /** Smallest part size; grown when the file would otherwise need more than 10,000 parts. */
  partSize: number;
  /** Lifetime of a presigned POST and of each presigned part URL (seconds). */
  urlExpiresSeconds: number;
  /** Lifetime of the presigned GET links to results that `GET /media/{mediaId}` returns (seconds). */
  linkExpiresSeconds: number;
}

/**
 * | variable                      | default             |
 * |-------------------------------|---------------------|
 * | MAX_BYTES                     | MAX_UPLOAD_BYTES (8 GB; lower only) |
 * | UPLOAD_MULTIPART_THRESHOLD    | 100 MiB             |
 * | UPLOAD_PART_SIZE              | 16 MiB              |
 * | UPLOAD_URL_EXPIRES_SECONDS    | 3600                |
 * | RESULT_LINK_EXPIRES_SECONDS   | 900                 |
 *
 * Every problem is listed at once, at cold start.
 */
export function readUploadSettings(env: Record<string, string | undefined>): UploadSettings {
  const issues: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) issues.push(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
    return n;
  };
  const settings: UploadSettings = {
    // Lower only: the functions' /tmp is sized for core's cap (packages/core/src/policy/limits.ts).
    maxBytes: int("MAX_BYTES", MAX_UPLOAD_BYTES, 1, MAX_UPLOAD_BYTES),
    multipartThreshold: int("UPLOAD_MULTIPART_THRESHOLD", 100 * MiB, S3_MULTIPART.minPartSize, S3_MAX_SINGLE_UPLOAD),
    partSize: int("UPLOAD_PART_SIZE", 16 * MiB, S3_MULTIPART.minPartSize, S3_MULTIPART.maxPartSize),
    // SigV4 presigned URLs live at most 7 days.
    urlExpiresSeconds: int("UPLOAD_URL_EXPIRES_SECONDS", 3600, 60, 7 * 86_400),
    linkExpiresSeconds: int("RESULT_LINK_EXPIRES_SECONDS", 900, 60, 7 * 86_400),
  };
  if (issues.length) throw new ConfigurationError(`Invalid upload settings: ${issues.join("; ")}`, issues);
  return settings;
}

/** The part size for a file: the configured one, grown (in whole MiB) to stay within 10,000 parts. */
export function planParts(size: number, partSize: number): { partSize: number; partCount: number } {
  const needed = Math.ceil(size / S3_MULTIPART.maxParts / MiB) * MiB;
  const chosen = Math.max(partSize, needed);
  return { partSize: chosen, partCount: Math.ceil(size / chosen) };
}

/** The refusal of a declared size over the cap, for the `size` field. */
export function tooLargeMessage(maxBytes: number): string {
  const cap = maxBytes === MAX_UPLOAD_BYTES
    ? "the largest upload the pipeline analyses (Rekognition Video takes at most 10 GB, and a function that copies the file to /tmp needs room beside it)"
    : "this deployment's MAX_BYTES";
  return `must be at most ${maxBytes} bytes (${formatBytes(maxBytes)}), ${cap}`;
}
