/**
 * Starting the vision worker from TypeScript source, for the tests and the eval (vitest runs `src/`
 * without building; the runtime runs the compiled `dist/` and never comes here).
 *
 * A worker thread is a fresh Node instance that cannot load `.ts` files, so it first registers module
 * hooks (node:module `register`, Node ≥ 20.6) that map `./x.js` imports to `./x.ts` when only the
 * source exists, resolve `@media-pipeline/core` to its source as vitest's alias does, and transpile
 * TypeScript with esbuild (vitest's own dependency), or with the TypeScript compiler when esbuild
 * cannot be found. Type-only constructs are erased; nothing is type-checked.
 */
export function sourceWorkerUrl(workerTs: URL): URL {
  const coreSource = new URL("../../../../core/src/index.ts", import.meta.url);
  const hooks = `
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
const require = createRequire(${JSON.stringify(import.meta.url)});
let transpile;
try {
  const esbuild = require("esbuild");
  transpile = (source) => esbuild.transformSync(source, { loader: "ts", format: "esm", target: "es2022" }).code;
} catch {
  const ts = require("typescript");
  transpile = (source, fileName) => ts.transpileModule(source, { fileName, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}
export async function resolve(specifier, context, next) {
  if (specifier === "@media-pipeline/core") return { url: ${JSON.stringify(coreSource.href)}, shortCircuit: true };
  if (context.parentURL?.endsWith(".ts") && /^\\.\\.?\\//.test(specifier) && specifier.endsWith(".js")) {
    const js = new URL(specifier, context.parentURL);
    const ts = new URL(js.href.slice(0, -3) + ".ts");
    if (!existsSync(fileURLToPath(js)) && existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const path = fileURLToPath(url);
  return { format: "module", source: transpile(await readFile(path, "utf8"), path), shortCircuit: true };
}`;
  const boot = `
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
await import(${JSON.stringify(workerTs.href)});
`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
