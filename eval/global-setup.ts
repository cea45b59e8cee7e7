import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where each eval file leaves its rows for report.eval.ts (files run in separate processes). */
    evalRowsDir: string;
    /** When the run started, for the wall time in RESULTS.md. */
    evalStartedAt: number;
  }
}

let dir: string | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One folder for the run: the rows, and the run's TMPDIR (the eval files' media and what the engines
  // write to os.tmpdir(); workers start after this and inherit it), removed when the run ends.
  dir = await mkdtemp(join(tmpdir(), "mp-eval-"));
  await mkdir(join(dir, "rows"));
  await mkdir(join(dir, "tmp"));
  process.env.TMPDIR = join(dir, "tmp");
  project.provide("evalRowsDir", join(dir, "rows"));
  project.provide("evalStartedAt", Date.now());
  return async () => {
    // MEDIA_PIPELINE_KEEP_TEST_TMP=1 keeps the folder to look at, as the test run's setup does.
    if (dir && process.env.MEDIA_PIPELINE_KEEP_TEST_TMP !== "1") await rm(dir, { recursive: true, force: true });
  };
}
