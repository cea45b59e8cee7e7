/**
 * Finds where lines of text probably are in a grey frame, so that each can be read on its own.
 *
 * Why: Tesseract binarizes a page with one global (Otsu) threshold, which suits a scanned page and
 * fails on a video frame: white captions over a bright photograph, a dark box over a red saucer, all
 * fall on the wrong side of one threshold, and whole lines are never read (on the tuning frames a
 * line in a dark box was missed at full frame and read at 96 % once cropped). Cropping each probable
 * line, stretching its contrast and reading it alone gives every line its own threshold.
 *
 * The detector is the classic one for overlaid text: strong local contrast (a 3×3 morphological
 * gradient) in short horizontal runs (a closing wider than tall) grouped into boxes, neighbouring boxes
 * of about the same height on about the same baseline joined into lines, and only line-shaped results
 * (wider than twice their height) kept. Scene text at an angle and very thin fonts slip through it;
 * the full-frame pass (tesseract.ts) still sees those.
 */

/** An 8-bit grey image, row by row. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A rectangle in pixels: [x0, y0) to [x1, y1). */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The detector's settings, tuned on the tuning frames only (see text-frames.ts): at 1280×720 a
 * gradient threshold of 60 found 43 of 48 drawn lines; 45 let texture merge into the lines, 80 lost
 * thin fonts. A closing 9 px wide joins letters, not words (words are joined when grouping lines).
 */
export const REGION_SETTINGS = {
  gradientThreshold: 60,
  closeWidth: 9,
  /** Joined into one line: vertical overlap ≥ half the smaller height, heights within 2.2×, gap < 1.5 heights. */
  joinGapHeights: 1.5,
  minHeight: 8,
  /** A line taller than this share of the frame is a textured area, not text. */
  maxHeightShare: 0.25,
  minAspect: 2,
  /** Margin around a line, in line heights (plus 2 px): Tesseract reads poorly up to the glyph edge. */
  padHeights: 0.3,
} as const;

/** Probable text lines of a grey frame, padded for reading, top to bottom. */
export function findTextLines(image: GrayImage, settings = REGION_SETTINGS): PixelBox[] {
  const { width: w, height: h } = image;
  if (w < 3 || h < 3) return [];
  const gradient = morphologicalGradient(image);
  let mask: Uint8Array = new Uint8Array(w * h);
  for (let i = 0; i < mask.length; i++) mask[i] = gradient[i] > settings.gradientThreshold ? 1 : 0;
  // Closing (letters into runs), then an opening that removes isolated specks of texture.
  mask = erode(dilate(mask, w, h, settings.closeWidth, 3), w, h, settings.closeWidth, 3);
  mask = dilate(erode(mask, w, h, 3, 3), w, h, 3, 3);
  const maxHeight = settings.maxHeightShare * h;
  const pieces = components(mask, w, h).filter((b) => b.y1 - b.y0 >= 6 && b.y1 - b.y0 <= maxHeight);
  const lines = joinLines(pieces, settings.joinGapHeights);
  return lines
    .filter((b) => {
      const bh = b.y1 - b.y0;
      return bh >= settings.minHeight && bh <= maxHeight && b.x1 - b.x0 >= settings.minAspect * bh;
    })
    .map((b) => {
      const pad = Math.floor(settings.padHeights * (b.y1 - b.y0)) + 2;
      return { x0: Math.max(0, b.x0 - pad), y0: Math.max(0, b.y0 - pad), x1: Math.min(w, b.x1 + pad), y1: Math.min(h, b.y1 + pad) };
    })
    .sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
}

/** Local contrast: the 3×3 maximum minus the 3×3 minimum (row pass, then column pass). */
function morphologicalGradient(image: GrayImage): Uint8Array {
  const { width: w, height: h, data } = image;
  const hiRow = new Uint8Array(w * h);
  const loRow = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const a = data[o + (x > 0 ? x - 1 : 0)];
      const b = data[o + x];
      const c = data[o + (x < w - 1 ? x + 1 : x)];
      const hi = a > b ? a : b;
      const lo = a < b ? a : b;
      hiRow[o + x] = hi > c ? hi : c;
      loRow[o + x] = lo < c ? lo : c;
    }
  }
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const up = (y > 0 ? y - 1 : 0) * w;
    const o = y * w;
    const down = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) {
      let hi = hiRow[up + x];
      let lo = loRow[up + x];
      const h1 = hiRow[o + x];
      const h2 = hiRow[down + x];
      const l1 = loRow[o + x];
      const l2 = loRow[down + x];
      if (h1 > hi) hi = h1;
      if (h2 > hi) hi = h2;
      if (l1 < lo) lo = l1;
      if (l2 < lo) lo = l2;
      out[o + x] = hi - lo;
    }
  }
  return out;
}

