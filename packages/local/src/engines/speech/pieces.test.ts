import { describe, expect, it } from "vitest";
import { splitAtPauses } from "./pieces.js";
import { encodeWav, parseWav } from "./wav.js";

const seg = (startMs: number, endMs: number) => ({ startMs, endMs });

describe("cutting audio at pauses for parallel recognition", () => {
  it("cuts in the middle of the pause nearest each even split", () => {
    const speech = [seg(0, 9_000), seg(10_000, 19_000), seg(20_000, 29_000), seg(31_000, 40_000)];
    expect(splitAtPauses(speech, 40_000, 2, 5_000)).toEqual([seg(0, 19_500), seg(19_500, 40_000)]);
    expect(splitAtPauses(speech, 40_000, 4, 5_000)).toEqual([seg(0, 9_500), seg(9_500, 19_500), seg(19_500, 30_000), seg(30_000, 40_000)]);
  });

  it("never cuts inside speech, and keeps one piece when there is no pause", () => {
    expect(splitAtPauses([seg(0, 60_000)], 60_000, 4, 5_000)).toEqual([seg(0, 60_000)]);
    // Overlapping segments leave no pause between them.
    expect(splitAtPauses([seg(0, 30_000), seg(20_000, 50_000), seg(52_000, 60_000)], 60_000, 2, 5_000)).toEqual([seg(0, 51_000), seg(51_000, 60_000)]);
  });

  it("gives no piece shorter than the minimum, and no more pieces than the length allows", () => {
    const speech = Array.from({ length: 20 }, (_, i) => seg(i * 1_000, i * 1_000 + 800));
    const pieces = splitAtPauses(speech, 20_000, 8, 6_000);
    expect(pieces).toHaveLength(3);
    for (const p of pieces) expect(p.endMs - p.startMs).toBeGreaterThanOrEqual(6_000);
    expect(pieces[0]!.startMs).toBe(0);
    expect(pieces.at(-1)!.endMs).toBe(20_000);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.startMs).toBe(pieces[i - 1]!.endMs);
    expect(splitAtPauses(speech, 20_000, 1, 6_000)).toEqual([seg(0, 20_000)]);
  });
});

describe("WAV pieces", () => {
  it("writes 16-bit samples back exactly as they were read", () => {
    const samples = Float32Array.from([0, 1 / 32768, -1, 32767 / 32768, -12345 / 32768, 0.5]);
    const back = parseWav(encodeWav(samples, 16000));
    expect(back.sampleRate).toBe(16000);
    expect(Array.from(back.samples)).toEqual(Array.from(samples));
  });
});
