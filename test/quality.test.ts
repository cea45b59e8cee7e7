import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_MODERATION_MODEL } from "../packages/local/src/engines/vision/moderation-defaults.js";
import { stopVisionWorkers } from "../packages/local/src/engines/vision/index.js";
import { measureModeration } from "../eval/moderation-measure.js";
import { measureShots } from "../eval/shots-measure.js";
import { measureSpeakers } from "../eval/speakers-measure.js";
import { markdownTable, type Row } from "../eval/table.js";
import { tempDir } from "./helpers/flow.js";

/*
 * The eval's accuracy targets, enforced in `npm test`: the measurements here are the ones
 * `npm run eval` writes to eval/RESULTS.md (the same code), on both the tuning set and the held-apart
 * set. A missed target fails the suite with the table, so a change that costs accuracy cannot land.
 * The fast parts of the eval run here (shots: five short generated videos; speakers: 25 generated
 * recordings, diarization only; moderation: the default model on 80 benign pictures); the rest runs
 * in `npm run eval`.
 */

const dirs: string[] = [];
afterAll(async () => {
  await stopVisionWorkers();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A work directory for one measurement, removed after the file. */
async function workDir(name: string): Promise<string> {
  const dir = await tempDir(name);
  dirs.push(dir);
  return dir;
}

/** Every targeted row passes; a miss fails with the table of missed rows. */
function expectAllMet(targeted: Row[]): void {
  const missed = targeted.filter((r) => !r.pass);
  expect(missed, `targets missed:\n${markdownTable(missed)}`).toEqual([]);
}

describe("accuracy targets (the eval's, on tuning and held-apart media)", () => {
  it("shot boundaries: hard cuts, fades and dissolves found; nothing found inside moving shots", async () => {
    const dir = await workDir("quality-shots");
    const { rows } = await measureShots(dir);
    const targeted = rows.filter((r) => r.target);
    // Both sets carry the same three targets.
    expect(targeted.filter((r) => r.metric.endsWith("(tuning)"))).toHaveLength(3);
    expect(targeted.filter((r) => r.metric.endsWith("(held apart)"))).toHaveLength(3);
    expectAllMet(targeted);
  }, 300_000);

  it("speakers: one voice is one speaker; same-sex dialogues and three speakers counted right; DER ≤ 15 %", async () => {
    const dir = await workDir("quality-speakers");
    const rows: Row[] = [];
    await measureSpeakers(dir, "tuning", rows, []);
    await measureSpeakers(dir, "held apart", rows, []);
    const targeted = rows.filter((r) => r.target);
    // Counts and pooled DER on both sets, and the held-apart figures the transcript's unsure note quotes.
    expect(targeted.filter((r) => r.metric.endsWith("(tuning)"))).toHaveLength(3);
    expect(targeted.filter((r) => r.metric.includes("(held apart"))).toHaveLength(5);
    expectAllMet(targeted);
  }, 300_000);

  it("moderation: no benign picture reaches the local review band with the default model", async () => {
    const dir = await workDir("quality-moderation");
    const { rows } = await measureModeration(dir, [LOCAL_MODERATION_MODEL]);
    const targeted = rows.filter((r) => r.target);
    expect(targeted.map((r) => r.metric)).toEqual([
      expect.stringMatching(/\(local default\) \(tuning\)$/),
      expect.stringMatching(/\(local default\) \(held apart\)$/),
    ]);
    // 80 pictures, or the measurement shrank: python3-skimage's photographs are all there.
    expect(rows.find((r) => r.target)?.measuredOn).toMatch(/ of 40 /);
    expectAllMet(targeted);
  }, 300_000);
});
