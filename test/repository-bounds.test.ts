import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OutsideRepositoryReadError, REPOSITORY_ROOT } from "./setup/repository-bounds.js";

const beside = path.join(path.dirname(REPOSITORY_ROOT), "shared", "conformance", "cases.json");

/** Every test source and helper, as text. */
function testSources(dir = REPOSITORY_ROOT, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "dist", ".git", ".sst", ".build"].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) testSources(full, found);
    else if (/\.(test\.ts|ts|mts|mjs)$/.test(entry.name) && (full.includes(`${path.sep}test${path.sep}`) || entry.name.includes(".test."))) found.push(full);
  }
  return found;
}

/*
 * A clone inside the temp directory (git clone … /tmp/x) has the temp directory as its parent: the
 * guard cannot tell a read beside it from the temp files the tests write there, so it lets both be and
 * the two checks of it do not apply. Everywhere else (CI clones into a folder of its own) they run.
 */
const besideIsTemp = path.dirname(REPOSITORY_ROOT).startsWith(path.resolve(os.tmpdir()));

describe("the tests stand on the repository alone", () => {
  it.skipIf(besideIsTemp)("refuses, in every test worker, a read beside the repository, naming the path", async () => {
    expect(() => readFileSync(beside)).toThrow(OutsideRepositoryReadError);
    expect(() => statSync(beside)).toThrow(/tests read nothing outside/);
    await expect(readFile(beside)).rejects.toThrow(beside);
  });

  it("still reads the repository, the temp directory and the system's packages", async () => {
    expect(readFileSync(path.join(REPOSITORY_ROOT, "package.json"), "utf8")).toContain("\"workspaces\"");
    expect(statSync(os.tmpdir()).isDirectory()).toBe(true);
    expect(statSync("/usr").isDirectory()).toBe(true);
  });

  it.skipIf(besideIsTemp)("lets tools look upward from the repository, but not into a sibling", () => {
    const parent = path.dirname(REPOSITORY_ROOT);
    // SST checks that the directory above the app exists; resolvers probe each ancestor for package.json.
    expect(() => statSync(parent)).not.toThrow();
    expect(() => readFileSync(path.join(parent, "package.json"))).not.toThrow(OutsideRepositoryReadError);
    expect(() => readdirSync(path.join(parent, "shared"))).toThrow(OutsideRepositoryReadError);
    expect(() => readFileSync(path.join(parent, "shared", "package.json"))).toThrow(OutsideRepositoryReadError);
  });

  it("has no test source that names a path beside the repository", () => {
    const sources = testSources();
    expect(sources.length).toBeGreaterThan(50);
    const offenders = sources.filter((f) => /["'`]\.\.\/(\.\.\/)*shared\b|\/work\/shared/.test(readFileSync(f, "utf8")) && !f.endsWith("repository-bounds.test.ts"));
    expect(offenders).toEqual([]);
  });
});
