import { describe, expect, it } from "vitest";
import { MediaId } from "./events/catalog.js";
import { mediaIdFrom } from "./media-id.js";

describe("mediaIdFrom", () => {
  it("makes a catalog-valid id that sorts by time and embeds the given randomness", () => {
    const a = mediaIdFrom(Date.parse("2026-11-20T10:00:00Z"), new Uint8Array(16).fill(0));
    const b = mediaIdFrom(Date.parse("2026-11-20T10:00:01Z"), new Uint8Array(16).fill(31));
    expect(MediaId.parse(a)).toBe(a);
    expect(a < b).toBe(true);
    expect(a.slice(10)).toBe("0".repeat(16));
    expect(b.slice(10)).toBe("z".repeat(16));
  });
  it("refuses too little randomness", () => {
    expect(() => mediaIdFrom(0, new Uint8Array(4))).toThrow(RangeError);
  });
});
