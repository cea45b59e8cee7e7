import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { Report, TRANSCRIBE_MAX_DURATION_MS } from "@media-pipeline/core";
import { analyzeInCloud } from "./cloud/harness/analyze.js";
import { startCloudApp, type CloudApp } from "./cloud/harness/app.js";
import { e2eAssembly } from "./helpers/cloud-assembly.js";
import { tempDir } from "./helpers/flow.js";
import * as media from "./helpers/media.js";

/**
 * The longest media the app accepts must complete within Lambda's limits. The longest with sound is
 * Transcribe's 4 h (video without sound: 6 h, so scaling by 4 h is the stricter test). A 12-minute
 * video runs through the whole app (the harness, as in cloud-e2e.test.ts) with every function's
 * timeout scaled by 12 min / 4 h, less each function's part that does not grow with the media: that
 * part is measured, per function, on a 10-second video in the same app just before (see
 * LambdaService.scaleTimeouts). The work per function grows with the media at most linearly (streamed
 * audio, keyframes by seeking, shots by Rekognition segment detection), so fitting here means fitting
 * there. A test of time: vitest.config.ts runs this file alone, after the others.
 */
vi.setConfig({ testTimeout: 600_000 });
let dir: string;
let app: CloudApp;

beforeAll(async () => {
  dir = await tempDir("cloud-long");
  app = await startCloudApp({ assemblyDir: await e2eAssembly(), workDir: path.join(dir, "app") });
}, 900_000);
afterAll(async () => {
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const longest = (durations: ReadonlyMap<string, number[]>) =>
  new Map([...durations].map(([fn, ms]) => [fn, Math.max(...ms)]));

it("completes a long video with every function's timeout scaled down in proportion to the longest accepted media", async () => {
  const seconds = 12 * 60;
  const scale = (seconds * 1000) / TRANSCRIBE_MAX_DURATION_MS;

  const short = await media.makeLongVideo(dir, { seconds: 10, width: 320, height: 180, shotSeconds: 5, name: "short.mp4" });
  const warmUp = await analyzeInCloud(app, short.path);
  expect(warmUp.status, warmUp.reason).toBe("completed");
  const fixed = longest(app.lambda.durations);
  app.lambda.durations.clear();
  app.lambda.scaleTimeouts(scale, fixed);

  const video = await media.makeLongVideo(dir, { seconds, width: 320, height: 180, shotSeconds: 30 });
  const cloud = await analyzeInCloud(app, video.path, { out: path.join(dir, "out-long") });
  const used = [...longest(app.lambda.durations)].map(([logicalId, ms]) => {
    const fn = app.lambda.list().find((f) => f.logicalId === logicalId)!;
    return { logicalId, ms, fixedMs: fixed.get(logicalId) ?? 0, budgetMs: app.lambda.timeoutMs(fn), timeoutSeconds: fn.timeoutSeconds };
  });
  console.info(`long media: each function's longest invocation against its scaled timeout\n${used.map((u) => `  ${u.logicalId}: ${u.ms} ms of ${u.budgetMs} ms (fixed part ${u.fixedMs} ms; ${u.timeoutSeconds} s deployed)`).join("\n")}`);

  expect(cloud.status, cloud.reason).toBe("completed");
  expect(cloud.events.filter((e) => e["detail-type"] === "Stage Failed").map((e) => e.detail.error.message)).toEqual([]);
  // The work that grows with the media ran, scaled: every stage function (not only the API's) was timed.
  expect(used.map((u) => u.logicalId).filter((id) => /extractaudio|rekognitionComplete|completeanalysis/.test(id))).toHaveLength(3);
  expect(used.filter((u) => u.ms >= u.budgetMs)).toEqual([]);
  const report = Report.parse(cloud.report);
  expect(report.status).toBe("completed");
  expect(report.shots).toHaveLength(video.cutsMs.length + 1);
  expect([...app.dispatcher.deadLettered]).toEqual([]);
});
