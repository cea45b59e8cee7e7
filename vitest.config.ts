import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const ALONE = "test/cloud-long-media.test.ts";

// Tests import workspace packages from source so no build is needed for unit tests; tests that spawn
// the CLI use the compiled output (`npm test` builds first).
export default defineConfig({
  resolve: {
    alias: {
      "@media-pipeline/core": fileURLToPath(new URL("./packages/core/src/index.ts", import.meta.url)),
    },
  },
  test: {
    globalSetup: ["test/global-setup.ts"],
    // Every worker: reads beside the repository fail (test/setup/repository-bounds.ts).
    setupFiles: ["test/setup/repository-bounds.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // The long-media run checks that the app's work fits Lambda's timeouts scaled down to its length:
    // a test of time, so it runs alone, after every other file, where the suite's own load (two cloud
    // apps and Chromium side by side) cannot decide it.
    projects: [
      { extends: true, test: { name: "suite", include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"], exclude: [...configDefaults.exclude, ALONE], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "alone", include: [ALONE], sequence: { groupOrder: 1 } } },
    ],
  },
});
