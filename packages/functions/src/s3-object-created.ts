import { EventValidationError, parseUploadKey as parseCoreUploadKey, type MediaId } from "@media-pipeline/core";
import { z } from "zod";

/**
 * S3's "Object Created" event as EventBridge delivers it on the default bus (the bucket needs
 * EventBridge notifications on). Field names are S3's own: `etag`, `version-id`, `request-id`.
 * Unknown fields are stripped, so fields AWS adds later do not break ingest.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * @example see fixtures/s3-object-created.json
 */
export const S3ObjectCreated = z.object({
  version: z.literal("0"),
  id: z.string().min(1),
  "detail-type": z.literal("Object Created"),
  source: z.literal("aws.s3"),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    version: z.literal("0"),
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative(),
      etag: z.string().optional(),
      "version-id": z.string().optional(),
      sequencer: z.string().optional(),
    }),
    "request-id": z.string().optional(),
    requester: z.string().optional(),
    "source-ip-address": z.string().optional(),
    /** `PutObject`, `POST Object`, `CopyObject` or `CompleteMultipartUpload`; kept open for new ones. */
    reason: z.string().optional(),
  }),
});
export type S3ObjectCreated = z.infer<typeof S3ObjectCreated>;

/** Parses a raw Lambda event as S3 "Object Created"; throws `EventValidationError` listing every issue. */
export function parseObjectCreated(raw: unknown): S3ObjectCreated {
  const parsed = S3ObjectCreated.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new EventValidationError(`Not an S3 "Object Created" event: ${issues.join("; ")}`, issues, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Splits an upload key into its mediaId and filename; throws `EventValidationError` for other keys. */
export function parseUploadKey(key: string): { mediaId: MediaId; filename: string } {
  const parsed = parseCoreUploadKey(key);
  if (!parsed) {
    const issue = `detail.object.key: "${key}" is not an upload key (media/<26-character lower-case ULID>/<filename>)`;
    throw new EventValidationError(`Unexpected object key: ${issue}`, [issue]);
  }
  return parsed;
}
