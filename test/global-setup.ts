import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Tests that spawn the CLI run the compiled JavaScript: build it once (incremental, fast when fresh),
 * after bundling the pages' browser assets, which the web package's sources import (tests that render
 * a page import them from source). The stack tests share one synthesis of the app per run through a
 * folder provided here (helpers/stack-templates.ts). Everything lives in one run folder, removed when
 * the run ends.
 */
export default function setup(project: TestProject): () => void {
  const root = path.resolve(import.meta.dirname, "..");
  execFileSync(process.execPath, [path.join(root, "packages/web/scripts/build-assets.mjs")], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/core", "packages/media", "packages/web", "packages/local", "packages/functions"], {
    cwd: root,
    stdio: "inherit",
  });
  // One folder for the whole run, whichever project (vitest.config.ts) sets up first. It is also the
  // run's TMPDIR: every test's temporary folder, CDK's cdk.out assemblies and what spawned programs
  // write to os.tmpdir() land in it (the test workers and their children are started after this and
  // inherit it), and it is removed when the run ends. Without it a run left gigabytes behind (cloud
  // harness work folders, synthesized assemblies with their bundles), and repeated runs filled the
  // disk. MEDIA_PIPELINE_KEEP_TEST_TMP=1 keeps it for a post-mortem.
  const owner = !process.env.MEDIA_PIPELINE_TEST_RUN_DIR;
  if (owner) {
    const run = mkdtempSync(path.join(os.tmpdir(), "media-pipeline-test-"));
    process.env.MEDIA_PIPELINE_TEST_RUN_DIR = run;
    mkdirSync(path.join(run, "stacks"));
    mkdirSync(path.join(run, "tmp"));
    process.env.TMPDIR = path.join(run, "tmp");
  }
  const run = process.env.MEDIA_PIPELINE_TEST_RUN_DIR as string;
  project.provide("stackTemplatesDir", path.join(run, "stacks"));
  return () => {
    if (owner && process.env.MEDIA_PIPELINE_KEEP_TEST_TMP !== "1") rmSync(run, { recursive: true, force: true });
  };
}
