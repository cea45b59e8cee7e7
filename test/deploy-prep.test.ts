import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { makeCleanCopy, workspaceFolders } from "./helpers/clean-copy.js";

/**
 * The deploy guide (docs/cloud.md), run on a fresh clone: what `npx sst deploy` does before it needs AWS
 * credentials (load sst.config.ts, bundle every function with esbuild, synthesize the templates) must
 * work with no build output anywhere. `sst deploy` asks STS for the account before it loads the
 * stacks, so the guide's offline step (`npm run synth`: SST's own loader, App, finish and synth, see
 * scripts/synth.mjs) stands in for the rest, and the deploy command itself is run up to STS.
 */
const root = path.resolve(import.meta.dirname, "..");

/**
 * The Deploy section's shell block as commands (continuation lines joined, comments dropped): the
 * preparation is everything between `npm ci` (done here by linking node_modules) and `npx sst deploy`.
 */
function deployGuide(readme: string): { install: string; preparation: string[]; deploy: string } {
  const section = readme.split(/^#{2,3} Deploy$/m)[1]?.split(/^#{2,3} /m)[0] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("The deploy guide's Deploy section (docs/cloud.md) has no sh block");
  const commands = block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter(Boolean);
  return { install: commands[0], preparation: commands.slice(1, -1), deploy: commands.at(-1)! };
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
type FunctionCode = { stack: string; id: string; handler: string; assetDir?: string; inline: boolean };

/** Every Lambda function of every stack in the assembly, with the staged directory of its code asset. */
function functionsOf(assemblyDir: string): FunctionCode[] {
  const manifest = JSON.parse(readFileSync(path.join(assemblyDir, "manifest.json"), "utf8"));
  const staged = new Map<string, string>();
  const found: FunctionCode[] = [];
  const artifacts = Object.values(manifest.artifacts) as Array<{ type: string; properties: Record<string, string> }>;
  for (const artifact of artifacts.filter((a) => a.type === "cdk:asset-manifest")) {
    const { files } = JSON.parse(readFileSync(path.join(assemblyDir, artifact.properties.file), "utf8"));
    for (const [hash, file] of Object.entries(files) as Array<[string, any]>) staged.set(hash, path.join(assemblyDir, file.source.path));
  }
  for (const artifact of artifacts.filter((a) => a.type === "aws:cloudformation:stack")) {
    const template: Template = JSON.parse(readFileSync(path.join(assemblyDir, artifact.properties.templateFile), "utf8"));
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== "AWS::Lambda::Function") continue;
      const { Code, Handler } = resource.Properties;
      const hash = typeof Code.S3Key === "string" ? Code.S3Key.replace(/\.zip$/, "") : undefined;
      found.push({ stack: artifact.properties.templateFile, id, handler: Handler, inline: "ZipFile" in Code, assetDir: hash && staged.get(hash) });
    }
  }
  return found;
}

/** The file Lambda loads for `dir/file.export`: the module beside the handler string, in any runtime's extension. */
function entryFile(assetDir: string, handler: string): string | undefined {
  const base = path.join(assetDir, handler.slice(0, handler.lastIndexOf(".")));
  return [".mjs", ".js", ".cjs", ".py"].map((ext) => base + ext).find((file) => existsSync(file));
}

/** Runs one command line as a shell would (asynchronously: the test worker must keep answering vitest). */
function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** One fresh clone per file, shared by the tests that need it; no AWS credentials can be found in it. */
let clone: { dir: string; env: NodeJS.ProcessEnv } | undefined;
function freshClone(): { dir: string; env: NodeJS.ProcessEnv } {
  if (clone) return clone;
  const dir = mkdtempSync(path.join(os.tmpdir(), "media-pipeline-clone-"));
  clone = { dir, env: {} };
  makeCleanCopy(root, dir);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|VITEST|NODE_ENV$)/.test(k)));
  clone.env = {
    ...env,
    AWS_CONFIG_FILE: path.join(dir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "no-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    // The SST CLI would otherwise post usage telemetry; nothing here may need the network.
    SST_TELEMETRY_DISABLED: "1",
  };
  return clone;
}
afterAll(() => {
  if (clone) rmSync(clone.dir, { recursive: true, force: true });
});

const guide = () => deployGuide(readFileSync(path.join(root, "docs", "cloud.md"), "utf8"));

