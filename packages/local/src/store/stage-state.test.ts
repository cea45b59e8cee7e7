import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runOnce, type Publish, type StageOutput } from "@media-pipeline/core";
import { openDb, type Db } from "./db.js";
import { SqliteStateStore } from "./stage-state.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const output: StageOutput = {
  events: [{ type: "Shots Detected", detail: { version: 1, mediaId, correlationId: "c1", shotCount: 2 } }],
  facts: { shots: 2 },
};
const failure: StageOutput = {
  events: [{ type: "Stage Failed", detail: { version: 1, mediaId, correlationId: "c1", stage: "detect-shots" } }],
};

const open: Db[] = [];
function dbFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), "mp-state-")), "pipeline.db");
}
function connect(file: string): Db {
  const db = openDb(file);
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

describe("SqliteStateStore published flag", () => {
  it("records a done stage as unpublished until markPublished, and keeps that across connections", async () => {
    const file = dbFile();
    const store = new SqliteStateStore(connect(file), "owner-a");
    expect(await store.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "started", attempt: 1 });
    expect((await store.list(mediaId))[0]).not.toHaveProperty("published");
    await store.finish(mediaId, "detect-shots", output);
    expect(await store.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "done", output, published: false });
    expect((await store.list(mediaId))[0]).toMatchObject({ status: "done", published: false, output });

    await store.markPublished(mediaId, "detect-shots");
    const again = new SqliteStateStore(connect(file), "owner-b");
    expect(await again.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "done", output, published: true });
    expect((await again.list(mediaId))[0]).toMatchObject({ status: "done", published: true, attempts: 1 });
  });

  it("records a failed stage's Stage Failed as unpublished until markPublished", async () => {
    const store = new SqliteStateStore(connect(dbFile()), "owner-a");
    await store.begin(mediaId, "detect-shots", 60_000);
    await store.fail(mediaId, "detect-shots", { name: "NonRetryableError", message: "bad frames" }, failure);
    expect(await store.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "failed", output: failure, published: false });
    await store.markPublished(mediaId, "detect-shots");
    expect(await store.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "failed", output: failure, published: true });
    expect((await store.list(mediaId))[0]).toMatchObject({ status: "failed", published: true, error: { name: "NonRetryableError", message: "bad frames" } });
  });

  it("ignores markPublished for a stage still running or never started", async () => {
    const db = connect(dbFile());
    const store = new SqliteStateStore(db, "owner-a");
    await store.begin(mediaId, "detect-shots", 60_000);
    await store.markPublished(mediaId, "detect-shots");
    await store.markPublished(mediaId, "transcribe");
    expect(db.prepare("SELECT stage, published FROM stage_state").all()).toEqual([{ stage: "detect-shots", published: 0 }]);
    // Settling after the early mark still starts unpublished.
    await store.finish(mediaId, "detect-shots", output);
    expect((await store.list(mediaId))[0]).toMatchObject({ status: "done", published: false });
  });

  it("lets a restarted runtime publish the stored event of a stage whose publisher stopped, once", async () => {
    const file = dbFile();
    const published: Array<{ type: string; key?: string }> = [];
    let busUp = false;
    const publish: Publish = async (type, _detail, options) => {
      if (!busUp) throw new Error("process stopped before publishing");
      published.push({ type, ...(options?.dedupeKey ? { key: options.dedupeKey } : {}) });
    };
    let calls = 0;
    const args = {
      mediaId, correlationId: "c1", stage: "detect-shots" as const, trigger: "Media Probed" as const, ctx: { attempt: 1, finalAttempt: false },
      work: async () => {
        calls++;
        return { emit: [{ type: "Shots Detected" as const, detail: { shots: { bucket: "b", key: "k" }, shotCount: 2, frameCount: 3, engine: { name: "x", version: "1" } } }] };
      },
    };
    await expect(runOnce({ state: new SqliteStateStore(connect(file), "first-run"), publish }, args)).rejects.toThrow("process stopped");

    busUp = true;
    const restarted = new SqliteStateStore(connect(file), "second-run");
    await runOnce({ state: restarted, publish }, args);
    await runOnce({ state: restarted, publish }, args);
    expect(calls).toBe(1);
    expect(published).toEqual([{ type: "Shots Detected", key: `${mediaId}/detect-shots/Shots Detected` }]);
    expect((await restarted.list(mediaId))[0]).toMatchObject({ status: "done", published: true });
  });
});
