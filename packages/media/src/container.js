import { open } from "node:fs/promises";
/*
 * What the probe can tell from a container's own bytes before (and beside) ffprobe: declared sizes
 * against the real file size, end-of-stream marks, and what kind of file it claims to be. Cheap: a
 * 16-byte read per top-level MP4 box, one header read for RIFF, one tail read for Ogg.
 */
const ISO_BOXES = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "styp", "sidx", "moof", "uuid", "meta"]);
/**
 * Checks the sizes a container declares against the file's real size, before ffprobe runs: the
 * top-level MP4/MOV boxes, the RIFF header of WAV/AVI, and the last page of an Ogg file. A box or
 * chunk that claims to reach past the end means the file was cut short, even when the index sits at
 * the front and ffprobe happily reports the full duration (ffprobe's WAV reader silently shortens the
 * duration to what is there; its Ogg reader takes the duration from the last page present).
 */
export async function inspectContainer(path, sizeBytes, options = {}) {
    const handle = typeof path === "string" ? await open(path, "r") : undefined;
    const file = handle ?? path;
    try {
        const header = Buffer.alloc(16);
        const first = await file.read(header, 0, 16, 0);
        const magic = header.toString("latin1", 0, 4);
        if (first.bytesRead >= 12 && magic === "RIFF") {
            const declared = header.readUInt32LE(4) + 8;
            const form = header.toString("latin1", 8, 12).trim();
            const format = form === "WAVE" ? "WAV" : form;
            // Streaming writers leave a 0xFFFFFFFF-ish placeholder: only a plausible size is evidence.
            if (header.readUInt32LE(4) >= 0xfffffff0)
                return { isoBmff: false, format };
            return declared > sizeBytes
                ? { isoBmff: false, format, truncated: `its ${form} header declares ${formatBytes(declared)} but only ${formatBytes(sizeBytes)} are there` }
                : { isoBmff: false, format, verified: true };
        }
        if (magic === "OggS")
            return await inspectOgg(file, sizeBytes);
        const sniffed = sniff(header.subarray(0, first.bytesRead));
        if (sniffed)
            return { isoBmff: false, format: sniffed };
        return await inspectIsoBoxes(file, sizeBytes, header, options.maxBoxes ?? 10_000);
    }
    finally {
        await handle?.close();
    }
}
async function inspectIsoBoxes(file, sizeBytes, header, maxBoxes) {
    let offset = 0;
    let boxes = 0;
    let fragmented = false;
    while (offset < sizeBytes && boxes < maxBoxes) {
        const { bytesRead } = await file.read(header, 0, 16, offset);
        if (bytesRead < 8) {
            return boxes === 0 ? { isoBmff: false } : { isoBmff: true, truncated: `it stops inside a box header at byte ${offset}` };
        }
        const type = header.toString("latin1", 4, 8);
        if (boxes === 0 && !ISO_BOXES.has(type))
            return { isoBmff: false };
        if (!/^[\x20-\x7e]{4}$/.test(type))
            return { isoBmff: true };
        fragmented ||= type === "moof";
        let size = header.readUInt32BE(0);
        if (size === 1) {
            if (bytesRead < 16)
                return { isoBmff: true, truncated: `it stops inside the '${type}' box header` };
            size = Number(header.readBigUInt64BE(8));
        }
        else if (size === 0) {
            return { isoBmff: true }; // "runs to the end of the file": nothing declared to compare
        }
        if (size < 8)
            return { isoBmff: boxes > 0 };
        if (offset + size > sizeBytes) {
            return {
                isoBmff: true,
                truncated: `its '${type}' box declares ${formatBytes(size)} but only ${formatBytes(sizeBytes - offset)} are there`,
            };
        }
        offset += size;
        boxes += 1;
    }
    // A fragmented MP4 cut exactly between fragments still adds up; let the tail read judge it.
    return { isoBmff: boxes > 0, verified: boxes > 0 && offset === sizeBytes && !fragmented };
}
/** Formats whose first bytes say what they are (MP4/MOV and RIFF/Ogg are walked instead). */
function sniff(head) {
    const text = head.toString("latin1", 0, 4);
    if (text.startsWith("ID3"))
        return "MP3";
    if (text === "fLaC")
        return "FLAC";
    if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3)
        return "Matroska/WebM";
    if (text === "#!AM")
        return "AMR";
    if (head.length < 3 || head[0] !== 0xff)
        return undefined;
    const [b1, b2] = [head[1], head[2]];
    // ADTS (raw AAC): 12 sync bits, layer 00. MPEG audio: 11 sync bits, a defined version and layer,
    // a usable bitrate and sample rate (random bytes rarely pass all four).
    if ((b1 & 0xf6) === 0xf0)
        return "AAC (ADTS)";
    if ((b1 & 0xe0) === 0xe0 && (b1 & 0x18) !== 0x08 && (b1 & 0x06) !== 0 && (b2 & 0xf0) !== 0xf0 && (b2 & 0x0c) !== 0x0c)
        return "MP3";
    return undefined;
}
/**
 * Ogg has no declared total, so a cut-short file looks complete to ffprobe (it takes the duration
 * from the last page present). The last page of a complete stream carries the end-of-stream flag
 * (RFC 3533 §6, header_type 0x04): find the page that ends exactly at the end of the file (its CRC
 * must match, so a chance "OggS" inside the data does not count) and look at its flag.
 */
