import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allEventJsonSchemas, catalog, DETAIL_TYPES } from "@media-pipeline/core";

const dir = path.resolve(import.meta.dirname, "../schemas");

describe("committed JSON Schemas", () => {
  it("match the catalog exactly (run `npm run schemas` when this fails)", () => {
    const fresh = allEventJsonSchemas();
    const committed = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    expect(committed).toEqual(Object.keys(fresh).sort());
    for (const [name, schema] of Object.entries(fresh)) {
      expect(JSON.parse(readFileSync(path.join(dir, name), "utf8")), name).toEqual(schema);
    }
  });

  it("cover all seventeen detail-types the contract names", () => {
    expect(DETAIL_TYPES.sort()).toEqual(
      [
        "Media Received", "Media Probed", "Media Rejected", "Video Prepared", "Audio Extracted", "Shots Detected", "Labels Detected",
        "Moderation Completed", "Transcript Ready", "Scenes Summarized", "Text Detected", "Captions Ready", "Media Summarized",
        "Review Requested", "Review Completed",
        "Analysis Completed", "Stage Failed",
      ].sort(),
    );
    for (const type of DETAIL_TYPES) expect(Number.isInteger(catalog[type].version)).toBe(true);
  });
});
