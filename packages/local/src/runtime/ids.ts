import { randomBytes } from "node:crypto";
import { mediaIdFrom } from "@media-pipeline/core";

/** A new mediaId (core's lower-case ULID) from the clock and the process's random source. */
export function newMediaId(now = Date.now()): string {
  return mediaIdFrom(now, randomBytes(16));
}
