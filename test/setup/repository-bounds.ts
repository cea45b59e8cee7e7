import fs from "node:fs";
import fsp from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/*
 * The tests read nothing beside the repository: a clone on its own must pass `npm test`. Every test
 * worker runs this first; it makes the file-reading functions of node:fs refuse a path that lies under
 * the repository's parent directory but outside the repository (a sibling checkout, a shared folder
 * next to it), with an error that names the path. System locations (Debian's photographs and speech
 * models under /usr, the temp directory) are the declared prerequisites and stay readable.
 */

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PARENT = path.dirname(REPOSITORY_ROOT);
const TEMP = path.resolve(os.tmpdir());
const HOME = path.resolve(os.homedir());

/** A test tried to read a file beside the repository rather than in it. */
export class OutsideRepositoryReadError extends Error {
  override name = "OutsideRepositoryReadError";
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

/*
 * Tools walk upward from the repository looking for their settings (SST checks that the directory
 * above exists; resolvers and bundlers probe every ancestor for package.json, tsconfig.json,
 * .browserslistrc…). A file directly in an ancestor directory is such a look-up, not a test input;
 * anything deeper beside the repository (../shared/…) is, and so is listing a sibling directory.
 */
const isAncestorLookup = (full: string, listing: boolean) =>
  inside(REPOSITORY_ROOT, full) || (!listing && inside(REPOSITORY_ROOT, path.dirname(full)));

/** Whether reading `target` would reach outside the repository into its surroundings. */
export function readsBesideRepository(target: unknown, listing = false): boolean {
  let p: string;
  if (typeof target === "string") p = target;
  else if (target instanceof URL && target.protocol === "file:") p = fileURLToPath(target);
  else if (Buffer.isBuffer(target)) p = target.toString();
  else return false;
  const full = path.resolve(p);
  if (inside(full, REPOSITORY_ROOT) || inside(full, TEMP) || isAncestorLookup(full, listing)) return false;
  // A user's tool settings (~/.aws/config, which the SDK looks for, ~/.cache…) are not test inputs.
  if (inside(full, HOME) && path.relative(HOME, full).startsWith(".")) return false;
  return inside(full, PARENT) && PARENT !== path.parse(PARENT).root;
}

function refusal(name: string, target: unknown): OutsideRepositoryReadError {
  return new OutsideRepositoryReadError(`${name}(${String(target)}): tests read nothing outside ${REPOSITORY_ROOT}; commit what they need into the repository`);
}

function guard<F extends (...args: any[]) => any>(name: string, original: F, promised = false): F {
  const listing = /readdir|opendir/.test(name);
  return function (this: unknown, target: unknown, ...rest: unknown[]) {
    if (readsBesideRepository(target, listing)) {
      if (promised) return Promise.reject(refusal(name, target));
      throw refusal(name, target);
    }
    return original.call(this, target, ...rest);
  } as F;
}

const SYNC = ["readFileSync", "openSync", "readdirSync", "createReadStream", "existsSync", "statSync", "opendirSync"] as const;
const CALLBACK = ["readFile", "open", "readdir", "stat", "opendir"] as const;
const PROMISES = ["readFile", "open", "readdir", "stat", "opendir"] as const;

const marker = Symbol.for("media-pipeline.repository-bounds");
if (!(globalThis as Record<symbol, unknown>)[marker]) {
  (globalThis as Record<symbol, unknown>)[marker] = true;
  const f = fs as unknown as Record<string, (...args: any[]) => any>;
  for (const name of [...SYNC, ...CALLBACK]) f[name] = guard(`fs.${name}`, f[name]!);
  const p = fsp as unknown as Record<string, (...args: any[]) => any>;
  for (const name of PROMISES) p[name] = guard(`fs.promises.${name}`, p[name]!, true);
  // Named ESM imports of node:fs and node:fs/promises are live bindings of these objects.
  syncBuiltinESMExports();
}
