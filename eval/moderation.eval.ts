import { rm } from "node:fs/promises";
import { afterAll, describe, inject, it } from "vitest";
import { stopVisionWorkers, type NsfwModelName } from "../packages/local/src/engines/vision/index.js";
import { NSFW_MODELS } from "../packages/local/src/engines/vision/protocol.js";
import { tempDir } from "../test/helpers/flow.js";
import { measureModeration } from "./moderation-measure.js";
import { saveGroup } from "./table.js";

let dir: string | undefined;
afterAll(async () => {
  await stopVisionWorkers();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("moderation: nsfwjs false positives on benign pictures", () => {
  it("measures every model's highest unsafe score per benign picture, on the tuning and held-apart sets", async () => {
    const started = performance.now();
    dir = await tempDir("eval-moderation");
    const { rows, weaknesses } = await measureModeration(dir, NSFW_MODELS as readonly NsfwModelName[]);
    await saveGroup(inject("evalRowsDir"), { name: "8-moderation", rows, weaknesses, durationMs: performance.now() - started });
  });
});
