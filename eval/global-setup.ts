import { mkdtemp, rm } from "node:fs/promises";
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
  dir = await mkdtemp(join(tmpdir(), "mp-eval-rows-"));
  project.provide("evalRowsDir", dir);
  project.provide("evalStartedAt", Date.now());
  return async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
