import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { StageTimeoutError } from "@media-pipeline/core";
import { detectPocketsphinx, recognizeWithPocketsphinx } from "./pocketsphinx.js";

/** Pids of this process's children running pocketsphinx (from /proc, not by process name). */
function decoderChildren(): number[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return ppid === process.pid && readFileSync(`/proc/${e}/cmdline`, "utf8").includes("pocketsphinx") ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

describe("pocketsphinx under a stage timeout", () => {
  it("kills every decoder when its signal aborts, and rejects with the stage's reason", async () => {
    const ps = await detectPocketsphinx();
    // The Debian package is part of this project's setup: a missing binary fails here, loudly.
    expect(ps.available, ps.available ? "" : ps.reason).toBe(true);
    if (!ps.available) return;
    // Ten minutes of a tone with a pause every 20 s, and a core "always idle": several decoders at once, none near done.
    const rate = 16_000;
    const samples = new Float32Array(600 * rate);
    for (let i = 0; i < samples.length; i++) samples[i] = i % (20 * rate) < 19 * rate ? 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate) : 0;
    const speech = Array.from({ length: 30 }, (_, k) => ({ startMs: k * 20_000, endMs: k * 20_000 + 19_000 }));
    const controller = new AbortController();
    const run = recognizeWithPocketsphinx(ps, { samples, sampleRate: rate }, speech, { maxProcesses: 3, idleCores: () => 2, pollMs: 20, signal: controller.signal });
    run.catch(() => undefined);
    let pids: number[] = [];
    const deadline = Date.now() + 10_000;
    while ((pids = decoderChildren()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(pids).toHaveLength(3);
    const reason = new StageTimeoutError("transcribe", 300_000);
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    const gone = Date.now() + 2000;
    while (pids.some((p) => existsSync(`/proc/${p}`)) && Date.now() < gone) await new Promise((r) => setTimeout(r, 10));
    expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
  });
});
