import { describe, expect, it } from "vitest";
import type { FrameText, TextDetection } from "../results/documents.js";
import { MIN_TEXT_CONFIDENCE, mergeTextFrames, normalizeOcrText, partialOcrText, sameOcrText, sameTextPlace } from "./text.js";

const box = (left: number, top: number, width = 0.4, height = 0.06) => ({ left, top, width, height });
const line = (text: string, b = box(0.1, 0.8), confidence = 95, id = 1): TextDetection => ({ text, type: "line", confidence, box: b, id });
const word = (text: string, b: ReturnType<typeof box>, parentId = 1, confidence = 95): TextDetection => ({ text, type: "word", confidence, box: b, parentId });
/** Frames every 2 s, each with the detections given (an empty list: nothing read). */
const every2s = (...detections: TextDetection[][]): FrameText[] => detections.map((d, i) => ({ timestampMs: i * 2000, detections: d }));

describe("text comparison", () => {
  it("normalizes case, punctuation and whitespace", () => {
    expect(normalizeOcrText("  Breaking   NEWS: tonight! ")).toBe("breaking news tonight");
  });

  it("tolerates one OCR error from 6 characters and two from 12, none on short words", () => {
    expect(sameOcrText("Weather forecast", "Weather forecasl")).toBe(true);
    expect(sameOcrText("Weather forecast", "Wcather forecasl")).toBe(true);
    expect(sameOcrText("Weather forecast", "Wcather f0recasl")).toBe(false);
    expect(sameOcrText("Sunday", "Sundav")).toBe(true);
    expect(sameOcrText("Sale", "Sate")).toBe(false);
    expect(sameOcrText("42", "42")).toBe(true);
    expect(sameOcrText("...", "---")).toBe(false);
  });

  it("takes a reading that misses words at either end for the same line, not a stray word of it", () => {
    expect(partialOcrText("warning for the coast", "Storm warning for the coast")).toBe(true);
    expect(partialOcrText("Thank you for watching", "Thank you")).toBe(true);
    expect(partialOcrText("Sale", "Sale ends")).toBe(true);
    expect(partialOcrText("Sale", "Sale ends Sunday now")).toBe(false);
    expect(partialOcrText("Storm for coast", "Storm warning for the coast")).toBe(false);
    expect(partialOcrText("Same line", "Same line")).toBe(false);
  });

  it("takes boxes that overlap, nest or whose centres are within a line height as one place", () => {
    expect(sameTextPlace(box(0.1, 0.8), box(0.11, 0.805))).toBe(true);
    expect(sameTextPlace(box(0.1, 0.8, 0.6), box(0.5, 0.8, 0.15))).toBe(true);
    expect(sameTextPlace(box(0.1, 0.8, 0.02, 0.05), box(0.12, 0.82, 0.02, 0.05))).toBe(true);
    expect(sameTextPlace(box(0.1, 0.8), box(0.1, 0.1))).toBe(false);
  });
});

