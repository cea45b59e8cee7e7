import { describe, expect, it } from "vitest";
import { COCO_TAXONOMY, cocoLabel } from "./coco-taxonomy.js";

describe("COCO taxonomy", () => {
  it("covers the 80 COCO classes with Title Case names", () => {
    expect(Object.keys(COCO_TAXONOMY)).toHaveLength(80);
    for (const { name, parents } of Object.values(COCO_TAXONOMY)) {
      expect(name).toMatch(/^([A-Z][A-Za-z]*|TV)( [A-Z][a-z]+)*$/);
      for (const p of parents) expect(p).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+)*$/);
    }
  });

  it("gives Rekognition-like parents, nearest first", () => {
    expect(cocoLabel("cup")).toEqual({ name: "Cup", parents: ["Tableware"] });
    expect(cocoLabel("truck")).toEqual({ name: "Truck", parents: ["Vehicle", "Transportation"] });
    expect(cocoLabel("cat").parents).toEqual(expect.arrayContaining(["Animal", "Pet"]));
    expect(cocoLabel("cell phone").name).toBe("Mobile Phone");
  });

  it("Title Cases a class it does not know instead of dropping it", () => {
    expect(cocoLabel("traffic cone")).toEqual({ name: "Traffic Cone", parents: [] });
  });
});
