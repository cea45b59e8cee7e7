import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { BIN, cli, ROOT } from "./helpers/cli.js";
import { makeTalkingVideo, tempDir } from "./helpers/flow.js";

/**
 * Starts `analyze --json` and SIGKILLs it once the bus has recorded `killAfter` events, or returns
 * when it ends first. The JSON lines on stdout tell us how far it got.
 */
function analyzeAndKill(file: string, dataDir: string, out: string, killAfter: number): Promise<{ killed: boolean; events: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "analyze", file, "--data-dir", dataDir, "--out", out, "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let events = 0;
    let buf = "";
    let killed = false;
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('{"type":"event"') && ++events >= killAfter && !killed) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    });
    const timer = setTimeout(() => reject(new Error("analyze neither finished nor reached the kill point")), 240_000);
    child.on("close", () => {
      clearTimeout(timer);
      resolve({ killed, events });
    });
  });
}

describe("crash recovery", () => {
  it("finishes every stage exactly once after SIGKILLs at random points, with nothing lost", async () => {
    const dir = await tempDir("crash");
    const video = await makeTalkingVideo(dir);
    const dataDir = path.join(dir, "data");
    const out = path.join(dir, "out");
    // The kill point is random (logged, so a failure can be replayed by hand): somewhere between
    // the first stage outputs and the joins.
    const killAt = 2 + Math.floor(Math.random() * 5);
    console.info(`crash-recovery: SIGKILL after event #${killAt}`);
    const first = await analyzeAndKill(video.path, dataDir, out, killAt);
    expect(first.killed).toBe(true);

    // A second crash, this time of the resuming process, a little later in the flow.
    const resumeKill = await new Promise<boolean>((resolve) => {
      const child = spawn(process.execPath, [BIN, "resume", "--data-dir", dataDir, "--out", out, "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let n = 0;
      let killed = false;
      child.stdout.on("data", (d: Buffer) => {
        n += (d.toString().match(/"type":"event"/g) ?? []).length;
        if (n >= 1 && !killed) {
          killed = true;
          child.kill("SIGKILL");
        }
      });
      child.on("close", () => resolve(killed));
    });

    const final = await cli(["resume", "--data-dir", dataDir, "--out", out, "--quiet"], { timeoutMs: 240_000 });
    expect(final.code, final.stderr).toBe(0);

    const db = new Database(path.join(dataDir, "pipeline.db"), { readonly: true });
    try {
      const media = db.prepare("SELECT media_id FROM media").all() as Array<{ media_id: string }>;
      expect(media).toHaveLength(1);
      const mediaId = media[0]!.media_id;
      const types = (db.prepare("SELECT detail_type FROM events WHERE media_id = ? ORDER BY seq").all(mediaId) as Array<{ detail_type: string }>).map((r) => r.detail_type);
      // Every stage output exactly once: no event duplicated by the re-runs.
      expect(new Set(types).size, types.join(", ")).toBe(types.length);
      for (const t of ["Media Probed", "Audio Extracted", "Shots Detected", "Labels Detected", "Moderation Completed", "Transcript Ready", "Scenes Summarized", "Analysis Completed"]) {
        expect(types, t).toContain(t);
      }
      expect(types).not.toContain("Stage Failed");
      // Nothing owed and nothing dead: every delivery of every event ran to the end.
      expect(db.prepare("SELECT count(*) n FROM deliveries WHERE status != 'done'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT count(*) n FROM dead_letters").get()).toEqual({ n: 0 });
      // Each event's deliveries match the routes (none missing): every event's row count is stable.
      const seqs = (db.prepare("SELECT seq FROM events ORDER BY seq").all() as Array<{ seq: number }>).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
      const stages = db.prepare("SELECT stage, status FROM stage_state WHERE media_id = ?").all(mediaId) as Array<{ stage: string; status: string }>;
      expect(stages.filter((s) => s.status !== "done")).toEqual([]);
      expect(existsSync(path.join(out, mediaId, "report.html"))).toBe(true);
      console.info(`crash-recovery: events ${types.length}, second kill ${resumeKill ? "happened" : "not reached (flow already done)"}`);
    } finally {
      db.close();
    }
  }, 600_000);
});
