import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

const cwd = () => mkdtempSync(path.join(os.tmpdir(), "cfg-"));

describe("loadConfig", () => {
  it("layers defaults, the config file, the environment and flags, in that order", () => {
    const dir = cwd();
    writeFileSync(path.join(dir, "media-pipeline.config.json"), JSON.stringify({ reviewMin: 40, maxSpeakers: 3, workers: 1 }));
    const c = loadConfig({ maxSpeakers: "5" }, { MEDIA_PIPELINE_REVIEW_MIN: "30" }, dir);
    expect(c).toMatchObject({ thresholds: { reviewMin: 30, flagMin: 80 }, maxSpeakers: 5, workers: 1, words: true });
    expect(c.dataDir).toBe(path.join(dir, ".media-pipeline"));
  });

  it("turns word recognition off from the environment or --no-words, and refuses a vague value", () => {
    expect(loadConfig({}, { MEDIA_PIPELINE_WORDS: "off" }, cwd()).words).toBe(false);
    expect(loadConfig({ words: false }, { MEDIA_PIPELINE_WORDS: "on" }, cwd()).words).toBe(false);
    expect(() => loadConfig({}, { MEDIA_PIPELINE_WORDS: "maybe" }, cwd())).toThrow(/MEDIA_PIPELINE_WORDS must be on or off/);
  });

  it("refuses a misspelt key in the config file instead of ignoring it", () => {
    const dir = cwd();
    writeFileSync(path.join(dir, "media-pipeline.config.json"), JSON.stringify({ reviewMinn: 10 }));
    expect(() => loadConfig({}, {}, dir)).toThrow(ConfigError);
  });

  it("refuses thresholds in the wrong order and non-numbers, naming the setting", () => {
    expect(() => loadConfig({ reviewMin: "90", flagMin: "80" }, {}, cwd())).toThrow(/must not exceed/);
    expect(() => loadConfig({}, { MEDIA_PIPELINE_MAX_SPEAKERS: "two" }, cwd())).toThrow(/MEDIA_PIPELINE_MAX_SPEAKERS must be a number/);
  });
});
