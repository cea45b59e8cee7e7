import { describe, expect, it } from "vitest";
import { findGradualTransitions, type TinyFrames } from "./transitions.js";

const W = 32;
const H = 18;
const FPS = 25;

/** A deterministic pseudo-random generator (tests must not depend on Math.random). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A smooth RGB texture `width` wide (a coarse random grid, bilinearly enlarged), like a photograph's tiny copy. */
function texture(seed: number, width = W): Float32Array {
  const r = rng(seed);
  const gw = Math.ceil(width / 4) + 2;
  const gh = Math.ceil(H / 4) + 2;
  const grid = Array.from({ length: gw * gh * 3 }, () => 30 + r() * 195);
  const out = new Float32Array(width * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < width; x++) {
      const gx = x / 4;
      const gy = y / 4;
      const x0 = Math.floor(gx);
      const y0 = Math.floor(gy);
      const fx = gx - x0;
      const fy = gy - y0;
      for (let c = 0; c < 3; c++) {
        const v = (i: number, j: number) => grid[((j * gw + i) * 3) + c];
        out[(y * width + x) * 3 + c] =
          v(x0, y0) * (1 - fx) * (1 - fy) + v(x0 + 1, y0) * fx * (1 - fy) + v(x0, y0 + 1) * (1 - fx) * fy + v(x0 + 1, y0 + 1) * fx * fy;
      }
    }
  }
  return out;
}

/** A W×H crop of a wider texture starting at column `dx` (fractional: interpolated). */
function crop(wide: Float32Array, wideWidth: number, dx: number): Float32Array {
  const out = new Float32Array(W * H * 3);
  const x0 = Math.floor(dx);
  const f = dx - x0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        const a = wide[(y * wideWidth + x0 + x) * 3 + c];
        const b = wide[(y * wideWidth + Math.min(wideWidth - 1, x0 + x + 1)) * 3 + c];
        out[(y * W + x) * 3 + c] = a * (1 - f) + b * f;
      }
    }
  }
  return out;
}

const mix = (a: Float32Array, b: Float32Array, alpha: number) => a.map((v, i) => v * (1 - alpha) + b[i] * alpha);
const flat = (value: number) => new Float32Array(W * H * 3).fill(value);

/** Frames at 25 fps with a little encoder-like noise (±3 levels), as the pass would write them. */
function video(pictures: Float32Array[], seed = 7): TinyFrames {
  const r = rng(seed);
  const frames = pictures.map((p) => Uint8Array.from(p, (v) => Math.max(0, Math.min(255, Math.round(v + (r() - 0.5) * 6)))));
  return { count: frames.length, timeMs: (i) => Math.round((i * 1000) / FPS), frame: (i) => frames[i] };
}

const hold = (p: Float32Array, frames: number) => Array.from({ length: frames }, () => p);
const blend = (a: Float32Array, b: Float32Array, frames: number) => Array.from({ length: frames }, (_, i) => mix(a, b, (i + 1) / (frames + 1)));

describe("findGradualTransitions", () => {
  const A = texture(1);
  const B = texture(2);
  const C = texture(3);

  it("finds a one-second cross-fade between two still shots at its middle", () => {
    const frames = [...hold(A, 50), ...blend(A, B, 25), ...hold(B, 50)];
    const found = findGradualTransitions(video(frames), []);
    expect(found).toHaveLength(1);
    // The blend covers frames 50–74: its middle is frame 62 (2.48 s).
    expect(Math.abs(found[0].middleMs - 2480)).toBeLessThanOrEqual(80);
    expect(found[0].startMs).toBeLessThan(found[0].middleMs);
    expect(found[0].endMs).toBeGreaterThan(found[0].middleMs);
  });

  it("finds short and long blends (0.4 s, 2 s) and keeps them apart", () => {
    const frames = [...hold(A, 40), ...blend(A, B, 10), ...hold(B, 60), ...blend(B, C, 50), ...hold(C, 40)];
    const found = findGradualTransitions(video(frames), []);
    // Blends over frames 40–49 and 110–159: middles 1.78 s and 5.38 s.
    expect(found.map((t) => Math.round(t.middleMs / 100) * 100)).toEqual([1800, 5400]);
  });

  it("finds nothing in a pan across a wide picture, however far it goes", () => {
    const wideWidth = W * 6;
    const wide = texture(4, wideWidth);
    // 0.4 tiny pixels a frame: at 640 px wide, 8 px a frame, 200 px a second.
    const frames = Array.from({ length: 200 }, (_, i) => crop(wide, wideWidth, (i * 0.4) % (wideWidth - W - 1)));
    expect(findGradualTransitions(video(frames), [])).toEqual([]);
  });

  it("finds nothing in still or noisy shots, nor at a hard cut it is told about", () => {
    expect(findGradualTransitions(video(hold(A, 100)), [])).toEqual([]);
    const cut = [...hold(A, 50), ...hold(B, 50)];
    expect(findGradualTransitions(video(cut), [2000])).toEqual([]);
  });

  it("takes a fade through black (a quick fade out, a hold, a fade in) as one transition in the middle", () => {
    const black = flat(2);
    const frames = [...hold(A, 50), ...blend(A, black, 3), ...hold(black, 8), ...blend(black, B, 12), ...hold(B, 50)];
    const found = findGradualTransitions(video(frames), []);
    expect(found).toHaveLength(1);
    // Fade out starts at frame 50 (2.0 s), fade in ends at frame 73 (2.92 s).
    expect(found[0].middleMs).toBeGreaterThan(2000);
    expect(found[0].middleMs).toBeLessThan(2920);
  });

  it("does not take a fade in from black at the start or a fade out at the end for a boundary", () => {
    const black = flat(2);
    const frames = [...hold(black, 10), ...blend(black, A, 20), ...hold(A, 60), ...blend(A, black, 20), ...hold(black, 10)];
    expect(findGradualTransitions(video(frames), [])).toEqual([]);
  });
});
