import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import sstConfig from "../../sst.config.js";

/**
 * One offline synthesis of the whole app to a cloud assembly on disk, as test/stacks.test.ts does it
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
 * Runs `fn` while no other process of this checkout synthesizes. SST builds each function in a
 * folder of `.sst/artifacts` named after the function, emptying it first, so two test files that
 * synthesize at once (vitest runs files in parallel) can delete each other's bundles mid-build
 * (seen as `npm install` failing on a missing package.json there). A directory is the lock: creating
 * one is atomic; a lock whose process is gone is taken over.
 */
export async function withSynthLock<T>(fn: () => Promise<T>, root = process.cwd()): Promise<T> {
  const lock = path.join(root, ".sst", "synth.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!holderAlive(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Gave up waiting for ${lock} (another synthesis has held it for 20 minutes)`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(lock, "pid"), "utf8"));
  } catch {
    // Just created, pid not written yet: give it a moment unless it is old.
    try {
      return Date.now() - statSync(lock).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function synthesizeApp(options: { stage?: string; env?: Record<string, string> } = {}): Promise<Synthesized> {
  return withSynthLock(() => synthesize(options));
}

async function synthesize(options: { stage?: string; env?: Record<string, string> }): Promise<Synthesized> {
  process.env.NODE_ENV = "test";
  const stage = options.stage ?? "test";
  const saved = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, options.env);
  const dir = mkdtempSync(path.join(os.tmpdir(), "media-pipeline-synth-"));
  try {
    await initProject({ stage });
    const config = await sstConfig.config({ stage });
    const app = new App({ mode: "deploy", name: config.name, stage, region: config.region, account: "123456789012" }, { outdir: dir });
    await sstConfig.stacks(app);
    await app.finish();
    app.synth();
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
