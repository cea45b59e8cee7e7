import type { DetailOf, Publish } from "@media-pipeline/core";
import { parseObjectCreated, parseUploadKey } from "./s3-object-created.js";

export interface IngestDeps {
  publish: Publish;
}

/**
 * Turns S3 "Object Created" (default bus) into `Media Received` (media bus), so that every consumer
 * subscribes to the pipeline's own events in one place.
 *
 * S3 delivers at least once, so the same upload can arrive twice; both are forwarded and the probe
 * stage dedupes on (mediaId, stage). The mediaId doubles as the correlationId: an upload starts the
 * flow that every later event belongs to.
 *
 * @example
 * const handler = createIngestHandler({ publish: createEventBridgePublish({ client, eventBusName }) });
 */
export function createIngestHandler({ publish }: IngestDeps) {
  return async (event: unknown): Promise<DetailOf<"Media Received">> => {
    const { detail } = parseObjectCreated(event);
    const { mediaId, filename } = parseUploadKey(detail.object.key);
    const received: DetailOf<"Media Received"> = {
      version: 1,
      mediaId,
      correlationId: mediaId,
      source: { bucket: detail.bucket.name, key: detail.object.key },
      filename,
      sizeBytes: detail.object.size,
    };
    await publish("Media Received", received);
    console.info(JSON.stringify({ message: "Media Received", mediaId, key: detail.object.key, reason: detail.reason }));
    return received;
  };
}
