import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RejectedReport, Report } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime, type LocalRuntime } from "../packages/local/src/index.js";
import { analyzeInCloud, type AnalyzeResult } from "./cloud/harness/analyze.js";
import { startCloudApp, synthesize, type CloudApp } from "./cloud/harness/app.js";
import { readAssembly } from "./cloud/harness/assembly.js";
import { s3sdk } from "./cloud/harness/clients.js";
import { e2eAssembly } from "./helpers/cloud-assembly.js";
import { makeTalkingVideo, tempDir } from "./helpers/flow.js";
import * as media from "./helpers/media.js";
import { oneVoice } from "./helpers/speech.js";

/**
 * The whole cloud app, run offline exactly as it would deploy: the synthesized templates' resources in
 * moto_server, every function from its synthesized asset as a non-root user, the AWS services that
 * moto lacks emulated on loopback with the local engines (test/cloud/). One synthesis serves every
 * case of this file but the second stage's; the media are uploaded through the deployed upload API.
 */
const run = promisify(execFile);
// A whole flow runs Lambda stand-ins, moto and the local engines on 2 cores shared with other test files.
vi.setConfig({ testTimeout: 420_000 });
let dir: string;
let assembly: string;
let app: CloudApp;
let local: LocalRuntime;

beforeAll(async () => {
  dir = await tempDir("cloud-e2e");
  chmodSync(dir, 0o755);
  assembly = await e2eAssembly();
  app = await startCloudApp({ assemblyDir: assembly, workDir: path.join(dir, "app") });
  local = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "local") }, {}, dir));
}, 600_000);
afterAll(async () => {
  await app?.stop();
  await local?.close();
  // The media, both runtimes' data and the apps' work folders: over a gigabyte.
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What Rekognition analysed for each vision stage, as the report says it. */
const analysedInput = (r: AnalyzeResult) => {
  const stages = Report.parse(r.report).stages as Record<string, { analysis?: { input: string } }>;
  return Object.fromEntries(["detect-shots", "detect-labels", "moderate"].map((s) => [s, stages[s]?.analysis?.input]));
};
const types = (r: AnalyzeResult) => r.events.map((e) => e["detail-type"] as string);
const repeated = (list: string[]) => [...new Set(list.filter((t, i) => list.indexOf(t) !== i))];

async function analyzeLocally(file: string) {
  const mediaId = await local.ingest(file);
  const outcome = await local.outcome(mediaId);
  if (outcome.kind !== "completed") throw new Error(`local analysis of ${file} ended ${outcome.kind}`);
  return Report.parse(await local.objects.getJson(outcome.event.detail.report));
}

/**
 * The facts the two runtimes must agree on for one file. Labels are compared at the cloud's
 * Rekognition MinConfidence (50, the functions' default), since the local runtime keeps detections
 * from 40; scene summaries are not compared (Bedrock is asked one scene at a time).
 */
const CLOUD_MIN_CONFIDENCE = 50;
function facts(report: Report) {
  return {
    shots: report.shots.map((s) => Math.round(s.startMs / 100)),
    labels: [...new Set(report.labels.filter((l) => l.confidence >= CLOUD_MIN_CONFIDENCE).map((l) => l.name))].sort(),
    speakers: report.transcript.speakers.length,
    moderation: report.moderation.decision,
  };
}

describe("the cloud app on generated media", () => {
  it("takes an H.264 MP4 with hard cuts, two voices and a printed sign through every stage, each event once, as the local runtime does", async () => {
    const video = await makeTalkingVideo(dir, "talk.mp4", { sign: "HARBOUR FERRY" });
    const out = path.join(dir, "out-talk");
    const cloud = await analyzeInCloud(app, video.path, { out });
    expect(cloud.status, cloud.reason).toBe("completed");
    const t = types(cloud);
    for (const stage of [
      "Media Received", "Media Probed", "Audio Extracted", "Shots Detected", "Labels Detected", "Moderation Completed", "Text Detected", "Transcript Ready",
      "Captions Ready", "Scenes Summarized", "Media Summarized", "Analysis Completed",
    ]) {
      expect(t, stage).toContain(stage);
    }
    expect(repeated(t)).toEqual([]);
    expect(t).not.toContain("Stage Failed");
    const report = Report.parse(cloud.report);
    expect(report.shots).toHaveLength(video.cutsMs.length + 1);
    const local = await analyzeLocally(video.path);
    expect(facts(report)).toEqual(facts(local));
    // Captions from Transcribe's words (the emulator's are the local engines'), chapters through Bedrock.
    expect(report.captions).toMatchObject({ vtt: "captions.vtt", srt: "captions.srt", cueCount: local.captions!.cueCount });
    expect(report.captions!.cueCount).toBeGreaterThan(0);
    expect(report.summary?.chapters.length).toBeGreaterThan(0);
    expect(report.stages["detect-text"]?.engine?.name).toBe("amazon-rekognition-video");
    // The sign, read by the emulated StartTextDetection job while it is up (as the local runtime reads it).
    for (const r of [report, local]) {
      const shown = r.text.find((t) => /FERRY/.test(t.text));
      expect(shown, JSON.stringify(r.text)).toBeDefined();
      expect(shown!.startMs).toBeGreaterThanOrEqual(video.sign!.fromS * 1000 - 2000);
      expect(shown!.startMs).toBeLessThan(video.sign!.toS * 1000);
    }
    expect(report.stages["summarize-media"]?.engine?.name).toMatch(/bedrock/);
    expect(readFileSync(path.join(out, "captions.vtt"), "utf8")).toMatch(/^WEBVTT\n/);
    expect(cloud.reportHtml).toContain("<html");
    // Rekognition reads this one as uploaded: no rendition.
    expect(analysedInput(cloud)).toEqual({ "detect-shots": "upload", "detect-labels": "upload", moderate: "upload" });
    expect(t).not.toContain("Video Prepared");
  });

  it("analyses a VP9/Opus WebM, which Rekognition Video cannot read, and says how it was analysed", async () => {
    const webm = path.join(dir, "clip.webm");
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-t", "6", "-i", "testsrc2=s=320x180:r=25", "-f", "lavfi", "-t", "6", "-i", "sine=frequency=300",
      "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k", "-c:a", "libopus", webm]);
    const cloud = await analyzeInCloud(app, webm, { out: path.join(dir, "out-webm") });
    expect(cloud.status, cloud.reason).toBe("completed");
    const t = types(cloud);
    expect(t).toContain("Moderation Completed");
    expect(t).toContain("Labels Detected");
    expect(cloud.events.filter((e) => e["detail-type"] === "Stage Failed")).toEqual([]);
    expect(analysedInput(cloud)).toEqual({ "detect-shots": "rendition", "detect-labels": "rendition", moderate: "rendition" });
    expect(Report.parse(cloud.report).stages["moderate"]?.analysis?.reason).toMatch(/VP9.*transcoded to H\.264/);
  });

  it("analyses an HEVC MP4 (as iPhones record)", async () => {
    const hevc = path.join(dir, "iphone.mp4");
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-t", "5", "-i", "testsrc2=s=320x180:r=25", "-f", "lavfi", "-t", "5", "-i", "sine=frequency=300",
      "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", hevc]);
    const cloud = await analyzeInCloud(app, hevc, { out: path.join(dir, "out-hevc") });
    expect(cloud.status, cloud.reason).toBe("completed");
    expect(types(cloud)).toContain("Moderation Completed");
    expect(cloud.events.filter((e) => e["detail-type"] === "Stage Failed")).toEqual([]);
    expect(analysedInput(cloud)).toEqual({ "detect-shots": "rendition", "detect-labels": "rendition", moderate: "rendition" });
  });

  it("transcribes audio only, without the video stages", async () => {
    const speech = await oneVoice(dir);
    const cloud = await analyzeInCloud(app, speech.path, { out: path.join(dir, "out-audio") });
    expect(cloud.status, cloud.reason).toBe("completed");
    const t = types(cloud);
    expect(t).toContain("Transcript Ready");
    expect(t).not.toContain("Shots Detected");
    expect(repeated(t)).toEqual([]);
    expect(Report.parse(cloud.report).transcript.speakers).toHaveLength(1);
  });

  it("analyses video without audio, without the audio stages", async () => {
    const video = await media.makeVideoOnly(dir, { segments: [2, 3] });
    const cloud = await analyzeInCloud(app, video.path, { out: path.join(dir, "out-silent") });
    expect(cloud.status, cloud.reason).toBe("completed");
    const t = types(cloud);
    expect(t).toContain("Shots Detected");
    expect(t).not.toContain("Audio Extracted");
    expect(Report.parse(cloud.report).shots).toHaveLength(2);
  });

  it("refuses an empty file at the upload API, before any event", async () => {
    const file = await media.makeEmptyFile(await tempDir("cloud-bad"), "empty.mp4");
    const cloud = await analyzeInCloud(app, file, { out: path.join(dir, "out-bad-empty") });
    // The API validates the declared size: no media id is issued, so nothing reaches the bus.
    expect(cloud.status).toBe("rejected");
    expect(cloud.mediaId).toBeUndefined();
    expect(cloud.events).toEqual([]);
    expect(cloud.reason).toMatch(/size.*at least 1 byte/);
  });

  it.each([
    ["truncated", (d: string) => media.makeTruncatedMp4(d)],
    ["not media", (d: string) => media.makeTextAsMp4(d)],
  ])("rejects %s input with a reason a person understands", async (_, make) => {
    const file = await make(await tempDir("cloud-bad"));
    const out = path.join(dir, `out-bad-${_.replace(/ /g, "-")}`);
    const cloud = await analyzeInCloud(app, file, { out });
    expect(cloud.status).toBe("rejected");
    expect(cloud.reason).toMatch(/\w{4,}/);
    // The folder says so too: the events up to Media Rejected, and a report.json that says rejected and why.
    expect(readFileSync(path.join(out, "events.jsonl"), "utf8")).toContain('"Media Rejected"');
    expect(RejectedReport.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8"))).rejection.message).toMatch(/\w{4,}/);
  });
});

