import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import type { TextDetection } from "@media-pipeline/core";
import type { PreparedFrame } from "./prep-protocol.js";
import type { PrepThread } from "./prep-thread.js";
import { runTesseract, TextEngineError, type TesseractBinary } from "./tesseract.js";
import { parseTesseractTsv, type TsvLine, type TsvWord } from "./tsv.js";

const run = promisify(execFile);

/**
 * Page segmentation modes (`--psm`): the whole frame as sparse text (11: no page layout is assumed,
 * which suits captions scattered over a picture; 3, automatic layout, found 0.50 of the tuning words
 * against 0.66), and each probable line as one line of text (7).
 */
export const FULL_FRAME_PSM = 11;
export const LINE_PSM = 7;

/** Two readings of one word overlap by more than this share of the smaller box. */
const SAME_WORD_OVERLAP = 0.5;

/**
 * A line of one word with fewer than 3 letters or digits needs this confidence: over photographs,
 * Tesseract reads texture as "A," or "‘2" at 80–85 % in frame after frame of a still background, while
 * a real one- or two-character caption is rare and usually read at 90 % or more.
 */
const SHORT_ALONE_MIN_CONFIDENCE = 90;

/**
 * Two readings' lines further apart than this many line heights are two lines: a word space is about
 * half a height in a proportional font and a whole one in a monospaced font (1 split "Thank you" in
 * Liberation Mono), while captions side by side stand many heights apart.
 */
const LINE_GAP_HEIGHTS = 2;

/** A word in frame pixels, and the line it was read in (`pass:image:line`). */
export interface PlacedWord extends TsvWord {
  line: string;
}

export interface ReadBatchOptions {
  binary: TesseractBinary;
  ffmpegPath: string;
  language: string;
  prep: PrepThread;
  /** Words under this confidence are not reported (after the two readings are reconciled). */
  minConfidence: number;
  signal?: AbortSignal;
}

/** What one frame showed: its lines with their words (ids and parentIds per frame), boxes as ratios. */
export type FrameReading = TextDetection[];

/**
 * Reads a batch of frame JPEGs: one ffmpeg decodes them all to grey (the BT.601 luma: Leptonica's own
 * grey conversion lost yellow and white captions on light photographs, 0.58 of the tuning words against
 * 0.66), the prep thread finds and crops each frame's probable lines, then two tesseract processes read
 * the whole frames and the crops. Where both read a word, the more confident reading wins.
 */