describe("deploy preparation on a fresh clone", () => {
  it("maps every export of every workspace package to its source in the paths esbuild reads", () => {
    const base = path.join(root, "tsconfig.base.json");
    const paths: Record<string, string[]> = ts.readConfigFile(base, ts.sys.readFile).config.compilerOptions.paths;
    const expected: Record<string, string[]> = {};
    for (const dir of workspaceFolders(root)) {
      const { name, exports } = JSON.parse(readFileSync(path.join(root, dir, "package.json"), "utf8"));
      for (const [subpath, conditions] of Object.entries(exports as Record<string, { default: string }>)) {
        // tsc compiles src/<file>.ts to dist/<file>.js (rootDir src, outDir dist in every package).
        const source = conditions.default.replace(/^\.\/dist\/(.+)\.js$/, "./src/$1.ts");
        expect(existsSync(path.join(root, dir, source)), `${name} "${subpath}": ${source}`).toBe(true);
        expected[name + subpath.slice(1)] = [`./${dir}/${source.slice(2)}`];
      }
      // Files of a package see the paths only through its tsconfig's `extends`.
      const config = ts.readConfigFile(path.join(root, dir, "tsconfig.json"), ts.sys.readFile).config;
      expect(path.resolve(root, dir, config.extends), `${dir}/tsconfig.json extends`).toBe(base);
    }
    expect(paths).toEqual(expected);
  });

  it("bundles every function from source and synthesizes every stack with the deploy guide's commands, without credentials", async () => {
    const { install, preparation } = guide();
    expect(install).toBe("npm ci");
    expect(preparation, "the guide's offline step before deploying").toContain("npm run synth");
    const { dir, env } = freshClone();
    for (const ws of workspaceFolders(dir)) expect(existsSync(path.join(dir, ws, "dist")), `${ws}/dist in a fresh clone`).toBe(false);
    expect(existsSync(path.join(dir, ".sst"))).toBe(false);

    for (const command of preparation) {
      const run = await shell(command, dir, env);
      expect(run.status, `\`${command}\` in a fresh clone:\n${run.output}`).toBe(0);
    }

    const functions = functionsOf(path.join(dir, ".sst", "synth-out"));
    const ours = functions.filter((f) => f.handler.startsWith("packages/functions/src/handlers/"));
    expect(ours.length, "the app's own functions").toBeGreaterThan(10);
    for (const fn of functions.filter((f) => !f.inline)) {
      expect(fn.assetDir, `${fn.stack} ${fn.id}: its code asset in the assembly`).toBeDefined();
      const entry = entryFile(fn.assetDir!, fn.handler);
      expect(entry, `${fn.stack} ${fn.id}: the entry file of handler ${fn.handler}`).toBeDefined();
      expect(statSync(entry!).size, `${fn.handler}'s bundle`).toBeGreaterThan(0);
    }
    for (const fn of ours) {
      const entry = entryFile(fn.assetDir!, fn.handler)!;
      // The export the handler string names: `handler`, or a route's own (api-reviews.me).
      const name = fn.handler.slice(fn.handler.lastIndexOf(".") + 1);
      expect(readFileSync(entry, "utf8"), `${fn.handler} exports ${name}`).toMatch(new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`));
      // The sourcemap says what went in: the workspace packages' TypeScript sources, never a dist/.
      const { sources } = JSON.parse(readFileSync(`${entry}.map`, "utf8")) as { sources: string[] };
      const workspaceFiles = sources.filter((s) => /(^|\/)packages\/[^/]+\/(src|dist)\//.test(s));
      expect(workspaceFiles.some((s) => /packages\/core\/src\/.+\.ts$/.test(s)), `${fn.handler} bundles core's sources`).toBe(true);
      expect(workspaceFiles.filter((s) => /packages\/[^/]+\/dist\//.test(s)), `${fn.handler} bundles build output`).toEqual([]);
    }
  }, 300_000);

  it("runs the deploy guide's command up to the point where it needs AWS credentials", async () => {
    const { deploy } = guide();
    expect(deploy).toMatch(/^(\w+=\S+ )*npx sst deploy\b/);
    const { dir, env } = freshClone();
    // No credentials can be found, so nothing reaches AWS: the CLI must start, read sst.config.ts and
    // stop at its first AWS call (STS), with no build of any workspace package.
    const run = await shell(deploy, dir, env);
    expect(run.status, run.output).not.toBe(0);
    expect(run.output).toMatch(/Could not load credentials from any providers/);
    expect(run.output).not.toMatch(/Could not resolve/);
  }, 120_000);
});
