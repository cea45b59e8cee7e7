import { cpus } from "node:os";
import { describe, expect, it } from "vitest";
import { cutRemaining, machineIdleCores } from "./pieces.js";
import { encodeWav, int16Bytes, parseWav } from "./wav.js";

const seg = (startMs: number, endMs: number) => ({ startMs, endMs });

describe("where a second recognizer takes over", () => {
  const speech = [seg(0, 9_000), seg(10_000, 19_000), seg(20_000, 29_000), seg(31_000, 40_000)];

  it("cuts in the middle of the pause nearest the middle of the audio still to hear", () => {
    expect(cutRemaining(speech, 0, 40_000, 5_000)).toBe(19_500);
    // Part already heard: the middle of what is left moves on.
    expect(cutRemaining(speech, 12_000, 40_000, 5_000)).toBe(30_000);
    expect(cutRemaining(speech, 0, 20_000, 5_000)).toBe(9_500);
    // Aimed later (the new process hears a lead-in first), within what the minimum allows.
    expect(cutRemaining(speech, 0, 40_000, 5_000, 28_000)).toBe(30_000);
    expect(cutRemaining(speech, 0, 40_000, 5_000, 39_000)).toBe(30_000);
  });

  it("never cuts inside speech, and gives no side less than the minimum", () => {
    expect(cutRemaining([seg(0, 60_000)], 0, 60_000, 5_000)).toBeUndefined();
    // Overlapping segments leave no pause between them.
    expect(cutRemaining([seg(0, 30_000), seg(20_000, 50_000), seg(52_000, 60_000)], 0, 60_000, 5_000)).toBe(51_000);
    expect(cutRemaining([seg(0, 30_000), seg(20_000, 50_000), seg(52_000, 60_000)], 0, 60_000, 10_000)).toBeUndefined();
    expect(cutRemaining(speech, 25_000, 40_000, 5_000)).toBe(30_000);
    expect(cutRemaining(speech, 26_000, 40_000, 5_000)).toBeUndefined();
    expect(cutRemaining([], 0, 40_000, 5_000)).toBeUndefined();
  });
});

describe("idle cores", () => {
  it("are measured between calls, within what the machine has", async () => {
    const idle = machineIdleCores();
    await new Promise((r) => setTimeout(r, 200));
    const first = idle();
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(cpus().length * 1.1);
    // A busy loop on this thread leaves at least one core less idle than there are cores.
    const until = performance.now() + 300;
    while (performance.now() < until);
    expect(idle()).toBeLessThan(cpus().length - 0.5);
  });
});

describe("WAV pieces", () => {
  it("writes 16-bit samples back exactly as they were read", () => {
    const samples = Float32Array.from([0, 1 / 32768, -1, 32767 / 32768, -12345 / 32768, 0.5]);
    const back = parseWav(encodeWav(samples, 16000));
    expect(back.sampleRate).toBe(16000);
    expect(Array.from(back.samples)).toEqual(Array.from(samples));
  });

  it("writes raw 16-bit little-endian samples for a recognizer's standard input", () => {
    const raw = int16Bytes(Float32Array.from([0, 1 / 32768, -1, 32767 / 32768, 2]));
    expect([0, 1, 2, 3, 4].map((i) => raw.readInt16LE(2 * i))).toEqual([0, 1, -32768, 32767, 32767]);
  });
});
