import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InvalidPatternError } from "../packages/core/src/errors.js";
import { compilePattern } from "../packages/core/src/routing/pattern/index.js";

/**
 * Cases recorded against EventBridge's TestEventPattern API, committed in test/fixtures (copied from
 * the project's shared conformance folder, where each case's outcome was recorded against Amazon
 * EventBridge). A missing file is a broken checkout, never a skip.
 */
interface ConformanceCase {
  readonly name: string;
  readonly expect: "match" | "no-match" | "invalid";
  readonly pattern: unknown;
  readonly event: unknown;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.resolve(repoRoot, "test/fixtures/eventbridge-patterns.json");
if (!existsSync(file)) {
  throw new Error(`EventBridge conformance cases not found at ${file}`);
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
