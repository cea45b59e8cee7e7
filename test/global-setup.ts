import { execFileSync } from "node:child_process";
import path from "node:path";

/** Tests that spawn the CLI run the compiled JavaScript: build it once (incremental, fast when fresh). */
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, "..");
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/core", "packages/media", "packages/local", "packages/functions"], {
    cwd: root,
    stdio: "inherit",
  });
}
