import { describe, expect, it } from "vitest";
import { MODERATION_TAXONOMY, NSFW_CLASSES, toModerationLabels } from "./moderation-taxonomy.js";

describe("moderation taxonomy", () => {
  it("maps every nsfwjs class: Porn and Hentai to Explicit, Sexy to Suggestive, Neutral and Drawing to nothing", () => {
    expect(Object.keys(MODERATION_TAXONOMY).sort()).toEqual([...NSFW_CLASSES].sort());
    expect(MODERATION_TAXONOMY.Porn).toEqual({ name: "Explicit Nudity", parent: "Explicit" });
    expect(MODERATION_TAXONOMY.Hentai?.parent).toBe("Explicit");
    expect(MODERATION_TAXONOMY.Sexy?.parent).toBe("Suggestive");
    expect(MODERATION_TAXONOMY.Neutral).toBeNull();
    expect(MODERATION_TAXONOMY.Drawing).toBeNull();
  });

  it("emits each unsafe class at probability × 100, keeps low scores down to 0.01 and drops what rounds to 0", () => {
    // Drawing, Hentai, Neutral, Porn, Sexy
    expect(toModerationLabels([0.5, 0.004, 0.2, 0.25, 0.046])).toEqual([
      { name: "Explicit Nudity", parent: "Explicit", confidence: 25 },
      { name: "Revealing Clothes", parent: "Suggestive", confidence: 4.6 },
      { name: "Illustrated Explicit Nudity", parent: "Explicit", confidence: 0.4 },
    ]);
    expect(toModerationLabels([0.9, 0.0001, 0.09, 0.00004, 0.00989])).toEqual([
      { name: "Revealing Clothes", parent: "Suggestive", confidence: 0.99 },
      { name: "Illustrated Explicit Nudity", parent: "Explicit", confidence: 0.01 },
    ]);
    expect(toModerationLabels([0, 0, 1, 0, 0])).toEqual([]);
  });
});
