#!/usr/bin/env node
/**
 * Synthesizes the SST app to a CloudFormation cloud assembly, offline, as `cdk synth` would: no AWS
 * credentials, no network. (`sst build` always asks STS for the account first.)
 *
 *   node scripts/synth.mjs [--stage dev] [--account 123456789012] [outdir]   (default .sst/synth-out)
 *
 * The same path as `sst deploy` up to where it needs AWS (node_modules/sst: cli/commands/deploy.js →
 * stacks/build.js `load` → stacks/synth.js): sst.config.ts loaded in full by SST's own loader, an App
 * in "deploy" mode, `app.finish()` bundling every function with SST's esbuild options and the app's
 * default function props, then `app.synth()`. What differs: the account is a placeholder (deploy asks
 * STS), no context lookups (the app needs none; this script fails if it ever does), and NODE_ENV=test,
 * which only skips the sourcemap-uploader resource that needs the bootstrap bucket's name. Nothing
 * needs building first: both esbuild builds compile the workspace packages from source (the `paths`
 * of tsconfig.base.json).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stage: { type: "string", default: "dev" },
    // A placeholder: a real deployment resolves the account from credentials.
    account: { type: "string", default: "123456789012" },
    region: { type: "string" },
  },
});

// SST checks for bootstrap resources in app.finish() (an AWS call) unless NODE_ENV is "test".
process.env.NODE_ENV = "test";
const started = performance.now();

const { initProject, useProject } = await import("sst/project.js");
const { load } = await import("sst/stacks/build.js");
const { App } = await import("sst/constructs");
const { PATH_METADATA_ENABLE_CONTEXT } = await import("aws-cdk-lib/cx-api");

// With a stage, initProject neither prompts for one nor reads credentials.
await initProject({ stage: values.stage, region: values.region });
const project = useProject();
process.chdir(project.paths.root); // handler paths are relative to the project root
// Each synthesis bundles into a folder of its own. SST empties `.sst/artifacts/<function>` before it
// bundles there and then runs `npm install` in it; two syntheses at once (tests run in parallel) delete
// each other's folders, and npm, finding no package.json there, walks up and prunes the repository's
// own node_modules to production dependencies.
project.paths.artifacts = await fs.mkdtemp(path.join(os.tmpdir(), "sst-artifacts-"));

const outdir = path.resolve(positionals[0] ?? path.join(project.paths.out, "synth-out"));
await clearPreviousAssembly(outdir);

// initProject loads sst.config.ts without its stacks; load it again in full, as `sst build` does.
const [, sstConfig] = await load(project.paths.config, false);
const app = new App(
  {
    mode: "deploy",
    name: project.config.name,
    stage: project.config.stage,
    region: project.config.region,
    account: values.account,
  },
  { outdir, context: { [PATH_METADATA_ENABLE_CONTEXT]: project.config.cdk?.pathMetadata ?? false } },
);
await sstConfig.stacks(app);
await app.finish(); // bundles every function with esbuild
const assembly = app.synth();

if (assembly.manifest.missing?.length) {
  // Context lookups (VPCs, AMIs, hosted zones) need AWS; the app must not use them.
  throw new Error(`Synthesis needs context lookups, which need AWS: ${assembly.manifest.missing.map((m) => m.key).join(", ")}`);
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`Synthesized ${project.config.name} (stage ${project.config.stage}, ${project.config.region}) in ${seconds} s to ${path.relative(process.cwd(), outdir) || "."}/`);
for (const stack of assembly.stacks) {
  const resources = Object.keys(stack.template.Resources ?? {}).length;
  console.log(`  ${stack.stackName.padEnd(36)} ${String(resources).padStart(3)} resources  ${path.relative(process.cwd(), stack.templateFullPath)}`);
}
await fs.rm(project.paths.artifacts, { recursive: true, force: true });
// esbuild's rebuild contexts keep the event loop alive.
process.exit(0);

/** Removes a previous assembly (never an unrelated folder) so that stale templates do not linger. */
async function clearPreviousAssembly(dir) {
  const isAssembly = await fs.access(path.join(dir, "manifest.json")).then(() => true, () => false);
  if (isAssembly) await fs.rm(dir, { recursive: true, force: true });
}
