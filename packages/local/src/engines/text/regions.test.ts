import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { skimageDataDir } from "../../../test-support/test-frames.js";
import { cropForReading, decodePgm, encodePgm, findTextLines, type GrayImage, type PixelBox } from "./regions.js";

const dataDir = skimageDataDir();
if (!dataDir) throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage (see .ci/run)");
const dir = mkdtempSync(join(tmpdir(), "text-regions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 1280×720 grey frame of `background` (a photograph or a lavfi colour) with `filters` drawn on it. */
function frame(background: string, filters: string[]): GrayImage {
  const input = background.startsWith("color=") ? ["-f", "lavfi", "-i", `${background}:s=1280x720`] : ["-i", join(dataDir as string, background)];
  const vf = ["scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720,setsar=1", ...filters, "format=gray"].join(",");
  return decodePgm(execFileSync("ffmpeg", ["-loglevel", "error", ...input, "-vf", vf, "-frames:v", "1", "-c:v", "pgm", "-f", "image2pipe", "-"], { maxBuffer: 1 << 26 }));
}

const caption = (text: string, x: number, y: number, size: number, extra = "") =>
  `drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text='${text}':fontsize=${size}:fontcolor=white:x=${x}:y=${y}${extra}`;

const contains = (outer: PixelBox, inner: PixelBox) => outer.x0 <= inner.x0 && outer.y0 <= inner.y0 && outer.x1 >= inner.x1 && outer.y1 >= inner.y1;

describe("findTextLines", () => {
  it("finds one line around a caption on a plain background, padded, words joined", () => {
    const lines = findTextLines(frame("color=c=0x202830", [caption("Breaking news tonight", 200, 300, 40)]));
    expect(lines).toHaveLength(1);
    // The drawn text spans about 200–640 × 300–345 (DejaVu Sans at 40 px, 21 characters).
    expect(contains(lines[0], { x0: 205, y0: 305, x1: 600, y1: 340 })).toBe(true);
    expect(lines[0].x1 - lines[0].x0).toBeLessThan(560);
    expect(lines[0].y1 - lines[0].y0).toBeLessThan(90);
  });

  it("finds a boxed caption over a photograph among the texture's candidates", () => {
    const lines = findTextLines(frame("coffee.png", [caption("Goal scored in minute 42", 250, 415, 44, ":box=1:boxcolor=black@0.6:boxborderw=11")]));
    expect(lines.some((l) => contains(l, { x0: 255, y0: 420, x1: 700, y1: 455 }) && l.y1 - l.y0 < 120)).toBe(true);
  });

  it("keeps two captions one above the other apart", () => {
    const lines = findTextLines(frame("color=c=0xe8e4d8", [caption("Sale ends Sunday", 100, 100, 48, ":fontcolor=black"), caption("Open every day", 100, 400, 32, ":fontcolor=black")]));
    expect(lines).toHaveLength(2);
    expect(lines[0].y1).toBeLessThan(200);
    expect(lines[1].y0).toBeGreaterThan(350);
  });

  it("finds nothing in a flat frame", () => {
    expect(findTextLines(frame("color=c=0x808080", []))).toEqual([]);
    expect(findTextLines({ width: 2, height: 2, data: new Uint8Array(4) })).toEqual([]);
  });
});

describe("cropForReading", () => {
  const image: GrayImage = { width: 4, height: 2, data: Uint8Array.from([100, 100, 150, 150, 100, 100, 150, 150]) };

  it("stretches a crop's own contrast to the full range", () => {
    const { image: crop, scale } = cropForReading(image, { x0: 0, y0: 0, x1: 4, y1: 2 }, 0);
    expect(scale).toBe(1);
    expect([...crop.data]).toEqual([0, 0, 255, 255, 0, 0, 255, 255]);
  });

  it("upscales a short crop twice, bilinear", () => {
    const { image: crop, scale } = cropForReading(image, { x0: 1, y0: 0, x1: 3, y1: 2 }, 40);
    expect(scale).toBe(2);
    expect([crop.width, crop.height]).toEqual([4, 4]);
    expect([...crop.data.subarray(0, 4)]).toEqual([0, 64, 191, 255]);
  });
});

describe("PGM", () => {
  it("round-trips a grey image, and refuses what is not an 8-bit binary PGM", () => {
    const image: GrayImage = { width: 3, height: 2, data: Uint8Array.from([0, 1, 2, 253, 254, 255]) };
    const back = decodePgm(encodePgm(image));
    expect([back.width, back.height, ...back.data]).toEqual([3, 2, 0, 1, 2, 253, 254, 255]);
    expect(() => decodePgm(Buffer.from("P6\n1 1\n255\nabc"))).toThrow(RangeError);
    expect(() => decodePgm(Buffer.from("P5\n4 4\n255\nab"))).toThrow(/cut short/);
  });
});
