import { describe, expect, it } from "vitest";
import { toDraft4 } from "../../stacks/schema-registry.js";

/*
 * The schema registry takes draft 4 only: the catalog's draft 2020-12 JSON Schemas are rewritten (no
 * synthesis needed).
 */

describe("draft 2020-12 → draft 4", () => {
  it("rewrites const, numeric exclusive bounds, $defs and $id", () => {
    expect(
      toDraft4({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: "https://example.com/s.json",
        type: "object",
        properties: {
          kind: { const: "video" },
          size: { type: "number", exclusiveMinimum: 0 },
          pct: { type: "number", minimum: 5, exclusiveMinimum: 0, exclusiveMaximum: 100 },
          item: { $ref: "#/$defs/item" },
          any: true,
        },
        $defs: { item: { type: "string" } },
        examples: [{}],
      }),
    ).toEqual({
      $schema: "http://json-schema.org/draft-04/schema#",
      id: "https://example.com/s.json",
      type: "object",
      properties: {
        kind: { enum: ["video"] },
        size: { type: "number", minimum: 0, exclusiveMinimum: true },
        pct: { type: "number", minimum: 5, maximum: 100, exclusiveMaximum: true },
        item: { $ref: "#/definitions/item" },
        any: {},
      },
      definitions: { item: { type: "string" } },
    });
  });

  it("refuses keywords draft 4 cannot express", () => {
    expect(() => toDraft4({ type: "array", prefixItems: [{ type: "string" }] })).toThrow(/prefixItems/);
    expect(() => toDraft4({ type: "object", propertyNames: { pattern: "^a" } })).toThrow(/propertyNames/);
  });
});
