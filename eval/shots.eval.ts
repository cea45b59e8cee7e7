import { rm } from "node:fs/promises";
import { afterAll, describe, inject, it } from "vitest";
import { tempDir } from "../test/helpers/flow.js";
import { measureShots } from "./shots-measure.js";
import { saveGroup } from "./table.js";

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("shot boundaries: ffmpeg scene score and blend search over the shared frame pass", () => {
  it("measures hard cuts, gradual transitions and moving shots on the tuning and held-apart sets", async () => {
    const started = performance.now();
    dir = await tempDir("eval-shots");
    const { rows, weaknesses } = await measureShots(dir);
    await saveGroup(inject("evalRowsDir"), { name: "1-shots", rows, weaknesses, durationMs: performance.now() - started });
  });
});
