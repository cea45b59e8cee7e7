import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * `npm run eval`: accuracy of the local engines on generated media with known ground truth; the
 * results land in eval/RESULTS.md and eval/results.json. Files run one at a time in a fixed order — the engines are
 * measured alone on the machine so their timings mean something, and report.eval.ts must run last
 * because it collects every other file's rows, writes the table, then checks the targets.
 */
class EvalOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const last = (f: TestSpecification) => (f.moduleId.endsWith("report.eval.ts") ? 1 : 0);
    return [...files].sort((a, b) => last(a) - last(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  resolve: {
    alias: {
      "@media-pipeline/core": fileURLToPath(new URL("./packages/core/src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["eval/**/*.eval.ts"],
    globalSetup: ["eval/global-setup.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    sequence: { sequencer: EvalOrder },
    // The table is the product: print it as it is, not wrapped in per-test console blocks.
    disableConsoleIntercept: true,
  },
});
