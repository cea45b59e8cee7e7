import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { measureShots } from "../eval/shots-measure.js";
import { markdownTable } from "../eval/table.js";
import { tempDir } from "./helpers/flow.js";

/*
 * The eval's accuracy targets, enforced in `npm test`: the measurements here are the ones
 * `npm run eval` writes to eval/RESULTS.md (the same code), on both the tuning set and the held-apart
 * set. A missed target fails the suite with the table, so a change that costs accuracy cannot land.
 * The fast part of the eval runs here (shots: five short generated videos); the rest runs in
 * `npm run eval`.
 */

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("accuracy targets (the eval's, on tuning and held-apart media)", () => {
  it("shot boundaries: hard cuts, fades and dissolves found; nothing found inside moving shots", async () => {
    dir = await tempDir("quality-shots");
    const { rows } = await measureShots(dir);
    const targeted = rows.filter((r) => r.target);
    // Both sets carry the same three targets.
    expect(targeted.filter((r) => r.metric.endsWith("(tuning)"))).toHaveLength(3);
    expect(targeted.filter((r) => r.metric.endsWith("(held apart)"))).toHaveLength(3);
    const missed = targeted.filter((r) => !r.pass);
    expect(missed, `targets missed:\n${markdownTable(missed)}`).toEqual([]);
  }, 300_000);
});
