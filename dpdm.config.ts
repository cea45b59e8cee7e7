import { defineConfig } from "dpdm";

/**
 * The import-cycle check (`npm run check:cycles`; test/architecture.test.ts reads the same settings).
 * Every package's sources, tests included, so a package added under packages/ is covered unasked.
 * Type-only imports count: a cycle of types still ties the modules together, and the vision engines'
 * cycles were all of that kind. Imports of workspace packages resolve to their sources through the
 * `paths` of tsconfig.base.json, so a cycle between packages is seen as well.
 */
export default defineConfig({
  files: ["packages/*/src/**/*.{ts,tsx}"],
  // Declaration files are build output, not sources.
  exclude: "/node_modules/|\\.d\\.ts$",
  tsconfig: "tsconfig.base.json",
  transform: false,
  tree: false,
  warning: false,
  exitCode: "circular:1",
});
