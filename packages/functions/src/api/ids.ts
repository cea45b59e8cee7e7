import { randomBytes } from "node:crypto";
import { mediaIdFrom } from "@media-pipeline/core";

/** A new mediaId (core's lower-case ULID) from the clock and the process's random source. */
export function newMediaId(now = Date.now(), random: (n: number) => Uint8Array = randomBytes): string {
  return mediaIdFrom(now, random(16));
}
