import { readFile, writeFile } from "node:fs/promises";
import { parentPort } from "node:worker_threads";
import type { PrepReply, PrepRequest, PreparedFrame } from "./prep-protocol.js";
import { cropForReading, decodePgm, encodePgm, extremePixels, findTextLines } from "./regions.js";

/**
 * The text engine's pixel work, in its own thread (prep-thread.ts starts it): finding the probable
 * lines of a decoded frame and writing each for Tesseract to read three ways: contrast-stretched
 * (and upscaled when short), and as its brightest and its darkest pixels.
 * About 45 ms of CPU per 1280×720 frame, which would otherwise block the event loop frame after frame.
 */

/** More probable lines than this in one frame is texture (foliage, gravel): the biggest are read. */
const MAX_LINES_PER_FRAME = 40;

/** Share of a crop's pixels taken as the caption in its extreme-pixel readings (regions.ts extremePixels). */
const EXTREME_SHARE = 0.08;

async function prepare(request: PrepRequest): Promise<PreparedFrame> {
  const image = decodePgm(await readFile(request.framePath));
  const boxes = findTextLines(image)
    .sort((a, b) => (b.x1 - b.x0) * (b.y1 - b.y0) - (a.x1 - a.x0) * (a.y1 - a.y0))
    .slice(0, MAX_LINES_PER_FRAME);
  const crops = await Promise.all(
    boxes.map(async (box, i) => {
      const crop = cropForReading(image, box);
      const variants = { stretched: crop.image, bright: extremePixels(crop.image, EXTREME_SHARE, true), dark: extremePixels(crop.image, EXTREME_SHARE, false) };
      return Promise.all(
        Object.entries(variants).map(async ([name, pixels]) => {
          const path = `${request.cropPrefix}-${i}-${name}.pgm`;
          await writeFile(path, encodePgm(pixels));
          return { path, box, scale: crop.scale };
        }),
      );
    }),
  );
  return { width: image.width, height: image.height, crops: crops.flat() };
}

const port = parentPort;
if (!port) throw new Error("prep-worker.ts runs as a worker thread (prep-thread.ts starts it)");
port.on("message", (request: PrepRequest) => {
  prepare(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies PrepReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: request.id, ok: false, error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) } } satisfies PrepReply);
    },
  );
});
