import { describe, expect, it } from "vitest";
import { groupLines, type PlacedWord, reconcile, toDetections, trimNoise } from "./read-batch.js";

const word = (text: string, left: number, top: number, width: number, height: number, confidence = 95, line = "frame:0:0"): PlacedWord => ({
  text, left, top, width, height, confidence, line,
});

describe("reconciling the whole-frame and per-line readings", () => {
  it("keeps the more confident reading of a word read twice, and both readings' other words", () => {
    const full = [word("Breakinq", 100, 400, 120, 40, 71, "frame:0:0"), word("news", 240, 402, 70, 38, 95, "frame:0:0")];
    const line = [word("Breaking", 101, 399, 121, 41, 96, "crop:0:0")];
    expect(reconcile([...full, ...line]).map((w) => w.text).sort()).toEqual(["Breaking", "news"]);
  });

  it("never lets a confident bar or quote at a crop's edge push out the word under it", () => {
    const kept = reconcile([word("|", 100, 400, 8, 40, 97, "crop:0:0"), word("Traffic", 100, 400, 110, 40, 90, "frame:0:0")]);
    expect(kept.map((w) => w.text)).toEqual(["Traffic"]);
  });
});

describe("lines from the kept words", () => {
  it("joins one drawn line's words from both readings, and keeps a line below apart", () => {
    const lines = groupLines([
      word("Sale", 80, 410, 150, 110, 96, "crop:0:0"), // boxed as tall as its dark caption box
      word("ends", 270, 433, 160, 50, 96, "frame:0:1"),
      word("Sunday", 470, 396, 260, 135, 97, "crop:0:0"),
      word("Open", 80, 600, 100, 40, 95, "frame:0:2"),
    ]);
    expect(lines.map((l) => l.map((w) => w.text).join(" "))).toEqual(["Sale ends Sunday", "Open"]);
  });

  it("keeps two captions on one baseline but far apart as two lines", () => {
    const lines = groupLines([word("Home", 50, 650, 100, 40, 95, "frame:0:0"), word("Away", 1000, 650, 100, 40, 95, "frame:0:1")]);
    expect(lines).toHaveLength(2);
  });

  it("shapes lines and words as Rekognition does: ratios, mean line confidence, words pointing at their line", () => {
    const detections = toDetections(
      [word("Breaking", 128, 360, 256, 72, 96, "crop:0:0"), word("news", 416, 360, 128, 72, 90, "crop:0:0"), word("‘2", 900, 100, 40, 60, 85, "crop:1:0")],
      1280,
      720,
      40,
    );
    expect(detections).toEqual([
      { text: "Breaking news", type: "line", confidence: 93, box: { left: 0.1, top: 0.5, width: 0.325, height: 0.1 }, id: 1 },
      { text: "Breaking", type: "word", confidence: 96, box: { left: 0.1, top: 0.5, width: 0.2, height: 0.1 }, parentId: 1 },
      { text: "news", type: "word", confidence: 90, box: { left: 0.325, top: 0.5, width: 0.1, height: 0.1 }, parentId: 1 },
    ]);
  });

  it("drops words under the floor and words with no letter or digit", () => {
    const detections = toDetections([word("Faint", 0, 0, 100, 40, 39), word("—", 120, 0, 40, 40, 99), word("Clear", 200, 0, 100, 40, 95)], 1280, 720, 40);
    expect(detections.filter((d) => d.type === "word").map((d) => d.text)).toEqual(["Clear"]);
  });

  it("trims quotes and bars Tesseract reads at a word's edges, not other punctuation", () => {
    expect(trimNoise("“minute")).toBe("minute");
    expect(trimNoise("|Sunday'")).toBe("Sunday");
    expect(trimNoise("now,")).toBe("now,");
    expect(trimNoise("9.30")).toBe("9.30");
  });
});