async function inspectOgg(file, sizeBytes) {
    const span = Math.min(sizeBytes, 65_307 + 1024);
    const tail = Buffer.alloc(span);
    await file.read(tail, 0, span, sizeBytes - span);
    const base = sizeBytes - span;
    let lastStart;
    for (let at = tail.lastIndexOf("OggS"); at >= 0; at = at === 0 ? -1 : tail.lastIndexOf("OggS", at - 1)) {
        lastStart ??= at;
        if (at + 27 > span || at + 27 + tail[at + 26] > span)
            continue;
        const segments = tail[at + 26];
        let size = 27 + segments;
        for (let i = 0; i < segments; i += 1)
            size += tail[at + 27 + i];
        if (at + size !== span || !oggCrcMatches(tail.subarray(at, at + size)))
            continue;
        const eos = (tail[at + 5] & 0x04) !== 0;
        if (eos)
            return { isoBmff: false, format: "Ogg", verified: true };
        // Granule position 0 (or -1, "no packet ends here") on the last page: nothing but stream headers.
        const granule = tail.readBigInt64LE(at + 6);
        if (granule <= 0n)
            return { isoBmff: false, format: "Ogg", headersOnly: true };
        return { isoBmff: false, format: "Ogg", truncated: "its last Ogg page is not marked as the end of the stream, so the rest is missing" };
    }
    if (lastStart === undefined)
        return { isoBmff: false, format: "Ogg" };
    return { isoBmff: false, format: "Ogg", truncated: `it stops inside an Ogg page at byte ${base + lastStart}` };
}
let crcTable;
/** Ogg's CRC-32 (polynomial 0x04c11db7, unreflected, initial 0) over the page with its CRC field zeroed. */
function oggCrcMatches(page) {
    crcTable ??= Uint32Array.from({ length: 256 }, (_, i) => {
        let r = i << 24;
        for (let k = 0; k < 8; k += 1)
            r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
        return r >>> 0;
    });
    const stored = page.readUInt32LE(22);
    let crc = 0;
    for (let i = 0; i < page.length; i += 1) {
        const byte = i >= 22 && i < 26 ? 0 : page[i];
        crc = ((crc << 8) ^ crcTable[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
    }
    return crc === stored;
}
export function formatBytes(bytes) {
    if (bytes < 1024)
        return `${bytes} bytes`;
    const units = ["KB", "MB", "GB", "TB"];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit += 1;
    }
    return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
export function formatDuration(ms) {
    const seconds = ms / 1000;
    if (seconds < 60)
        return `${Math.round(seconds * 10) / 10} s`;
    if (seconds < 3600)
        return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    const hours = seconds / 3600;
    if (hours < 24 * 365)
        return `${Math.floor(hours)} h ${Math.round((seconds % 3600) / 60)} min`;
    return `${Math.round(hours / (24 * 365))} years`;
}
//# sourceMappingURL=container.js.map