/** Binary dilation by a kw×kh rectangle (separable: a row pass, then a column pass). */
function dilate(mask: Uint8Array, w: number, h: number, kw: number, kh: number): Uint8Array {
  return slideColumns(slideRows(mask, w, h, kw, 1), w, h, kh, 1);
}

/** Binary erosion by a kw×kh rectangle; outside the frame counts as set, so text at an edge survives. */
function erode(mask: Uint8Array, w: number, h: number, kw: number, kh: number): Uint8Array {
  return slideColumns(slideRows(mask, w, h, kw, 0), w, h, kh, 0);
}

/*
 * Sliding windows of `k` pixels along rows, then along columns: dilation sets a pixel when any in its
 * window is set (`want` 1); erosion clears it when any is unset (`want` 0). Pixels outside the frame
 * count for neither, so text touching an edge is not eroded away. O(1) per pixel whatever k; the
 * column pass walks whole rows at a time, which keeps memory access sequential.
 */
function slideRows(mask: Uint8Array, w: number, h: number, k: number, want: 0 | 1): Uint8Array {
  const out = new Uint8Array(w * h);
  const before = (k - 1) >> 1;
  const after = k - 1 - before;
  const hit = want === 1 ? 1 : 0;
  const miss = 1 - hit;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let count = 0;
    for (let i = 0; i <= after && i < w; i++) if (mask[o + i] === want) count++;
    for (let x = 0; x < w; x++) {
      out[o + x] = count > 0 ? hit : miss;
      if (x - before >= 0 && mask[o + x - before] === want) count--;
      if (x + after + 1 < w && mask[o + x + after + 1] === want) count++;
    }
  }
  return out;
}

function slideColumns(mask: Uint8Array, w: number, h: number, k: number, want: 0 | 1): Uint8Array {
  const out = new Uint8Array(w * h);
  const before = (k - 1) >> 1;
  const after = k - 1 - before;
  const hit = want === 1 ? 1 : 0;
  const miss = 1 - hit;
  const count = new Int32Array(w);
  for (let i = 0; i <= after && i < h; i++) for (let x = 0; x < w; x++) if (mask[i * w + x] === want) count[x]++;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const leaving = (y - before) * w;
    const entering = (y + after + 1) * w;
    const hasLeaving = y - before >= 0;
    const hasEntering = y + after + 1 < h;
    for (let x = 0; x < w; x++) {
      out[o + x] = count[x] > 0 ? hit : miss;
      if (hasLeaving && mask[leaving + x] === want) count[x]--;
      if (hasEntering && mask[entering + x] === want) count[x]++;
    }
  }
  return out;
}

/** Bounding boxes of the 4-connected components of a mask. */
function components(mask: Uint8Array, w: number, h: number): PixelBox[] {
  const label = new Int32Array(w * h);
  const boxes: PixelBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    const id = boxes.length + 1;
    const box = { x0: w, y0: h, x1: 0, y1: 0 };
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop() as number;
      const x = p % w;
      const y = (p - x) / w;
      if (x < box.x0) box.x0 = x;
      if (x + 1 > box.x1) box.x1 = x + 1;
      if (y < box.y0) box.y0 = y;
      if (y + 1 > box.y1) box.y1 = y + 1;
      if (x > 0 && mask[p - 1] && !label[p - 1]) (label[p - 1] = id), stack.push(p - 1);
      if (x < w - 1 && mask[p + 1] && !label[p + 1]) (label[p + 1] = id), stack.push(p + 1);
      if (y > 0 && mask[p - w] && !label[p - w]) (label[p - w] = id), stack.push(p - w);
      if (y < h - 1 && mask[p + w] && !label[p + w]) (label[p + w] = id), stack.push(p + w);
    }
    boxes.push(box);
  }
  return boxes;
}

