import { z } from "zod";
import { catalog, EVENT_SOURCE, type DetailType } from "./catalog.js";

/** The file name a detail-type's JSON Schema is written under (`Media Received` → `media-received.v1.json`). */
export function schemaFileName(type: DetailType): string {
  return `${type.toLowerCase().replace(/\s+/g, "-")}.v${catalog[type].version}.json`;
}

/**
 * The JSON Schema (draft 2020-12) of one event, envelope included, generated from the zod schema so
 * the two can never disagree. Consumers and the EventBridge schema registry read these.
 */
export function eventJsonSchema(type: DetailType): Record<string, unknown> {
  const entry = catalog[type];
  const detail = z.toJSONSchema(entry.detail, { target: "draft-2020-12", io: "input" });
  delete (detail as Record<string, unknown>).$schema;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `https://media-pipeline.dev/schemas/${schemaFileName(type)}`,
    title: type,
    description: entry.description,
    type: "object",
    required: ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
    properties: {
      version: { const: "0" },
      id: { type: "string" },
      "detail-type": { const: type },
      source: { const: EVENT_SOURCE },
      account: { type: "string" },
      time: { type: "string", format: "date-time" },
      region: { type: "string" },
      resources: { type: "array", items: { type: "string" } },
      detail,
    },
    examples: [{ "detail-type": type, source: EVENT_SOURCE, detail: entry.example }],
  };
}

/** Every schema, keyed by file name. */
export function allEventJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const type of Object.keys(catalog) as DetailType[]) out[schemaFileName(type)] = eventJsonSchema(type);
  return out;
}
