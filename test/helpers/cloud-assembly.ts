import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";
import { synthesize } from "../cloud/harness/app.js";
import { tempDir } from "./flow.js";

/**
 * The app as it deploys with default settings, synthesized with its function bundles (a cloud
 * assembly) for stage `e2e`: once per test run, in the run's folder (test/global-setup.ts), for the
 * test files that run the whole app. The first to ask synthesizes; the others wait for its marker. Each
 * file starts an emulator of its own, so one stage name serves them all. Without the run's folder (a
 * runner config without the global setup) a file synthesizes for itself.
 */
export async function e2eAssembly(): Promise<string> {
  let runDir: string | undefined;
  try {
    runDir = inject("stackTemplatesDir");
  } catch {
    runDir = undefined;
  }
  if (!runDir) {
    const own = path.join(await tempDir("cloud-assembly"), "assembly");
    await synthesize(own, "e2e");
    return own;
  }
  const assembly = path.join(runDir, "cloud-e2e-assembly");
  const done = path.join(runDir, "cloud-e2e.done");
  const failed = path.join(runDir, "cloud-e2e.failed");
  try {
    mkdirSync(path.join(runDir, "cloud-e2e.lock"));
  } catch {
    // Another file synthesizes it: wait (the caller's hook timeout bounds the wait).
    for (;;) {
      if (existsSync(done)) return assembly;
      if (existsSync(failed)) throw new Error(`Synthesis of the e2e app failed in another test file:\n${readFileSync(failed, "utf8")}`);
      await sleep(250);
    }
  }
  try {
    // The Lambda stand-in's sandboxes run as an unprivileged user, which must reach the bundles.
    chmodSync(runDir, 0o755);
    await synthesize(assembly, "e2e");
    writeFileSync(done, "");
    return assembly;
  } catch (error) {
    writeFileSync(failed, String((error as Error).stack ?? error));
    throw error;
  }
}
