#!/usr/bin/env node
// Compiled JavaScript only: the CLI must print --help well under a second.
import("../dist/cli/main.js").then((m) => m.main(process.argv)).catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
