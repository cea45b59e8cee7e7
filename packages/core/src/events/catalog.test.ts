import { describe, expect, it } from "vitest";
import { catalog, DETAIL_TYPES } from "./catalog.js";
import { makeEvent, parseEvent, validateDetail } from "./envelope.js";
import { EventValidationError } from "../errors.js";

const ctx = { id: "e1", time: new Date("2026-11-20T10:00:00.123Z"), account: "111122223333", region: "us-east-1" };

describe("event catalog", () => {
  it.each(DETAIL_TYPES)("the example of %s validates against its own schema", (type) => {
    expect(() => validateDetail(type, catalog[type].example)).not.toThrow();
  });

  it("wraps a detail in EventBridge's envelope with second-precision time", () => {
    const e = makeEvent("Media Received", catalog["Media Received"].example, ctx);
    expect(e).toMatchObject({ version: "0", id: "e1", "detail-type": "Media Received", source: "media-pipeline", time: "2026-11-20T10:00:00Z", resources: [] });
  });

  it("refuses to publish a detail that breaks its schema, listing each problem", () => {
    const bad = { ...catalog["Shots Detected"].example, shotCount: -1, mediaId: "NOT-A-ULID" };
    try {
      makeEvent("Shots Detected", bad, ctx);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EventValidationError);
      const issues = (error as EventValidationError).issues.join("\n");
      expect(issues).toContain("detail.shotCount");
      expect(issues).toContain("detail.mediaId");
    }
  });

  it("parses a raw event into the union discriminated by detail-type", () => {
    const raw = JSON.stringify(makeEvent("Labels Detected", catalog["Labels Detected"].example, ctx));
    const e = parseEvent(raw);
    if (e["detail-type"] !== "Labels Detected") throw new Error("wrong discriminant");
    expect(e.detail.topLabels[0]?.name).toBe("Person");
  });

  it("refuses unknown detail-types, foreign sources and non-JSON on consume", () => {
    const ok = makeEvent("Media Received", catalog["Media Received"].example, ctx);
    expect(() => parseEvent({ ...ok, "detail-type": "Media Exploded" })).toThrow(/Unknown detail-type/);
    expect(() => parseEvent({ ...ok, source: "aws.s3" })).toThrow(EventValidationError);
    expect(() => parseEvent("{not json")).toThrow(/not valid JSON/);
  });

  it("drops unknown detail fields so newer producers' additive changes do not break consumers", () => {
    const ok = makeEvent("Media Received", catalog["Media Received"].example, ctx);
    const e = parseEvent({ ...ok, detail: { ...ok.detail, addedLater: 1 } });
    expect(e.detail).not.toHaveProperty("addedLater");
  });

  it("keeps every example detail well under EventBridge's size limit", () => {
    for (const type of DETAIL_TYPES) expect(JSON.stringify(catalog[type].example).length).toBeLessThan(4096);
  });
});