describe("delivery and deadlines", () => {
  it("gives the same report when every event is delivered twice", async () => {
    const video = await media.makeCutVideo(dir, { name: "dup.mp4", segments: [2, 2, 3] });
    const once = await analyzeInCloud(app, video.path);
    // The same stage cannot be deployed twice into one account: this variant gets an emulator of its own.
    const twiceApp = await startCloudApp({ assemblyDir: assembly, duplicate: true, workDir: path.join(dir, "dup-app") });
    try {
      const twice = await analyzeInCloud(twiceApp, video.path);
      expect(twice.status, twice.reason).toBe("completed");
      expect(facts(Report.parse(twice.report))).toEqual(facts(Report.parse(once.report)));
      expect(new Set(types(twice))).toEqual(new Set(types(once)));
      // Twice the deliveries, and no stage failed on the duplicates (each ran once per media; the second delivery found it settled).
      expect(types(twice)).not.toContain("Stage Failed");
    } finally {
      await twiceApp.stop();
    }
  });

  it("ends a stage forced past its Lambda deadline in Stage Failed, and the report still lands", async () => {
    // A 10 s timeout keeps the 5 s a deployed function keeps at the least to record a failure (every
    // deployed timeout is 60 s or more), leaving 5 s of work. Nearly 4 hours of sound (the most the cloud
    // takes with speech) makes extract-audio decode six channels and write a 450 MB WAV: about 8 s of
    // CPU on an idle machine here, so the deadline always comes first. 8 kHz FLAC of one tone in six
    // identical channels because it is quick to make (about 6 s) and small to upload (57 MB).
    const audio = await media.makeAudioOnly(await tempDir("cloud-slow"), "flac", 14_000, { sampleRate: 8000, channels: 6 });
    const slowApp = await startCloudApp({ assemblyDir: assembly, timeoutOverrides: { "extract-audio": 10 }, workDir: path.join(dir, "slow-app") });
    try {
      const cloud = await analyzeInCloud(slowApp, audio.path);
      expect(cloud.status, cloud.reason).toBe("completed");
      const failed = cloud.events.filter((e) => e["detail-type"] === "Stage Failed");
      expect(failed.map((e) => e.detail.stage)).toEqual(["extract-audio"]);
      expect(failed[0].detail.error.message).toMatch(/ran out of its Lambda time/);
      const report = Report.parse(cloud.report);
      expect(report.status).toBe("completed-with-failures");
      // Settled in the invocation itself: nothing was dead-lettered, no environment was killed.
      expect(slowApp.dispatcher.deadLettered).toEqual([]);
    } finally {
      await slowApp.stop();
    }
  });
});

