import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Tests that spawn the CLI run the compiled JavaScript: build it once (incremental, fast when fresh),
 * after bundling the pages' browser assets, which the web package's sources import (tests that render
 * a page import them from source). The stack tests share one synthesis of the app per run through a
 * folder provided here (helpers/stack-templates.ts), removed when the run ends.
 */
export default function setup(project: TestProject): () => void {
  const root = path.resolve(import.meta.dirname, "..");
  execFileSync(process.execPath, [path.join(root, "packages/web/scripts/build-assets.mjs")], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/core", "packages/media", "packages/web", "packages/local", "packages/functions"], {
    cwd: root,
    stdio: "inherit",
  });
  // One folder for the whole run, whichever project (vitest.config.ts) sets up first.
  const owner = !process.env.MEDIA_PIPELINE_TEST_RUN_DIR;
  process.env.MEDIA_PIPELINE_TEST_RUN_DIR ??= mkdtempSync(path.join(os.tmpdir(), "media-pipeline-stacks-"));
  const stackTemplates = process.env.MEDIA_PIPELINE_TEST_RUN_DIR;
  project.provide("stackTemplatesDir", stackTemplates);
  return () => {
    if (owner) rmSync(stackTemplates, { recursive: true, force: true });
  };
}