export async function readBatch(files: readonly string[], o: ReadBatchOptions): Promise<FrameReading[]> {
  const dir = await mkdtemp(join(tmpdir(), "mp-text-"));
  try {
    const frames = files.map((_, i) => join(dir, `frame-${i}.pgm`));
    await decodeGray(o.ffmpegPath, files, frames, o.signal);
    const prepared: PreparedFrame[] = [];
    for (const [i, frame] of frames.entries()) prepared.push(await o.prep.cropLines(frame, join(dir, `crop-${i}`), o.signal));

    const words: PlacedWord[][] = files.map(() => []);
    const full = await readList(join(dir, "frames.txt"), frames, FULL_FRAME_PSM, o);
    for (const [i, lines] of full) place(words[i], lines, `frame:${i}`, { x: 0, y: 0, scale: 1 });
    const crops = prepared.flatMap((p, frame) => p.crops.map((crop) => ({ frame, crop })));
    if (crops.length > 0) {
      const read = await readList(
        join(dir, "lines.txt"),
        crops.map((c) => c.crop.path),
        LINE_PSM,
        o,
      );
      for (const [k, lines] of read) {
        const { frame, crop } = crops[k];
        place(words[frame], lines, `crop:${k}`, { x: crop.box.x0, y: crop.box.y0, scale: crop.scale });
      }
    }
    return words.map((w, i) => toDetections(reconcile(w), prepared[i].width, prepared[i].height, o.minConfidence));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Decodes JPEGs to 8-bit grey PGM files, all in one ffmpeg process. */
async function decodeGray(ffmpegPath: string, inputs: readonly string[], outputs: readonly string[], signal?: AbortSignal): Promise<void> {
  const args = ["-nostdin", "-hide_banner", "-loglevel", "error"];
  for (const input of inputs) args.push("-i", `file:${input}`);
  inputs.forEach((_, i) => args.push("-map", `${i}:v:0`, "-frames:v", "1", "-pix_fmt", "gray", "-c:v", "pgm", "-f", "image2", "-update", "1", outputs[i]));
  try {
    await run(ffmpegPath, args, { maxBuffer: 16 * 1024 * 1024, killSignal: "SIGKILL", ...(signal ? { signal } : {}) });
  } catch (cause) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : cause;
    throw new TextEngineError(`ffmpeg could not decode the frames ${inputs.map((f) => basename(f)).join(", ")}`, { cause });
  }
}

async function readList(listFile: string, images: readonly string[], psm: number, o: ReadBatchOptions): Promise<Map<number, TsvLine[]>> {
  await writeFile(listFile, `${images.join("\n")}\n`);
  const tsv = await runTesseract(o.binary, listFile, { psm, language: o.language, ...(o.signal ? { signal: o.signal } : {}) });
  return parseTesseractTsv(tsv);
}

/** Adds a reading's words in frame pixels (undoing the crop's offset and upscaling). */
function place(into: PlacedWord[], lines: readonly TsvLine[], source: string, at: { x: number; y: number; scale: number }): void {
  lines.forEach((l, n) => {
    for (const w of l.words) {
      into.push({ ...w, left: at.x + w.left / at.scale, top: at.y + w.top / at.scale, width: w.width / at.scale, height: w.height / at.scale, line: `${source}:${n}` });
    }
  });
}

/**
 * Keeps, of words read twice at one place (once in the whole frame, once in its line), the more
 * confident. Readings with no letter or digit go first: a crop's edge read as "|" at 95 % would
 * otherwise push out the real word it overlaps.
 */
export function reconcile<W extends TsvWord>(words: readonly W[]): W[] {
  const kept: W[] = [];
  for (const w of words.filter((x) => /[\p{L}\p{N}]/u.test(x.text)).sort((a, b) => b.confidence - a.confidence)) {
    const clash = kept.some((k) => {
      const ix = Math.min(w.left + w.width, k.left + k.width) - Math.max(w.left, k.left);
      const iy = Math.min(w.top + w.height, k.top + k.height) - Math.max(w.top, k.top);
      return ix > 0 && iy > 0 && ix * iy > SAME_WORD_OVERLAP * Math.min(w.width * w.height, k.width * k.height);
    });
    if (!clash) kept.push(w);
  }
  return kept;
}

/**
 * The frame's lines and words as Rekognition shapes them: a LINE per line (its words joined, its box
 * around them, its confidence their mean), then its WORDs with `parentId` = the line's `id`. After
 * reconciling, one drawn line often keeps words from both readings, so lines read in either that
 * overlap or continue each other are one line (see groupLines). Words with no letter or digit, or
 * under `minConfidence`, are left out.
 */
export function toDetections(words: readonly PlacedWord[], width: number, height: number, minConfidence: number): TextDetection[] {
  const kept = words
    .map((w) => ({ ...w, text: trimNoise(w.text) }))
    .filter((w) => w.confidence >= minConfidence && /[\p{L}\p{N}]/u.test(w.text));
  const ratio = (b: { left: number; top: number; width: number; height: number }) => ({
    left: round4(b.left / width),
    top: round4(b.top / height),
    width: round4(b.width / width),
    height: round4(b.height / height),
  });
  const out: TextDetection[] = [];
  const lines = groupLines(kept).filter((ws) => !(ws.length === 1 && alnum(ws[0].text) < 3 && ws[0].confidence < SHORT_ALONE_MIN_CONFIDENCE));
  lines.forEach((ws, i) => {
    const id = i + 1;
    const box = around(ws);
    const confidence = ws.reduce((s, w) => s + w.confidence, 0) / ws.length;
    out.push({ text: ws.map((w) => w.text).join(" "), type: "line", confidence: round1(confidence), box: ratio(box), id });
    for (const w of ws) out.push({ text: w.text, type: "word", confidence: round1(w.confidence), box: ratio(w), parentId: id });
  });
  return out;
}

/**
 * Words into lines, by the line each was read in: two read lines are one when their boxes overlap, or
 * when each one's vertical centre lies within the other and the gap between them is under
 * LINE_GAP_HEIGHTS of the shorter's height. Heights are not compared otherwise: Tesseract boxes a
 * word in a dark caption box as tall as the box. Words left to right, lines top to bottom.
 */
export function groupLines<W extends PlacedWord>(words: readonly W[]): W[][] {
  const bySource = new Map<string, W[]>();
  for (const w of words) {
    const list = bySource.get(w.line);
    if (list) list.push(w);
    else bySource.set(w.line, [w]);
  }
  const groups = [...bySource.values()].map((ws) => ({ words: ws, box: around(ws) }));
  const joins = (a: Box, b: Box) => {
    const ix = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
    const iy = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
    if (ix > 0 && iy > 0) return true;
    const centre = (x: Box) => x.top + x.height / 2;
    const within = (y: number, x: Box) => y >= x.top && y <= x.top + x.height;
    return within(centre(a), b) && within(centre(b), a) && -ix <= LINE_GAP_HEIGHTS * Math.min(a.height, b.height);
  };
  let merged = true;
  while (merged) {
    merged = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        if (!joins(groups[i].box, groups[j].box)) continue;
        groups[i].words.push(...groups[j].words);
        groups[i].box = around(groups[i].words);
        groups.splice(j, 1);
        merged = true;
        break outer;
      }
    }
  }
  return groups.map((g) => g.words.sort((a, b) => a.left - b.left)).sort((a, b) => around(a).top - around(b).top || a[0].left - b[0].left);
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

function around(words: readonly Box[]): Box {
  const left = Math.min(...words.map((w) => w.left));
  const top = Math.min(...words.map((w) => w.top));
  return { left, top, width: Math.max(...words.map((w) => w.left + w.width)) - left, height: Math.max(...words.map((w) => w.top + w.height)) - top };
}

/** Quotes, bars and the like at a word's edges: Tesseract reads glyph edges and texture as them. */
export function trimNoise(text: string): string {
  return text.replace(/^[‘’“”"'`|\\~_^]+|[‘’“”"'`|\\~_^]+$/gu, "");
}

const alnum = (text: string) => (text.match(/[\p{L}\p{N}]/gu) ?? []).length;

const round1 = (v: number) => Math.round(v * 10) / 10;
const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
