import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StageTimeoutError } from "@media-pipeline/core";
import { detectPocketsphinx, runPocketsphinx } from "./pocketsphinx.js";

/** Pids whose command line names `needle` (from /proc, not by process name). */
function pidsWith(needle: string): number[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      return readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle) ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

describe("pocketsphinx under a stage timeout", () => {
  it("kills a stuck decoder when its signal aborts, and rejects with the stage's reason", async () => {
    const ps = await detectPocketsphinx();
    // The Debian package is part of this project's setup: a missing binary fails here, loudly.
    expect(ps.available, ps.available ? "" : ps.reason).toBe(true);
    if (!ps.available) return;
    // A FIFO nobody writes to: the real decoder blocks opening its input and never finishes.
    const fifo = join(mkdtempSync(join(tmpdir(), "ps-abort-")), "stuck.wav");
    execFileSync("mkfifo", [fifo]);
    const controller = new AbortController();
    const run = runPocketsphinx(ps, fifo, { signal: controller.signal });
    let pids: number[] = [];
    const deadline = Date.now() + 5000;
    while ((pids = pidsWith(fifo)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(pids).toHaveLength(1);
    const reason = new StageTimeoutError("transcribe", 300_000);
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    const gone = Date.now() + 2000;
    while (existsSync(`/proc/${pids[0]}`) && Date.now() < gone) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(`/proc/${pids[0]}`)).toBe(false);
  });
});
