import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseEvent, RejectedReport, Report } from "@media-pipeline/core";
import { readFile } from "node:fs/promises";
import { cli } from "./helpers/cli.js";
import { tempDir } from "./helpers/flow.js";
import { makeCutVideo, makeTextAsMp4 } from "./helpers/media.js";
import { twoVoices } from "./helpers/speech.js";
import { mkdirSync } from "node:fs";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("cli");
});

describe("media-pipeline CLI", () => {
  it("prints help listing its commands", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["analyze", "resume", "pattern"]) expect(r.stdout).toContain(c);
  });

  it("pattern test prints true or false and exits 0, from inline JSON or files", async () => {
    const pattern = JSON.stringify({ source: ["media-pipeline"], detail: { size: [{ numeric: [">", 10] }] } });
    const event = (size: number) => JSON.stringify({ source: "media-pipeline", "detail-type": "x", detail: { size } });
    expect(await cli(["pattern", "test", "--pattern", pattern, "--event", event(11)])).toMatchObject({ code: 0, stdout: "true\n" });
    const file = path.join(dir, "event.json");
    writeFileSync(file, event(5));
    expect(await cli(["pattern", "test", "--pattern", pattern, "--event", file])).toMatchObject({ code: 0, stdout: "false\n" });
  });

  it("pattern test exits 2 with the reason on stderr for a pattern EventBridge would refuse", async () => {
    const r = await cli(["pattern", "test", "--pattern", '{"detail":{"size":[{"numeric":[">"]}]}}', "--event", "{}"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/Invalid pattern: .*numeric/i);
  });

  it("analyze exits 2 with the reason on stderr when the media is rejected, and still writes events.jsonl and report.json", async () => {
    const out = path.join(dir, "o1");
    const r = await cli(["analyze", await makeTextAsMp4(dir), "--data-dir", path.join(dir, "d1"), "--out", out, "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Media rejected \(not-media\): .+/);
    const events = (await readFile(path.join(out, "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e["detail-type"])).toEqual(["Media Received", "Media Rejected"]);
    const report = RejectedReport.parse(JSON.parse(await readFile(path.join(out, "report.json"), "utf8")));
    expect(report).toMatchObject({ mediaId: events[1].detail.mediaId, status: "rejected", rejection: { reason: "not-media" } });
    expect(report.rejection.message).toBe(events[1].detail.message);
  });

  it("analyze exits 2 for a file that does not exist, and refuses a typo in the config", async () => {
    expect((await cli(["analyze", path.join(dir, "nope.mp4"), "--quiet"])).code).toBe(2);
    const bad = await cli(["analyze", await makeTextAsMp4(dir), "--review-min", "lots", "--data-dir", path.join(dir, "d1")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--reviewMin must be a number");
  });

  it("analyze writes events.jsonl, report.json, report.html and keyframes, and prints where", async () => {
    const video = await makeCutVideo(dir, { name: "clip with spaces ü.mp4", segments: [2, 2, 2] });
    const out = path.join(dir, "out");
    const r = await cli(["analyze", video.path, "--data-dir", path.join(dir, "d2"), "--out", out], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(path.join(out, "report.html"));
    // Pretty progress goes to stderr, one line per event.
    expect(r.stderr).toMatch(/Media Probed\s+video/);
    expect(r.stderr).toMatch(/Analysis Completed/);
    const events = readFileSync(path.join(out, "events.jsonl"), "utf8").trim().split("\n").map((l) => parseEvent(l));
    expect(events[0]!["detail-type"]).toBe("Media Received");
    expect(events.map((e) => e["detail-type"])).toContain("Analysis Completed");
    const report = Report.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
    expect(report.filename).toBe("clip with spaces ü.mp4");
    expect(report.shots).toHaveLength(3);
    for (const s of report.shots) expect(existsSync(path.join(out, s.keyframe)), s.keyframe).toBe(true);
    expect(readdirSync(path.join(out, "keyframes")).length).toBe(3);
    const html = readFileSync(path.join(out, "report.html"), "utf8");
    expect(html).toContain("clip with spaces ü.mp4");
    expect(html).toContain("data:image/jpeg;base64,");
  });

  it("analyze --json prints JSON lines on stdout ending in the result", async () => {
    const video = await makeCutVideo(dir, { name: "json.mp4", segments: [2, 2], audio: false });
    const r = await cli(["analyze", video.path, "--data-dir", path.join(dir, "d3"), "--out", path.join(dir, "o3"), "--json"], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === "event").map((l) => l.event["detail-type"])).toContain("Shots Detected");
    expect(lines[lines.length - 1]).toMatchObject({ type: "result", status: "completed" });
  });

  it("works with no Debian tools on PATH: npm-shipped ffmpeg, and speech without words with a note saying how to get words", async () => {
    const speech = await twoVoices(dir);
    const emptyPath = path.join(dir, "empty-path");
    mkdirSync(emptyPath, { recursive: true });
    const out = path.join(dir, "o-nopath");
    const r = await cli(["analyze", speech.path, "--data-dir", path.join(dir, "d-nopath"), "--out", out], {
      env: { PATH: emptyPath },
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: No speech-to-text engine is available.*pocketsphinx/);
    const report = Report.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
    expect(report.transcript.hasWords).toBe(false);
    expect(report.transcript.speakers).toHaveLength(2);
    expect(report.transcript.segments.length).toBeGreaterThan(0);
    expect(report.stages.probe!.engine).toMatchObject({ name: "ffprobe", settings: { origin: "npm" } });
  });
});