describe("isolation and packaging", () => {
  it("keeps two stages of the app in one account apart: neither sees the other's Transcribe jobs", async () => {
    const other = path.join(dir, "assembly-other");
    await synthesize(other, "e2e-other");
    const otherApp = await startCloudApp({ assemblyDir: other, stage: "e2e-other", shared: { moto: app.moto, emulators: app.emulators }, workDir: path.join(dir, "other-app") });
    try {
      const speech = await oneVoice(await tempDir("cloud-iso"));
      const before = new Map(otherApp.lambda.invocations);
      const cloud = await analyzeInCloud(app, speech.path);
      expect(cloud.status, cloud.reason).toBe("completed");
      expect(types(cloud)).toContain("Transcript Ready");
      // Nothing of the other stage ran for this media, and nothing landed on its bus.
      expect(otherApp.lambda.invocations).toEqual(before);
      expect(otherApp.events).toEqual([]);
    } finally {
      await otherApp.stop();
    }
  });

  it("refuses a function asset whose executable lost its mode, and such a function cannot run ffprobe as the Lambda user", async () => {
    const broken = path.join(dir, "assembly-broken");
    cpSync(assembly, broken, { recursive: true });
    const layer = readAssembly(broken).flatMap((s) => [...s.assets.values()]).find((d) => d.includes("asset.") && readdirHas(d, "bin/ffprobe"));
    expect(layer).toBeDefined();
    chmodSync(path.join(layer!, "bin/ffprobe"), 0o744);
    await expect(startCloudApp({ assemblyDir: broken, workDir: path.join(dir, "broken-app") }))
      .rejects.toThrow(/bin\/ffprobe \(0744\)/);

    const brokenApp = await startCloudApp({ assemblyDir: broken, skipModeCheck: true, workDir: path.join(dir, "broken-run") });
    try {
      const probe = brokenApp.deployment.functions.find((f) => f.handler.endsWith("/probe.handler"))!;
      const file = await media.makeCutVideo(dir, { name: "mode.mp4", segments: [1, 1] });
      const key = `media/01jd8x7k2m4n6p8q0r2s4t6v8w/mode.mp4`;
      await brokenApp.clients.s3.send(new s3sdk.PutObjectCommand({ Bucket: brokenApp.bucket, Key: key, Body: await readFile(file.path) }));
      // The upload flows in; the probe cannot start ffprobe as the Lambda user and says so in Stage Failed.
      const mediaId = key.split("/")[1];
      const failedFor = () => brokenApp.events.filter((e) => e["detail-type"] === "Stage Failed" && e.detail.mediaId === mediaId);
      for (let waited = 0; !failedFor().length && waited < 90_000; waited += 500) await new Promise((r) => setTimeout(r, 500));
      await brokenApp.settle(60_000);
      expect(brokenApp.lambda.invocations.get(probe.logicalId)).toBeGreaterThanOrEqual(1);
      const failed = failedFor();
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(new Set(failed.map((e) => e.detail.stage))).toEqual(new Set(["probe"]));
      expect(failed[0].detail.error.message).toMatch(/EACCES|permission denied|not an executable file/i);
    } finally {
      await brokenApp.stop();
    }
  });
});

const readdirHas = (d: string, rel: string) => existsSync(path.join(d, rel));
