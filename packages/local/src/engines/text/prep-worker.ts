import { readFile, writeFile } from "node:fs/promises";
import { parentPort } from "node:worker_threads";
import type { PrepReply, PrepRequest, PreparedFrame } from "./prep-protocol.js";
import { cropForReading, decodePgm, encodePgm, findTextLines } from "./regions.js";

/**
 * The text engine's pixel work, in its own thread (prep-thread.ts starts it): finding the probable
 * lines of a decoded frame and writing each, contrast-stretched and upscaled, for Tesseract to read.
 * About 45 ms of CPU per 1280×720 frame, which would otherwise block the event loop frame after frame.
 */

/** More probable lines than this in one frame is texture (foliage, gravel): the biggest are read. */
const MAX_LINES_PER_FRAME = 40;

async function prepare(request: PrepRequest): Promise<PreparedFrame> {
  const image = decodePgm(await readFile(request.framePath));
  const boxes = findTextLines(image)
    .sort((a, b) => (b.x1 - b.x0) * (b.y1 - b.y0) - (a.x1 - a.x0) * (a.y1 - a.y0))
    .slice(0, MAX_LINES_PER_FRAME);
  const crops = await Promise.all(
    boxes.map(async (box, i) => {
      const crop = cropForReading(image, box);
      const path = `${request.cropPrefix}-${i}.pgm`;
      await writeFile(path, encodePgm(crop.image));
      return { path, box, scale: crop.scale };
    }),
  );
  return { width: image.width, height: image.height, crops };
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
