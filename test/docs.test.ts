import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { brokenLinks, driftedFigures, issueMentions, missingPaths, readDocs, type Doc } from "./helpers/docs-check.js";

const root = path.resolve(import.meta.dirname, "..");
const docs = readDocs(root);
const read = (file: string) => (existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), "utf8") : undefined);
const evalResults = readFileSync(path.join(root, "eval/RESULTS.md"), "utf8");
/** The checks' own cases run on a results file of their own, so a new eval run cannot change what they test. */
const RESULTS_FIXTURE = [
  "| engine | metric | value | target | pass | measured on |",
  "|---|---|---|---|---|---|",
  "| ffmpeg | shot boundary F1, hard cuts | 1 | ≥ 0.95 | yes | 8 hard cuts |",
  "| MFCC | diarization error rate, two distinct voices | 0.0333 | ≤ 0.15 | yes | no collar |",
  "| every 2 s | 35.5 | $0.071 | 64 % less | 0.917 (11 of 12) | 0.804 | 0.860 | 0.667 (2 of 3) |",
].join("\n");

describe("README and docs/", () => {
  it("are the README and the five deep pages", () => {
    expect(docs.map((d) => d.file)).toEqual(
      expect.arrayContaining(["README.md", "docs/local-runtime.md", "docs/cloud.md", "docs/events.md", "docs/engines-and-accuracy.md", "docs/benchmarks.md"]),
    );
  });

  it("name no issue number", () => {
    expect(docs.flatMap(issueMentions)).toEqual([]);
  });

  it("link only to files and headings that exist", () => {
    expect(docs.flatMap((d) => brokenLinks(d, root, read))).toEqual([]);
  });

  it("quote every recall, precision, F1 and DER figure from eval/RESULTS.md", () => {
    expect(docs.flatMap((d) => driftedFigures(d, evalResults))).toEqual([]);
  });

  it("quote only repository paths that exist", () => {
    expect(docs.flatMap((d) => missingPaths(d, root))).toEqual([]);
  });

  it("send the reader to the bench's own file for speed figures", () => {
    const page = docs.find((d) => d.file === "docs/benchmarks.md")?.text ?? "";
    expect(page).toContain("](../bench/RESULTS.md)");
  });
});

describe("the docs checks", () => {
  const doc = (text: string, file = "docs/sample.md"): Doc => ({ file, text });

  it("find an issue number, however it is written", () => {
    expect(issueMentions(doc("Not yet built: issue 7.\nSee Issue #12 and issues 3."))).toHaveLength(3);
    expect(issueMentions(doc("The API answers with issues: [...]"))).toEqual([]);
  });

  it("find a link to a missing file and to a missing heading, and accept good ones", () => {
    const text = "[a](cloud.md) [b](missing.md) [c](cloud.md#architecture) [d](cloud.md#no-such-heading) [e](#top) [f](https://x.test/y)\n\n# Top\n";
    const problems = brokenLinks(doc(text), root, read);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("missing.md does not exist");
    expect(problems[1]).toContain("no heading #no-such-heading");
  });

  it("find a link that leaves the repository", () => {
    expect(brokenLinks(doc("[x](../../shared/DESIGN.md)"), root, read)).toHaveLength(1);
  });

  it("find a retyped recall that drifted from eval/RESULTS.md, in a table column, a table row and prose", () => {
    const table = "| sampling | distinct-label recall |\n|---|---|\n| every 2 s | **1.00 (12 of 12)** |\n| every 5 s | 0.83 (10 of 12) |\n";
    expect(driftedFigures(doc(table), RESULTS_FIXTURE)).toEqual([expect.stringContaining("0.83 is not in eval/RESULTS.md")]);
    const row = "| engine | metric | value |\n|---|---|---|\n| MFCC | diarization error rate, two male voices | 0.048 |\n";
    expect(driftedFigures(doc(row), RESULTS_FIXTURE)).toEqual([expect.stringContaining("0.048")]);
    const prose = "At 2 s the distinct-label recall\nwas 0.93, and the DER 0.0333.";
    expect(driftedFigures(doc(prose), RESULTS_FIXTURE)).toEqual([expect.stringContaining("0.93")]);
  });

  it("accept the figures eval/RESULTS.md holds, whatever their trailing zeros", () => {
    const text = "| metric | value |\n|---|---|\n| shot boundary F1, hard cuts | 1.00 |\n| frames mode recall | 0.917 |\n\nThe (label, 1 s) recall 0.804 and precision 0.860.";
    expect(driftedFigures(doc(text), RESULTS_FIXTURE)).toEqual([]);
  });

  it("find a quoted repository path that does not exist", () => {
    const problems = missingPaths(doc("`packages/core/src/events/catalog.ts` and `packages/nowhere/x.ts`, `derived/<mediaId>/x`"), root);
    expect(problems).toEqual([expect.stringContaining("packages/nowhere/x.ts")]);
  });
});
