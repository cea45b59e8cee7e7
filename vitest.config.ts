import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import workspace packages from source so no build is needed for unit tests; tests that spawn
// the CLI use the compiled output (`npm test` builds first).
export default defineConfig({
  resolve: {
    alias: {
      "@media-pipeline/core": fileURLToPath(new URL("./packages/core/src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Every worker: reads beside the repository fail (test/setup/repository-bounds.ts).
    setupFiles: ["test/setup/repository-bounds.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