describe("mergeTextFrames", () => {
  it("makes one occurrence of a line shown over consecutive frames, ending at the next analysed frame", () => {
    const shown = line("Breaking news");
    const { lines } = mergeTextFrames(every2s([], [shown], [shown], [shown], [], []));
    expect(lines).toEqual([{ text: "Breaking news", startMs: 2000, endMs: 8000, confidence: 95, box: shown.box, frames: 3 }]);
  });

  it("ends text on the last frame one sampling interval later, within the duration", () => {
    const shown = line("Final score");
    expect(mergeTextFrames(every2s([], [shown], [shown])).lines[0]).toMatchObject({ startMs: 2000, endMs: 6000 });
    expect(mergeTextFrames(every2s([], [shown], [shown]), { durationMs: 5000 }).lines[0]).toMatchObject({ startMs: 2000, endMs: 5000 });
    expect(mergeTextFrames(every2s([shown]), { frameIntervalMs: 1000 }).lines[0]).toMatchObject({ startMs: 0, endMs: 1000 });
  });

  it("bridges up to two missed frames, and splits after more", () => {
    const shown = line("Live from the city");
    const bridged = mergeTextFrames(every2s([shown], [], [], [shown]));
    expect(bridged.lines).toHaveLength(1);
    expect(bridged.lines[0]).toMatchObject({ startMs: 0, endMs: 8000, frames: 2 });
    const split = mergeTextFrames(every2s([shown], [], [], [], [shown]));
    expect(split.lines.map((l) => [l.startMs, l.endMs])).toEqual([
      [0, 2000],
      [8000, 10_000],
    ]);
    expect(mergeTextFrames(every2s([shown], [], [shown]), { maxMissedFrames: 0 }).lines).toHaveLength(2);
  });

  it("keeps the reading with the best confidence and the box where it was first seen", () => {
    const first = line("Weathcr forecast", box(0.1, 0.8), 85);
    const best = line("Weather forecast", box(0.102, 0.801), 97);
    const { lines } = mergeTextFrames(every2s([first], [best], [line("Weather forecasl", box(0.1, 0.8), 90)]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ text: "Weather forecast", confidence: 97, box: first.box, frames: 3 });
  });

  it("keeps the same text in two places, or two texts in one place, apart", () => {
    const top = line("Goal", box(0.1, 0.1, 0.1), 95, 1);
    const bottom = line("Goal", box(0.1, 0.8, 0.1), 95, 2);
    expect(mergeTextFrames(every2s([top, bottom], [top, bottom])).lines).toHaveLength(2);
    expect(mergeTextFrames(every2s([line("Sale ends Sunday")], [line("Open every day")])).lines.map((l) => l.text)).toEqual([
      "Sale ends Sunday",
      "Open every day",
    ]);
  });

  it("joins readings of a line that miss words into one occurrence with the most complete text", () => {
    const full = line("Storm warning for the coast", box(0.05, 0.8, 0.5), 94);
    const partial = line("warning for the coast", box(0.15, 0.8, 0.4), 96);
    const { lines } = mergeTextFrames(every2s([partial], [partial], [full], [partial], []));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ text: "Storm warning for the coast", startMs: 0, endMs: 8000, confidence: 96, box: partial.box, frames: 4 });
  });

  it("drops detections under the minimum confidence and junk without a letter or digit", () => {
    const frames = every2s([line("Real text"), line("|—=", box(0.5, 0.2), 99, 2), line("Faint", box(0.5, 0.5), MIN_TEXT_CONFIDENCE - 1, 3)]);
    expect(mergeTextFrames(frames).lines.map((l) => l.text)).toEqual(["Real text"]);
    expect(mergeTextFrames(frames, { minConfidence: 50 }).lines.map((l) => l.text)).toEqual(["Faint", "Real text"]); // top to bottom
  });

  it("points each word at its line's index, by parentId or by the line box around it", () => {
    const a = line("Sale ends", box(0.1, 0.8, 0.3), 95, 7);
    const b = line("Open daily", box(0.1, 0.1, 0.3), 95, 8);
    const sale = word("Sale", box(0.1, 0.8, 0.12), 7);
    const ends = word("ends", box(0.24, 0.8, 0.12), 7);
    const open: TextDetection = { text: "Open", type: "word", confidence: 95, box: box(0.1, 0.1, 0.12) }; // no parentId
    const frames: FrameText[] = [
      { timestampMs: 0, detections: [a, sale, ends] },
      { timestampMs: 2000, detections: [a, sale, ends, b, open] },
    ];
    const { lines, words } = mergeTextFrames(frames);
    expect(lines.map((l) => l.text)).toEqual(["Sale ends", "Open daily"]);
    expect(words.map((w) => [w.text, w.line, w.frames])).toEqual([
      ["Sale", 0, 2],
      ["ends", 0, 2],
      ["Open", 1, 1],
    ]);
  });

  it("lists a line's words left to right, though ascenders put some boxes higher", () => {
    const l = line("Breaking news tonight", box(0.1, 0.8, 0.5), 95, 1);
    const frame = { timestampMs: 0, detections: [l, word("tonight", box(0.45, 0.795, 0.15), 1), word("Breaking", box(0.1, 0.795, 0.2), 1), word("news", box(0.32, 0.805, 0.1), 1)] };
    expect(mergeTextFrames([frame]).words.map((w) => w.text)).toEqual(["Breaking", "news", "tonight"]);
  });

  it("sorts occurrences by start time whatever order the frames came in", () => {
    const frames = every2s([line("First")], [line("Second", box(0.1, 0.2), 95, 2)]);
    const { lines } = mergeTextFrames([...frames].reverse());
    expect(lines.map((l) => [l.text, l.startMs])).toEqual([
      ["First", 0],
      ["Second", 2000],
    ]);
  });

  it("returns nothing for no frames and refuses nonsense options", () => {
    expect(mergeTextFrames([])).toEqual({ lines: [], words: [] });
    expect(() => mergeTextFrames([], { minConfidence: 101 })).toThrow(RangeError);
    expect(() => mergeTextFrames([], { maxMissedFrames: -1 })).toThrow(RangeError);
  });
});
