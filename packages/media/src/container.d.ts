export interface ContainerCheck {
    /** An MP4/MOV/M4A (ISO base media) box structure. */
    isoBmff: boolean;
    /** The declared sizes (or Ogg's end-of-stream mark) were checked to the end of the file: nothing is missing. */
    verified?: boolean;
    /** Why the file is cut short, in words. */
    truncated?: string;
    /** The kind of file its first bytes announce ("MP3", "Ogg", …), for messages when ffprobe cannot read it. */
    format?: string;
    /** An Ogg file that holds its stream headers and not one page of media (granule position 0 throughout the tail). */
    headersOnly?: boolean;
}
/**
 * Random access to the bytes of a file, local (a `FileHandle`) or remote (HTTP range requests on a
 * presigned URL), so the checks below read only the few bytes they need from either.
 */
export interface ByteSource {
    read(buffer: Buffer, offset: number, length: number, position: number): Promise<{
        bytesRead: number;
    }>;
}
/**
 * Checks the sizes a container declares against the file's real size, before ffprobe runs: the
 * top-level MP4/MOV boxes, the RIFF header of WAV/AVI, and the last page of an Ogg file. A box or
 * chunk that claims to reach past the end means the file was cut short, even when the index sits at
 * the front and ffprobe happily reports the full duration (ffprobe's WAV reader silently shortens the
 * duration to what is there; its Ogg reader takes the duration from the last page present).
 */
export declare function inspectContainer(path: string | ByteSource, sizeBytes: number, options?: {
    maxBoxes?: number;
}): Promise<ContainerCheck>;
export declare function formatBytes(bytes: number): string;
export declare function formatDuration(ms: number): string;
//# sourceMappingURL=container.d.ts.map