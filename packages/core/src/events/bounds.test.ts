import { describe, expect, it } from "vitest";
import { EngineInfo } from "../results/common.js";
import { briefEngine, briefMessage, ENGINE_BRIEF_MAX_BYTES, jsonBytes } from "./bounds.js";

describe("briefEngine", () => {
  it("leaves an engine that is already small exactly as it is", () => {
    const engine = {
      name: "nsfwjs", version: "4.4.0",
      settings: { model: "MobileNetV2", classes: ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"], timings: { warmupMs: 310, perFrameMs: 71.5, frames: 40 } },
      note: "Local 5-class NSFW image classifier, much coarser than Amazon Rekognition's moderation taxonomy.",
    };
    expect(briefEngine(engine)).toEqual(engine);
  });

  it("keeps a grown setting's small parts (the totals) and leaves its per-item list to the document", () => {
    const scenes = Array.from({ length: 2000 }, (_, index) => ({ index, inputTokens: 2500, outputTokens: 120, calls: 1 }));
    const brief = briefEngine({
      name: "amazon-bedrock-converse", version: "amazon.nova-lite-v1:0",
      settings: { modelId: "amazon.nova-lite-v1:0", fallbacks: 3, usage: { total: { inputTokens: 5e6, outputTokens: 240_000 }, scenes } },
    });
    expect(brief.settings).toEqual({ modelId: "amazon.nova-lite-v1:0", fallbacks: 3, usage: { total: { inputTokens: 5e6, outputTokens: 240_000 } } });
  });

  it("never exceeds its bound, and stays a valid EngineInfo, whatever the engine reported", () => {
    const huge = "\"\\\n\u0001é😀".repeat(50_000);
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const nested = { a: { b: { c: { d: { e: huge } } } } };
    const brief = briefEngine({
      name: huge, version: huge, note: huge,
      settings: { [huge]: 1, many, nested, list: [huge], text: huge, also: many },
    });
    expect(jsonBytes(brief)).toBeLessThanOrEqual(ENGINE_BRIEF_MAX_BYTES);
    expect(EngineInfo.safeParse(brief).success).toBe(true);
    expect(brief.note!.endsWith("…")).toBe(true);
  });
});

describe("briefMessage", () => {
  it("keeps 4,000 characters of a long message and says it was cut", () => {
    const cut = briefMessage("x".repeat(10_000));
    expect(cut).toHaveLength(4000);
    expect(cut.endsWith("…")).toBe(true);
    expect(briefMessage("short")).toBe("short");
  });
});
