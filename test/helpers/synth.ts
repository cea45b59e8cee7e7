import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject, useProject } from "sst/project.js";
import sstConfig from "../../sst.config.js";

/**
 * One offline synthesis of the whole app to a cloud assembly on disk, as helpers/stack-templates.ts does it
 * (NODE_ENV=test keeps app.finish() from looking up bootstrap resources; a stage keeps initProject
 * from prompting), plus `app.synth()` so that the staged assets exist. About as costly as the
 * templates alone (the bundles are built either way): synthesize once per test file.
 */
export interface Synthesized {
  /** The cloud assembly directory (manifest.json, templates, asset.* directories). */
  dir: string;
  /** A stack's template, by its stack function (e.g. `template(Pipeline)`). */
  template(stack: Parameters<typeof getStack>[0]): Template;
  /** Every zip-packaged asset (Lambda code and layers), as the staged directory cdk-assets would zip. */
  assetDirs(): Array<{ id: string; dir: string }>;
  /** Removes the assembly directory. */
  remove(): void;
}

/**
 * Runs `fn` (a synthesis) with SST bundling into a folder of its own, removed afterwards, as
 * scripts/synth.mjs does. SST empties `.sst/artifacts/<function>` before it bundles there and then
 * runs `npm install` in it, so two syntheses at once (vitest runs test files in parallel, and others
 * may be synthesizing in this checkout) delete each other's folders, and npm, finding no package.json,
 * walks up to the repository's own. Call after `initProject`, which resets the paths.
 */
export async function withPrivateArtifacts<T>(fn: () => Promise<T>): Promise<T> {
  const project = useProject();
  const shared = project.paths.artifacts;
  const own = mkdtempSync(path.join(os.tmpdir(), "sst-artifacts-"));
  project.paths.artifacts = own;
  try {
    return await fn();
  } finally {
    // The assets were staged (copied into the assembly) when their constructs were made.
    project.paths.artifacts = shared;
    rmSync(own, { recursive: true, force: true });
  }
}

export async function synthesizeApp(options: { stage?: string; env?: Record<string, string> } = {}): Promise<Synthesized> {
  process.env.NODE_ENV = "test";
  const stage = options.stage ?? "test";
  const saved = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, options.env);
  const dir = mkdtempSync(path.join(os.tmpdir(), "media-pipeline-synth-"));
  try {
    await initProject({ stage });
    const config = await sstConfig.config({ stage });
    const app = new App({ mode: "deploy", name: config.name, stage, region: config.region, account: "123456789012" }, { outdir: dir });
    await withPrivateArtifacts(async () => {
      await sstConfig.stacks(app);
      await app.finish();
      app.synth();
    });
    const templates = new Map<unknown, Template>();
    return {
      dir,
      template(stack) {
        let t = templates.get(stack);
        if (!t) templates.set(stack, (t = Template.fromStack(getStack(stack))));
        return t;
      },
      assetDirs: () => zipAssetDirs(dir),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The staged directories of every zip-packaged file asset of every stack in the assembly. */
export function zipAssetDirs(assemblyDir: string): Array<{ id: string; dir: string }> {
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, "manifest.json"), "utf8"));
  const found = new Map<string, string>();
  for (const artifact of Object.values(manifest.artifacts ?? {}) as any[]) {
    if (artifact.type !== "cdk:asset-manifest") continue;
    const files = JSON.parse(readFileSync(path.join(assemblyDir, artifact.properties.file), "utf8")).files ?? {};
    for (const [id, file] of Object.entries(files) as Array<[string, any]>) {
      // CloudFormation templates are "file" assets; Lambda code and layers are directories zipped at publish.
      if (file.source.packaging === "zip") found.set(id, path.join(assemblyDir, file.source.path));
      else if (!String(file.source.path).endsWith(".json")) {
        throw new Error(`Asset ${id} (${file.source.path}) is a ${file.source.packaging} asset: only staged directories can be checked`);
      }
    }
  }
  return [...found].map(([id, dir]) => ({ id, dir }));
}
