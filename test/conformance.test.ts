import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InvalidPatternError } from "../packages/core/src/errors.js";
import { compilePattern } from "../packages/core/src/routing/pattern/index.js";

/**
 * Cases recorded against EventBridge's TestEventPattern API (see ../shared/conformance/README.md).
 * The file lives beside the repository, so a missing file is a broken checkout, never a skip.
 */
interface ConformanceCase {
  readonly name: string;
  readonly expect: "match" | "no-match" | "invalid";
  readonly pattern: unknown;
  readonly event: unknown;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.resolve(repoRoot, "../shared/conformance/eventbridge-patterns.json");
if (!existsSync(file)) {
  throw new Error(`EventBridge conformance cases not found at ${file}; the shared conformance folder must sit beside the repository`);
}
const cases = JSON.parse(readFileSync(file, "utf8")) as ConformanceCase[];

describe("EventBridge pattern conformance", () => {
  it("has cases to check", () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    if (c.expect === "invalid") {
      it(`${c.name}: refuses the pattern`, () => {
        expect(() => compilePattern(c.pattern)).toThrow(InvalidPatternError);
      });
    } else {
      it(`${c.name}: ${c.expect === "match" ? "matches" : "does not match"}`, () => {
        expect(compilePattern(c.pattern).match(c.event)).toBe(c.expect === "match");
      });
    }
  }
});
