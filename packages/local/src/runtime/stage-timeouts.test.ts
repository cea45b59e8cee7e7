import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, stageTimeoutMs } from "./config.js";

const cwd = () => mkdtempSync(path.join(os.tmpdir(), "cfg-timeouts-"));

describe("stage timeouts", () => {
  it("scale the defaults with the media's duration above a floor, and use the floor before the probe", () => {
    const c = loadConfig({}, {}, cwd());
    expect(stageTimeoutMs(c, "transcribe", 3_600_000)).toBe(7_200_000);
    expect(stageTimeoutMs(c, "transcribe", 10_000)).toBe(300_000);
    expect(stageTimeoutMs(c, "extract-audio", 6 * 3_600_000)).toBe(3 * 3_600_000);
    expect(stageTimeoutMs(c, "probe")).toBe(120_000);
    expect(stageTimeoutMs(c, "complete-analysis", 6 * 3_600_000)).toBe(120_000);
  });

  it("take fixed seconds per stage from the file, merged per stage with MEDIA_PIPELINE_STAGE_TIMEOUTS; 0 turns one off", () => {
    const dir = cwd();
    writeFileSync(path.join(dir, "media-pipeline.config.json"), JSON.stringify({ stageTimeouts: { "detect-labels": 900, moderate: 600 } }));
    const c = loadConfig({}, { MEDIA_PIPELINE_STAGE_TIMEOUTS: '{"moderate":0,"transcribe":1.5}' }, dir);
    expect(c.stageTimeoutsMs).toEqual({ "detect-labels": 900_000, moderate: 0, transcribe: 1500 });
    expect(stageTimeoutMs(c, "detect-labels", 3_600_000)).toBe(900_000);
    expect(stageTimeoutMs(c, "moderate", 3_600_000)).toBeUndefined();
    expect(stageTimeoutMs(c, "transcribe")).toBe(1500);
    expect(stageTimeoutMs(c, "detect-shots", 3_600_000)).toBe(7_200_000);
  });

  it("refuse a misspelt stage, a negative number and JSON that is not, naming where it came from", () => {
    expect(() => loadConfig({}, { MEDIA_PIPELINE_STAGE_TIMEOUTS: '{"detect-lables":10}' }, cwd())).toThrow(/MEDIA_PIPELINE_STAGE_TIMEOUTS: .*detect-lables/);
    expect(() => loadConfig({}, { MEDIA_PIPELINE_STAGE_TIMEOUTS: '{"probe":-1}' }, cwd())).toThrow(ConfigError);
    expect(() => loadConfig({}, { MEDIA_PIPELINE_STAGE_TIMEOUTS: "probe=10" }, cwd())).toThrow(/MEDIA_PIPELINE_STAGE_TIMEOUTS must be JSON/);
    const dir = cwd();
    writeFileSync(path.join(dir, "media-pipeline.config.json"), JSON.stringify({ stageTimeouts: { shots: 10 } }));
    expect(() => loadConfig({}, {}, dir)).toThrow(/stageTimeouts: Unrecognized key/);
  });
});