/** Joins boxes on about the same baseline, of about the same height and close together, until none join. */
function joinLines(pieces: readonly PixelBox[], gapHeights: number): PixelBox[] {
  let boxes = pieces.map((b) => ({ ...b }));
  let changed = true;
  while (changed) {
    changed = false;
    boxes.sort((a, b) => a.x0 - b.x0 || a.y0 - b.y0);
    const out: PixelBox[] = [];
    for (const b of boxes) {
      const into = out.find((o) => {
        const hb = b.y1 - b.y0;
        const ho = o.y1 - o.y0;
        const overlap = Math.min(b.y1, o.y1) - Math.max(b.y0, o.y0);
        const gap = Math.max(b.x0, o.x0) - Math.min(b.x1, o.x1);
        return overlap >= 0.5 * Math.min(hb, ho) && Math.max(hb, ho) < 2.2 * Math.min(hb, ho) && gap < gapHeights * Math.max(hb, ho);
      });
      if (into) {
        into.x0 = Math.min(into.x0, b.x0);
        into.y0 = Math.min(into.y0, b.y0);
        into.x1 = Math.max(into.x1, b.x1);
        into.y1 = Math.max(into.y1, b.y1);
        changed = true;
      } else out.push(b);
    }
    boxes = out;
  }
  return boxes;
}

/**
 * One line cut out for reading: its contrast stretched (2nd to 98th percentile to 0–255, so its own
 * text and background span the range) and, when short, upscaled so glyphs reach the ~20 px x-height
 * Tesseract reads best (bilinear; on the tuning frames ×2 under 40 px recovered the 22 px captions).
 */
export function cropForReading(image: GrayImage, box: PixelBox, upscaleBelow = 40, factor = 2): { image: GrayImage; scale: number } {
  const cw = box.x1 - box.x0;
  const ch = box.y1 - box.y0;
  const histogram = new Uint32Array(256);
  for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) histogram[image.data[y * image.width + x]]++;
  const lo = percentile(histogram, cw * ch, 0.02);
  const hi = percentile(histogram, cw * ch, 0.98);
  const span = Math.max(1, hi - lo);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - lo) * 255) / span)));
  const scale = ch < upscaleBelow ? factor : 1;
  const ow = Math.round(cw * scale);
  const oh = Math.round(ch * scale);
  const out = new Uint8Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(ch - 1, Math.max(0, (y + 0.5) / scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(ch - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(cw - 1, Math.max(0, (x + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(cw - 1, x0 + 1);
      const fx = sx - x0;
      const at = (xx: number, yy: number) => lut[image.data[(box.y0 + yy) * image.width + box.x0 + xx]];
      const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
      const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
      out[y * ow + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { image: { width: ow, height: oh, data: out }, scale };
}

/**
 * The crop's brightest (or darkest) `share` of pixels as black on white, the rest white. A caption is
 * the extreme of its crop (white or yellow letters, their outline or shadow, over a photograph), while
 * Tesseract's own Otsu threshold on the crop often splits the photograph instead: on the tuning frames
 * reading these as well raised word recall from 0.71 to 0.85 at precision 0.90 (8 % for both; 5 % and
 * 10 % did as well, 15 % less). The dark one is for dark text over a bright picture.
 */
export function extremePixels(image: GrayImage, share: number, bright: boolean): GrayImage {
  const histogram = new Uint32Array(256);
  for (const v of image.data) histogram[v]++;
  const threshold = percentile(histogram, image.data.length, bright ? 1 - share : share);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (bright ? image.data[i] >= threshold : image.data[i] <= threshold) ? 0 : 255;
  return { width: image.width, height: image.height, data: out };
}

function percentile(histogram: Uint32Array, total: number, q: number): number {
  const target = q * total;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v];
    if (seen > target) return v;
  }
  return 255;
}

/** A binary PGM (P5), which Tesseract (Leptonica) reads directly. */
export function encodePgm(image: GrayImage): Buffer {
  const header = Buffer.from(`P5\n${image.width} ${image.height}\n255\n`, "latin1");
  return Buffer.concat([header, Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)]);
}

/** Reads a binary PGM (P5, 8-bit), as ffmpeg writes it. */
export function decodePgm(data: Buffer): GrayImage {
  const header = /^P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString("latin1"));
  if (!header || Number(header[3]) !== 255) throw new RangeError("not an 8-bit binary PGM");
  const width = Number(header[1]);
  const height = Number(header[2]);
  const start = header[0].length;
  if (data.length < start + width * height) throw new RangeError(`PGM of ${width}×${height} cut short at ${data.length} bytes`);
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset + start, width * height) };
}
