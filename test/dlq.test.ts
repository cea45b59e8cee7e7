import { copyFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RetryableError } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime } from "../packages/local/src/index.js";
import { cli } from "./helpers/cli.js";
import { tempDir } from "./helpers/flow.js";
import { makeAudioOnly } from "./helpers/media.js";

/*
 * `media-pipeline dlq list | redrive` end to end: a runtime whose prober keeps failing dead-letters a
 * real audio file's probe and stops; then the compiled CLI, with the real engines (the "fixed"
 * prober), lists the dead letter and redrives it to a finished report.
 */

let dir: string;
let dataDir: string;
let mediaId: string;
let lost: string;

beforeAll(async () => {
  dir = await tempDir("dlq");
  dataDir = path.join(dir, "data");
  const tone = await makeAudioOnly(dir, "wav", 2);
  const rt = await openLocalRuntime(loadConfig({ dataDir, workers: 2 }, {}, dir), {
    engines: { prober: { probe: async () => { throw new RetryableError("prober crashed"); } } },
    maxAttempts: 2,
    baseBackoffMs: 5,
  });
  try {
    mediaId = await rt.ingest(tone.path, { filename: "tone.wav" });
    lost = await rt.ingest(tone.path, { filename: "lost.wav" });
    for (const id of [mediaId, lost]) expect(await rt.outcome(id)).toMatchObject({ kind: "stalled", reason: expect.stringContaining("prober crashed") });
    // The second item's upload disappears from the data dir: its redrive cannot succeed.
    rmSync(rt.objects.pathOf({ bucket: "media", key: `media/${lost}/lost.wav` }));
  } finally {
    await rt.close();
  }
});

const run = (args: string[]) => cli(["dlq", ...args, "--data-dir", dataDir], { cwd: dir, timeoutMs: 90_000 });

describe("media-pipeline dlq", () => {
  it("lists dead letters with id, time, media, route and stage, attempts and error; --json has them whole", async () => {
    const r = await run(["list"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^id\s+time\s+media\s+route \(stage\)\s+attempts\s+error$/);
    expect(lines[1]).toMatch(new RegExp(`^1\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+${mediaId}\\s+probe-received-media \\(probe\\)\\s+2\\s+RetryableError: prober crashed$`));
    expect(lines[2]).toMatch(new RegExp(`^2\\s.*${lost}`));
    expect(r.stdout).toContain("2 waiting: `media-pipeline dlq redrive <id>`");

    const j = await run(["list", "--json"]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([
      expect.objectContaining({ id: 1, mediaId, route: "probe-received-media", stage: "probe", attempts: 2, error: "RetryableError: prober crashed", detailType: "Media Received", redrivenAt: null }),
      expect.objectContaining({ id: 2, mediaId: lost }),
    ]);
  });

  it("refuses to redrive while another process holds the data dir, saying which, and still lists", async () => {
    const lock = path.join(dataDir, "runtime.lock");
    // This test process is alive and is not the CLI: to the CLI it is a running server.
    writeFileSync(lock, String(process.pid));
    try {
      const r = await run(["redrive", "1"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Cannot redrive: Another media-pipeline process (pid ${process.pid}) is using ${dataDir}`);
      expect(r.stderr).toContain("stop the server");
      expect((await run(["list"])).code).toBe(0);
    } finally {
      rmSync(lock, { force: true });
    }
  });

  it("exits 2 for an id that is not a number or names no dead letter", async () => {
    expect(await run(["redrive", "abc"])).toMatchObject({ code: 2, stderr: expect.stringContaining("whole number") });
    expect(await run(["redrive", "99"])).toMatchObject({ code: 2, stderr: expect.stringContaining("No dead letter 99") });
  });

  it("redrives one dead letter on the stopped data dir with the real engines, waits, and reports the completed media", async () => {
    const r = await run(["redrive", "1", "--no-words"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`#1 probe-received-media (probe) for ${mediaId}: delivered`);
    expect(r.stdout).toMatch(new RegExp(`${mediaId} completed\\n  report: .*report\\.json`));
    const report = /report: (.*)/.exec(r.stdout)![1]!;
    expect(existsSync(report)).toBe(true);
    expect(existsSync(path.join(dataDir, "runtime.lock"))).toBe(false);

    const left = JSON.parse((await run(["list", "--json"])).stdout) as Array<{ id: number }>;
    expect(left.map((l) => l.id)).toEqual([2]);
    const all = JSON.parse((await run(["list", "--json", "--all"])).stdout) as Array<{ id: number; redrivenAt: string | null }>;
    expect(all.find((l) => l.id === 1)?.redrivenAt).toMatch(/^\d{4}-/);
    expect((await run(["redrive", "1"])).stderr).toContain("already redriven");
  });

  it("redrives the rest, exits 1 when one fails again (a new dead letter, with the reason), and completes it once fixed", async () => {
    const r = await run(["redrive", "--json", "--no-words"]);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { redriven: Array<{ id: number; status: string; error?: string }>; media: Array<{ mediaId: string; outcome: string; reason?: string }> };
    expect(out.redriven).toEqual([expect.objectContaining({ id: 2, mediaId: lost, status: "dead", error: expect.stringContaining("lost.wav could not be read (ENOENT") })]);
    expect(out.media).toEqual([expect.objectContaining({ mediaId: lost, outcome: "stalled", reason: expect.stringContaining("could not be read") })]);
    const waiting = JSON.parse((await run(["list", "--json"])).stdout) as Array<{ id: number; mediaId: string; attempts: number }>;
    expect(waiting).toEqual([expect.objectContaining({ id: 3, mediaId: lost, attempts: 4 })]);

    // Fixed: the upload is back. Redriving everything completes it and leaves nothing waiting.
    const tone = await makeAudioOnly(dir, "wav", 2);
    copyFileSync(tone.path, path.join(dataDir, "objects", "media", "media", lost, "lost.wav"));
    const fixed = await run(["redrive", "--no-words"]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain(`#3 probe-received-media (probe) for ${lost}: delivered`);
    expect(fixed.stdout).toContain(`${lost} completed`);
    const again = await run(["redrive"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Nothing to redrive");
  });
});
