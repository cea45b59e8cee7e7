// Writes one JSON Schema per catalog entry into schemas/ (committed; test/schemas.test.ts fails when
// they are stale). Run through `npm run schemas`, which builds packages/core first.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { allEventJsonSchemas } from "@media-pipeline/core";

const dir = path.resolve(import.meta.dirname, "../schemas");
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith(".json")) rmSync(path.join(dir, f));
const schemas = allEventJsonSchemas();
for (const [name, schema] of Object.entries(schemas)) writeFileSync(path.join(dir, name), JSON.stringify(schema, null, 2) + "\n");
console.log(`wrote ${Object.keys(schemas).length} schemas to ${dir}`);
