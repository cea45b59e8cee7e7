import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findBadModes } from "../stacks/asset-modes.js";
import { stageFfmpegLayer } from "../stacks/ffmpeg-layer.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "asset-modes-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (rel: string, content: string | Buffer, mode: number) => {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
};
const ELF = Buffer.concat([Buffer.from("\x7fELF", "latin1"), Buffer.alloc(60)]);

describe("findBadModes", () => {
  it("passes 0755 executables and readable data files", () => {
    file("bin/tool", ELF, 0o755);
    file("run.sh", "#!/bin/sh\necho hi\n", 0o755);
    file("index.mjs", "export const handler = async () => {};\n", 0o644);
    file("deep/a/b/data.json", "{}", 0o444);
    expect(findBadModes(dir)).toEqual([]);
  });

  it("flags an executable that only its owner may run, as @ffprobe-installer leaves ffprobe", () => {
    file("bin/ffprobe", ELF, 0o744);
    expect(findBadModes(dir)).toEqual([{ path: "bin/ffprobe", mode: "0744", reason: expect.stringContaining("0755") }]);
  });

  it("flags ELF binaries and #! scripts without execute bits, whatever else their mode says", () => {
    file("bin/ffmpeg", ELF, 0o644);
    file("tools/hook", "#!/usr/bin/env node\n", 0o444);
    expect(findBadModes(dir).map((b) => [b.path, b.mode])).toEqual([["bin/ffmpeg", "0644"], ["tools/hook", "0444"]]);
  });

  it("flags group-writable or setuid executables and files others cannot read", () => {
    file("a", ELF, 0o775);
    file("b", ELF, 0o4755);
    file("c.mjs", "x", 0o600);
    file("d.mjs", "x", 0o640);
    expect(findBadModes(dir).map((b) => [b.path, b.mode])).toEqual([["a", "0775"], ["b", "04755"], ["c.mjs", "0600"], ["d.mjs", "0640"]]);
  });
});

describe("stageFfmpegLayer", () => {
  it("stages ffmpeg and ffprobe as 0755 whatever mode npm left them with, once, in a fixed place", () => {
    const first = stageFfmpegLayer(dir);
    expect(readdirSync(path.join(first, "bin")).sort()).toEqual(["ffmpeg", "ffprobe"]);
    for (const bin of ["ffmpeg", "ffprobe"]) {
      const stat = statSync(path.join(first, "bin", bin));
      expect((stat.mode & 0o7777).toString(8), bin).toBe("755");
      expect(stat.mtime.toISOString(), bin).toBe("2000-01-01T00:00:00.000Z");
    }
    expect(findBadModes(first)).toEqual([]);
    // Reused, and nothing left beside it.
    expect(stageFfmpegLayer(dir)).toBe(first);
    expect(readdirSync(dir)).toEqual([path.basename(first)]);
  });

  it("replaces a staged copy whose modes are wrong", () => {
    const first = stageFfmpegLayer(dir);
    chmodSync(path.join(first, "bin", "ffprobe"), 0o744);
    expect(stageFfmpegLayer(dir)).toBe(first);
    expect(findBadModes(first)).toEqual([]);
  });
});
