import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NonRetryableError } from "@media-pipeline/core";

/**
 * One TensorFlow.js per thread, on the WASM backend (the vision models run in worker threads, each with
 * its own; see ../worker-pool.ts).
 *
 * Why this shape:
 * - `@tensorflow/tfjs-node` cannot be installed (its install script downloads libtensorflow) and the
 *   pure-JS `cpu` backend is 20–30× slower, so the WASM backend is the only fast option offline.
 * - Every `@tensorflow/*` 4.22 package is CommonJS only, so ESM `import` and `require` reach the same
 *   module instances. human's `dist/human.node-wasm.js` does not bundle TensorFlow: it `require`s
 *   `@tensorflow/tfjs-core`, `-converter` and `-backend-wasm`, the very copies `@tensorflow/tfjs` (and
 *   so nsfwjs) uses. Both libraries therefore share one engine, one backend and one kernel registry;
 *   they coexist as long as the backend is set up once, here, before either loads a model.
 * - The `.wasm` binaries are read from the installed package directory (`setWasmPaths` with a file
 *   path, which emscripten reads with `fs` in Node), never fetched by URL.
 * - Threads: tfjs-backend-wasm reports no multithread support under Node (tensorflow/tfjs#3830) and
 *   forcing it fails, because its pthread workers are `blob:` URLs that Node's `Worker` refuses. So
 *   the backend runs SIMD, single-threaded (`setThreadsCount(2)` leaves `getThreadsCount()` at 1 and
 *   `WASM_HAS_MULTITHREAD_SUPPORT` false, checked on Node 20.20). Parallelism comes from worker threads.
 */

export type Tf = typeof import("@tensorflow/tfjs");

/** What the thread actually runs on, reported in every vision engine's settings. */
export interface TfjsRuntime {
  tf: Tf;
  /** The backend in use, e.g. "wasm". */
  backend: string;
  simd: boolean;
  threads: number;
  /** `@tensorflow/tfjs` version. */
  version: string;
  /** Where the `.wasm` binaries were read from. */
  wasmDir: string;
}

/** Resolves packages from this file, so the project's own node_modules is always the one used. */
export const requireHere = createRequire(import.meta.url);

/**
 * A package's root directory. Walks up from its resolved entry point because some packages (human)
 * have export maps that refuse `pkg/package.json`.
 */
export function packageDir(name: string): string {
  let dir = dirname(requireHere.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no package.json at this level: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new NonRetryableError(`cannot find the package directory of ${name}`);
    dir = parent;
  }
}

/** A package's version from its own package.json. */
export function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

let runtime: Promise<TfjsRuntime> | undefined;

/**
 * Sets up TensorFlow.js on the WASM backend once per thread; every later call gets the same
 * promise. Safe to call from several engines at once.
 * @example const { tf, backend } = await initTfjs() // backend === "wasm"
 */
export function initTfjs(): Promise<TfjsRuntime> {
  runtime ??= setUp().catch((err: unknown) => {
    runtime = undefined; // let a later call try again rather than caching the failure forever
    throw new NonRetryableError("TensorFlow.js WASM backend failed to start", { cause: err });
  });
  return runtime;
}

async function setUp(): Promise<TfjsRuntime> {
  const tf = requireHere("@tensorflow/tfjs") as Tf;
  const wasm = requireHere("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  const wasmDir = join(packageDir("@tensorflow/tfjs-backend-wasm"), "dist") + "/";
  // Not tf.getBackend(): asking it before a backend is set initialises the default (cpu) one.
  if (tf.engine().backendName !== "wasm") {
    wasm.setWasmPaths(wasmDir);
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new Error("tf.setBackend('wasm') returned false");
  }
  await tf.ready();
  registerFileModelRouter(tf);
  tf.enableProdMode();
  return {
    tf,
    backend: tf.getBackend(),
    simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
    threads: wasm.getThreadsCount(),
    version: packageVersion("@tensorflow/tfjs"),
    wasmDir,
  };
}

let routerRegistered = false;

/**
 * Lets `tf.loadGraphModel("file:///…/model.json")` (and human's loader, which builds such URLs from
 * `modelBasePath`) read a model and its weight shards from disk. Without tfjs-node no `file://`
 * handler exists and human would fall back to `fetch`.
 */
function registerFileModelRouter(tf: Tf): void {
  if (routerRegistered) return;
  tf.io.registerLoadRouter((url) => {
    const path = typeof url === "string" && url.startsWith("file://") ? fileURLToPath(url) : undefined;
    // tfjs skips routers that return null, though its types do not say so.
    return path ? fileModelHandler(path) : (null as unknown as import("@tensorflow/tfjs").io.IOHandler);
  });
  routerRegistered = true;
}

/** A TensorFlow.js IO handler reading a `model.json` in the layers/graph format and its shards. */
export function fileModelHandler(jsonPath: string): { load(): Promise<import("@tensorflow/tfjs").io.ModelArtifacts> } {
  return {
    async load() {
      const json = JSON.parse(await readFile(jsonPath, "utf8")) as import("@tensorflow/tfjs").io.ModelJSON;
      const weightSpecs: import("@tensorflow/tfjs").io.WeightsManifestEntry[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        for (const p of group.paths) shards.push(await readFile(resolve(dirname(jsonPath), p)));
        weightSpecs.push(...group.weights);
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/**
 * Runs `task` after every task queued before it. The shared TensorFlow.js engine and human's model
 * state are not meant for interleaved inference, and on a single WASM thread nothing is lost.
 */
export function serial(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
