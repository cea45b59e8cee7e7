import { type MediaProber, type ObjectRef } from "@media-pipeline/core";
import { type SpawnFn } from "./binaries.js";
import { type ByteSource } from "./container.js";
import type { FfmpegBinaries, PathOf } from "./types.js";
export { formatBytes, formatDuration, inspectContainer, type ByteSource, type ContainerCheck } from "./container.js";
/**
 * A source read where it is stored instead of from a local file: ffprobe reads `url` (an http(s) URL,
 * such as an S3 presigned GET) with range requests, and the container checks read byte ranges
 * through `bytes`. Only the header, the index and the last seconds are read, whatever the file's size.
 */
export interface RemoteInput {
    url: string;
    /** The object's size; undefined when it does not exist (yet). */
    sizeBytes: number | undefined;
    bytes: ByteSource;
}
export interface FfprobeProberOptions {
    pathOf: PathOf;
    binaries?: FfmpegBinaries;
    spawn?: SpawnFn;
    /** Probe the object where it is stored (see `RemoteInput`) rather than the file `pathOf` names. */
    remote?: (source: ObjectRef) => Promise<RemoteInput>;
}
/**
 * Probes with ffprobe and turns every way a file can be unusable into a `MediaRejectedError` whose
 * message says what was found and what to do.
 * @example await createFfprobeProber({ pathOf }).probe(source, { maxBytes: 10e9, maxDurationMs: 6 * 3600_000 })
 */
export declare function createFfprobeProber(options: FfprobeProberOptions): MediaProber;
//# sourceMappingURL=probe.d.ts.map