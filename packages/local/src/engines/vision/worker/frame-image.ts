import { readFile } from "node:fs/promises";
import type { Tensor3D } from "@tensorflow/tfjs";
import jpeg from "jpeg-js";
import { NonRetryableError } from "@media-pipeline/core";
import type { DecodedFrame, PathOf } from "@media-pipeline/media";
import type { FrameFile } from "../protocol.js";
import type { Tf } from "./tfjs.js";

/**
 * Frames as the models see them, inside a vision worker: the files the main thread names (FrameFile)
 * read and decoded here, so the pixels never cross threads, then made into tensors.
 */

/** A decoded frame: packed RGB, 3 bytes per pixel, row by row. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Reads and decodes a frame JPEG written by the frame source. A frame that does not decode is bad
 * media, not a passing fault, so it is not retried.
 */
export async function readRgbFrame(frame: DecodedFrame, pathOf: PathOf): Promise<RgbImage> {
  return readFrameFile({ path: pathOf(frame.frame), format: "jpeg", label: `frame at ${frame.timestampMs} ms` });
}

/** Decodes a frame file to RGB; a file that does not decode is bad media (not retried). */
export async function readFrameFile(file: FrameFile): Promise<RgbImage> {
  try {
    const data = await readFile(file.path);
    if (file.format === "ppm") return parsePpm(data);
    const img = jpeg.decode(data, { useTArray: true, formatAsRGBA: false });
    return { data: img.data, width: img.width, height: img.height };
  } catch (err) {
    throw new NonRetryableError(`cannot decode ${file.label} (${file.path})`, { cause: err });
  }
}

/**
 * A binary PPM (P6, maxval 255) as ffmpeg's `ppm` encoder writes it: "P6", width, height and maxval
 * as ASCII separated by whitespace, one whitespace byte, then RGB bytes row by row.
 */
export function parsePpm(data: Uint8Array): RgbImage {
  let offset = 0;
  const fields: string[] = [];
  while (fields.length < 4) {
    while (offset < data.length && isSpace(data[offset])) offset++;
    if (data[offset] === 0x23) {
      while (offset < data.length && data[offset] !== 0x0a) offset++; // a # comment runs to the line end
      continue;
    }
    const start = offset;
    while (offset < data.length && !isSpace(data[offset])) offset++;
    if (offset === start) break;
    fields.push(Buffer.from(data.subarray(start, offset)).toString("latin1"));
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  const pixels = data.subarray(offset + 1);
  if (magic !== "P6" || max !== "255" || !(width > 0 && height > 0) || pixels.length < width * height * 3) {
    throw new Error(`not an 8-bit binary PPM (${fields.join(" ") || "no header"})`);
  }
  return { data: pixels.subarray(0, width * height * 3), width, height };
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

let scratch = new Float32Array(0);

/**
 * An RGB image as a float32 [height, width, 3] tensor with values 0–255. tfjs has no uint8 tensors, so
 * the bytes must be widened; widening into one reused array, rather than letting tfjs allocate a new
 * one per frame (1.8 MB at 512×288), spares the garbage collector most of its work in a vision thread.
 * Safe because the WASM backend copies the values into its own memory when the tensor is made.
 */
export function imageTensor(tf: Tf, img: RgbImage): Tensor3D {
  const size = img.width * img.height * 3;
  if (scratch.length < size) scratch = new Float32Array(size);
  const values = scratch.subarray(0, size);
  for (let i = 0; i < size; i++) values[i] = img.data[i]!;
  return tf.tensor3d(values, [img.height, img.width, 3], "float32");
}
