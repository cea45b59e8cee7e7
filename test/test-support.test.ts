import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/*
 * What `tsc -b` compiles into a package's dist is everything under its src that is not a test. Helpers
 * that only tests use (mocked clouds, fixture builders, test servers) live in packages/<pkg>/test-support
 * instead, so they never ship, and no shipped module may lean on a test library.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
const PACKAGES = path.join(ROOT, "packages");
const TEST_LIBRARIES = ["vitest", "aws-sdk-client-mock", "aws-sdk-client-mock-vitest", "playwright-core"];

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|tsx)$/.test(e.name) && !/\.test\.|\.d\.ts$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

const shipped = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((p) => p.isDirectory())
  .flatMap((p) => {
    const src = path.join(PACKAGES, p.name, "src");
    try {
      return sources(src);
    } catch {
      return [];
    }
  });

describe("test-only code", () => {
  it("finds the packages' shipped sources", () => {
    expect(shipped.some((f) => f.startsWith("packages/core/src/"))).toBe(true);
    expect(shipped.some((f) => f.startsWith("packages/functions/src/"))).toBe(true);
  });

  it("stays out of src: no test-support folder or test-* helper is compiled into a package's dist", () => {
    const misplaced = shipped.filter((f) => f.split(path.sep).includes("test-support") || /^test-/.test(path.basename(f)));
    expect(misplaced).toEqual([]);
  });

  it("is never imported by shipped code: no test library, no test-support module", () => {
    const offending = shipped.flatMap((file) => {
      const text = readFileSync(path.join(ROOT, file), "utf8");
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
      return specifiers
        .filter((s) => TEST_LIBRARIES.some((lib) => s === lib || s.startsWith(`${lib}/`)) || s.includes("test-support"))
        .map((s) => `${file} imports ${s}`);
    });
    expect(offending).toEqual([]);
  });
});
