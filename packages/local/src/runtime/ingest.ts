import path from "node:path";
import { uploadKey, type Publish } from "@media-pipeline/core";
import type { Store } from "../store/index.js";
import type { LocalConfig } from "./config.js";
import { newMediaId } from "./ids.js";
import type { LocalObjectStore } from "./object-store.js";

export interface IngestDeps {
  config: LocalConfig;
  objects: LocalObjectStore;
  store: Store;
  publish: Publish;
}

export interface IngestOptions {
  /** The name the media item goes by (default: the file's); at most 255 characters. */
  filename?: string;
  contentType?: string;
}

/**
 * Takes a local file in as an upload would: a new mediaId, the bytes copied to the upload key, the
 * media item recorded, then `Media Received` published. Returns the mediaId.
 */
export async function ingestFile(deps: IngestDeps, file: string, options: IngestOptions = {}): Promise<string> {
  const { config, objects, store, publish } = deps;
  const mediaId = newMediaId();
  const filename = (options.filename ?? path.basename(file)).slice(0, 255) || "upload";
  const source = { bucket: config.bucket, key: uploadKey(mediaId, filename) };
  const sizeBytes = await objects.putFile(source, file);
  store.media.insert(mediaId, filename, source.key);
  await publish("Media Received", {
    version: 1, mediaId, correlationId: mediaId, source, filename, sizeBytes,
    ...(options.contentType ? { contentType: options.contentType } : {}),
  });
  return mediaId;
}
