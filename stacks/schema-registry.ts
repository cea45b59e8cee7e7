import { CfnRegistry, CfnSchema } from "aws-cdk-lib/aws-eventschemas";
import { allEventJsonSchemas, EVENT_SOURCE } from "@media-pipeline/core";
import type { Stack } from "sst/constructs";

/**
 * An EventBridge schema registry holding one schema per catalog entry, so consumers can browse the
 * events and generate code bindings from the console or `aws schemas`.
 *
 * The registry accepts `OpenApi3` and `JSONSchemaDraft4` only, and the catalog generates draft 2020-12,
 * so each schema is rewritten to draft 4 (same constraints, older keywords).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-eventschemas-schema.html
 */
export function eventSchemaRegistry(stack: Stack, registryName: string) {
  const registry = new CfnRegistry(stack, "EventSchemas", {
    registryName,
    description: `Every ${EVENT_SOURCE} event, generated from the catalog in @media-pipeline/core`,
  });
  const schemas = Object.entries(allEventJsonSchemas()).map(([file, schema]) => {
    const name = schemaName(file);
    const resource = new CfnSchema(stack, `EventSchema${name.replace(/[^A-Za-z0-9]/g, "")}`, {
      registryName: registry.attrRegistryName,
      schemaName: name,
      type: "JSONSchemaDraft4",
      description: String(schema.description ?? schema.title ?? name).slice(0, 256),
      content: JSON.stringify(toDraft4(schema)),
    });
    return resource;
  });
  return { registry, schemas };
}

/**
 * The registry name of a catalog schema, in the style of discovered schemas (`<source>@<DetailType>`)
 * plus the detail version, since a breaking change is published beside the old version.
 * @example schemaName("media-received.v1.json") === "media-pipeline@MediaReceived-v1"
 */
export function schemaName(file: string): string {
  const match = /^([a-z0-9-]+)\.v(\d+)\.json$/.exec(file);
  if (!match) throw new Error(`Unexpected schema file name: ${file}`);
  const pascal = match[1]!.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
  return `${EVENT_SOURCE}@${pascal}-v${match[2]}`;
}

/** Draft 2020-12 keywords with no draft-4 equivalent: fail synthesis rather than publish a looser schema. */
const UNSUPPORTED = [
  "prefixItems", "contains", "minContains", "maxContains", "if", "then", "else",
  "dependentRequired", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems", "$anchor",
  "$dynamicRef", "$dynamicAnchor", "contentEncoding", "contentMediaType", "contentSchema",
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Rewrites a draft 2020-12 JSON Schema as draft 4: `const` → one-value `enum`, numeric
 * `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` with the boolean flag, `$defs` →
 * `definitions` (and the `$ref`s into them), `$id` → `id`, boolean schemas → `{}` / `{ not: {} }`;
 * `examples` (not a draft-4 keyword) is dropped. Throws on keywords draft 4 cannot express.
 */
export function toDraft4(schema: Record<string, unknown>): Record<string, unknown> {
  const out = convert(schema as Json, "#") as Record<string, unknown>;
  return { $schema: "http://json-schema.org/draft-04/schema#", ...out };
}

const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions"] as const;
const SCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "items"] as const;
const SCHEMA_VALUES = ["not", "additionalProperties", "items", "additionalItems"] as const;

function convert(node: Json, at: string): Json {
  if (node === true) return {};
  if (node === false) return { not: {} };
  if (node === null || typeof node !== "object" || Array.isArray(node)) {
    throw new Error(`Not a schema at ${at}: ${JSON.stringify(node)}`);
  }
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((UNSUPPORTED as readonly string[]).includes(key)) throw new Error(`No draft-4 equivalent for "${key}" at ${at}`);
    switch (key) {
      case "$schema":
      case "examples":
        break;
      case "propertyNames":
        // zod writes `{ type: "string" }` for record keys, which every JSON key satisfies.
        if (!isTrivialKeySchema(value)) throw new Error(`No draft-4 equivalent for "propertyNames" at ${at}`);
        break;
      case "$id":
        out.id = value;
        break;
      case "$ref":
        out.$ref = String(value).replace("#/$defs/", "#/definitions/");
        break;
      case "const":
        out.enum = [value];
        break;
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        if (typeof value !== "number") throw new Error(`Expected a number for "${key}" at ${at}`);
        const bound = key === "exclusiveMinimum" ? "minimum" : "maximum";
        const other = node[bound];
        // An inclusive bound that is tighter than the exclusive one wins; otherwise the exclusive one.
        const inclusiveWins =
          typeof other === "number" && (bound === "minimum" ? other > value : other < value);
        if (!inclusiveWins) {
          out[bound] = value;
          out[key] = true;
        }
        break;
      }
      case "minimum":
      case "maximum": {
        const exclusive = node[key === "minimum" ? "exclusiveMinimum" : "exclusiveMaximum"];
        const exclusiveWins =
          typeof exclusive === "number" && (key === "minimum" ? exclusive >= (value as number) : exclusive <= (value as number));
        if (!exclusiveWins) out[key] = value;
        break;
      }
      default:
        out[key] = convertChildren(key, value, at);
    }
  }
  if ("$defs" in out) {
    out.definitions = out.$defs!;
    delete out.$defs;
  }
  return out;
}

const isTrivialKeySchema = (value: Json) =>
  value === true ||
  (typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.entries(value).every(([k, v]) => k === "type" && v === "string"));

function convertChildren(key: string, value: Json, at: string): Json {
  const path = `${at}/${key}`;
  if ((SCHEMA_MAPS as readonly string[]).includes(key) && value && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, `${path}/${k}`)]));
  }
  if ((SCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
    return value.map((v, i) => convert(v, `${path}/${i}`));
  }
  if ((SCHEMA_VALUES as readonly string[]).includes(key) && typeof value !== "number") {
    return convert(value, path);
  }
  return value;
}
