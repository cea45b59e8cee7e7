import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, parseCircular, parseDependencyTree, type DependencyTree } from "dpdm";
import { beforeAll, describe, expect, it } from "vitest";

/*
 * The repository's structure as rules over one import graph: the one `npm run check:cycles` reads, built
 * by dpdm from its settings in dpdm.config.ts (every package's sources, type-only imports included,
 * workspace packages resolved to their sources). Core at the bottom, media and web beside it, local and
 * functions above them, stacks on top, and no cycle anywhere.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Workspace packages each package may import (its own modules aside). A new package gets a line here. */
const LAYERS: Record<string, readonly string[]> = {
  core: [],
  media: ["core"],
  web: ["core"],
  local: ["core", "media", "web"],
  functions: ["core", "media", "web"],
};

/** What core may import besides its own modules: it is pure (no I/O, no AWS SDK, no other package). */
const CORE_MAY_IMPORT = ["zod"];
const CORE_TESTS_MAY_IMPORT = [...CORE_MAY_IMPORT, "vitest"];

const VISION = "packages/local/src/engines/vision/";
const VISION_WORKER = `${VISION}worker/`;
/** Vision modules both sides of the thread boundary import: the worker protocol, the models' settings and taxonomies. */
const VISION_SHARED = ["protocol.ts", "label-settings.ts", "moderation-taxonomy.ts", "coco-taxonomy.ts"].map((f) => VISION + f);

interface Edge {
  from: string;
  request: string;
  /** The file the import resolves to, relative to the root; null when it does not resolve. */
  to: string | null;
}

let graph: DependencyTree;
let edges: Edge[];

const packageOf = (file: string | null) => file?.match(/^packages\/([^/]+)\/(src|test-support)\//)?.[1];
const isTest = (file: string) => /\.test\.tsx?$/.test(file);
/** The package name of a bare import: `@aws-sdk/client-s3/x` → `@aws-sdk/client-s3`, `node:fs` → `node:fs`. */
const bareName = (request: string) => request.split("/").slice(0, request.startsWith("@") ? 2 : 1).join("/");
const show = (e: Edge) => `${e.from} -> ${e.request}`;

beforeAll(async () => {
  const config = await loadConfig(ROOT);
  graph = await parseDependencyTree([config.files ?? []].flat(), {
    cwd: ROOT,
    context: ROOT,
    ...(config.tsconfig ? { tsconfig: path.join(ROOT, config.tsconfig) } : {}),
    ...(config.exclude ? { exclude: new RegExp(config.exclude) } : {}),
    transform: config.transform ?? false,
  });
  edges = Object.entries(graph).flatMap(([from, deps]) =>
    from.startsWith("packages/") ? (deps ?? []).map((d) => ({ from, request: d.request, to: d.id })) : [],
  );
}, 120_000);

describe("import graph", () => {
  it("covers the sources of every package", () => {
    const packages = readdirSync(path.join(ROOT, "packages"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && readdirSync(path.join(ROOT, "packages", d.name)).includes("src"))
      .map((d) => d.name);
    expect(packages).toContain("core");
    const covered = new Set(Object.keys(graph).map(packageOf));
    expect(packages.filter((p) => !covered.has(p))).toEqual([]);
    expect(Object.keys(graph).filter((f) => f.endsWith(".d.ts") && packageOf(f))).toEqual([]);
  });

  it("resolves every relative and workspace import, workspace packages to their sources", () => {
    const unresolved = edges.filter((e) => (e.request.startsWith(".") && e.to === null) || (e.request.startsWith("@media-pipeline/") && !packageOf(e.to)));
    expect(unresolved.map((e) => `${show(e)} (resolved to ${e.to})`), "imports the graph cannot follow (tsconfig.base.json paths?)").toEqual([]);
  });

  it("has no import cycle in any package", () => {
    const cycles = parseCircular(graph).map((cycle) => [...cycle, cycle[0]].join(" -> "));
    expect(cycles, `import cycles (npm run check:cycles shows them too):\n${cycles.join("\n")}`).toEqual([]);
  });
});

describe("layers", () => {
  it("keeps core pure: it imports only its own modules and zod (no other package, no node: module, no AWS SDK)", () => {
    const bad = edges.filter((e) => {
      if (packageOf(e.from) !== "core") return false;
      if (e.request.startsWith(".")) return packageOf(e.to) !== "core";
      return !(isTest(e.from) ? CORE_TESTS_MAY_IMPORT : CORE_MAY_IMPORT).includes(bareName(e.request));
    });
    expect(bad.map(show)).toEqual([]);
  });

  it("lets each package import only the workspace packages below it", () => {
    const packages = new Set(edges.map((e) => packageOf(e.from)));
    expect([...packages].filter((p) => p && !LAYERS[p]), "packages missing from LAYERS").toEqual([]);
    const bad = edges.filter((e) => {
      const from = packageOf(e.from)!;
      const to = packageOf(e.to);
      if (!to || to === from || LAYERS[from]?.includes(to)) return false;
      return !(from === "functions" && to === "local"); // checked against its known exceptions below
    });
    expect(bad.map((e) => `${show(e)} (${packageOf(e.from)} may import ${LAYERS[packageOf(e.from)!]?.join(", ") || "no package"})`)).toEqual([]);
  });

  it("keeps functions off local: the cloud bundles pull in no SQLite, TF.js or sherpa-onnx", () => {
    expect(edges.filter((e) => packageOf(e.from) === "functions" && packageOf(e.to) === "local").map(show)).toEqual([]);
  });

  it("keeps local off functions", () => {
    expect(edges.filter((e) => packageOf(e.from) === "local" && (packageOf(e.to) === "functions" || e.request.startsWith("@media-pipeline/functions"))).map(show)).toEqual([]);
  });

  it("keeps stacks on top: nothing in packages imports stacks/ or sst.config.ts", () => {
    expect(edges.filter((e) => e.to?.startsWith("stacks/") || e.to?.startsWith("sst.config.")).map(show)).toEqual([]);
  });
});

describe("vision engines", () => {
  const inVision = (f: string) => f.startsWith(VISION) && !isTest(f);

  it("are where these rules look for them", () => {
    expect(Object.keys(graph).filter((f) => f.startsWith(VISION_WORKER)).length).toBeGreaterThan(0);
    for (const f of VISION_SHARED) expect(graph[f], f).toBeTruthy();
  });

  it("keep the main-thread detectors off the worker-side model code", () => {
    const bad = edges.filter((e) => inVision(e.from) && !e.from.startsWith(VISION_WORKER) && e.from !== `${VISION}index.ts` && e.to?.startsWith(VISION_WORKER));
    expect(bad.map(show)).toEqual([]);
  });

  it("keep the worker-side model code off the main-thread modules: it shares only the protocol, settings and taxonomies", () => {
    const bad = edges.filter(
      (e) => inVision(e.from) && e.from.startsWith(VISION_WORKER) && e.to?.startsWith(VISION) && !e.to.startsWith(VISION_WORKER) && !VISION_SHARED.includes(e.to),
    );
    expect(bad.map(show)).toEqual([]);
  });

  it("keep the shared modules free of either side", () => {
    const bad = edges.filter((e) => VISION_SHARED.includes(e.from) && e.to?.startsWith(VISION) && !VISION_SHARED.includes(e.to));
    expect(bad.map(show)).toEqual([]);
  });
});
