import { writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { formatValue, loadGroups, markdownTable, resultsMarkdown, type Row } from "./table.js";

/**
 * Runs last (vitest.eval.config.ts orders it): the table is printed and written before any target is
 * checked, so a missed target fails the run without hiding a single number.
 */

const EXPECTED_GROUPS = ["1-shots", "2-labels", "3-speech", "4-sampling", "5-chapters", "6-text", "7-captions", "8-moderation"];

const groups = await loadGroups(inject("evalRowsDir"));
const rows = groups.flatMap((g) => g.rows);
const cpus = os.cpus();
const machine = {
  date: new Date().toISOString().slice(0, 10),
  cores: os.availableParallelism?.() ?? cpus.length,
  cpu: cpus[0]?.model.trim() ?? "unknown CPU",
  node: process.versions.node,
  wallMs: Date.now() - inject("evalStartedAt"),
};

await writeFile(fileURLToPath(new URL("./RESULTS.md", import.meta.url)), resultsMarkdown(groups, machine));
await writeFile(fileURLToPath(new URL("./results.json", import.meta.url)), `${JSON.stringify({ ...machine, groups }, null, 2)}\n`);
console.log(`\nAccuracy evaluation, ${machine.date}, ${machine.cores} cores, ${(machine.wallMs / 1000).toFixed(0)} s\n`);
console.log(markdownTable(rows));
console.log(`\nWeaknesses:\n${groups.flatMap((g) => g.weaknesses).map((w) => `- ${w}`).join("\n") || "- none found"}`);
console.log("\nWritten: eval/RESULTS.md, eval/results.json\n");

const targets: Row[] = rows.filter((r) => r.pass !== undefined);

describe("eval targets (checked after the table is written)", () => {
  it("has results from every engine group", () => {
    expect(groups.map((g) => g.name)).toEqual(EXPECTED_GROUPS);
  });

  it.each(targets.map((r) => [`${r.metric} ${r.target} (${r.engine})`, r] as const))("meets %s", (_, r) => {
    expect(r.pass, `${r.metric} = ${formatValue(r.value)}, target ${r.target}, measured on ${r.measuredOn}`).toBe(true);
  });
});
