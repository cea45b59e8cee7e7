import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { catalog, Report, type ObjectRef } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCutVideo } from "../../../../test/helpers/media.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { exportReport } from "./export.js";

/*
 * What `analyze --out` leaves beside report.json: the caption files, and a report.html that plays the
 * media from disk (a file: URL) with its captions inline (a data: URL; Chromium refuses a file: track).
 * The runtime has no routes: the test writes the report and captions where the pipeline would.
 */

const VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n<v Speaker 1>Fish &amp; chips.\n";
const SRT = "1\n00:00:00,500 --> 00:00:02,000\nSpeaker 1: Fish & chips.\n";

let dir: string;
let runtime: LocalRuntime;
let video: string;

function report(mediaId: string, captions: Report["captions"]): Report {
  return Report.parse({
    mediaId, filename: "walk.mp4", generatedAt: new Date().toISOString(), status: "completed",
    media: { kind: "video", durationMs: 4000, sizeBytes: 1, container: "mov,mp4", streams: [{ index: 0, type: "video", codec: "h264", width: 160, height: 90 }] },
    shots: [], labels: [], faces: [], moderation: { decision: null, thresholds: null, labels: [] },
    transcript: { language: "en-US", hasWords: true, notes: [], speakers: [], segments: [] },
    scenes: [], review: { status: "not-required" }, decision: { value: null, by: "model" }, stages: {}, captions,
  });
}

/** A media item analysed as far as the export reads: the upload stored, the report (and captions) beside it. */
async function analysed(captions: boolean): Promise<{ mediaId: string; reportRef: ObjectRef }> {
  const mediaId = await runtime.ingest(video, { filename: "walk.mp4" });
  const at = (name: string): ObjectRef => ({ bucket: runtime.config.bucket, key: `derived/${mediaId}/${name}` });
  if (captions) {
    for (const [name, text] of [["captions.vtt", VTT], ["captions.srt", SRT]] as const) {
      await writeFile(path.join(dir, name), text);
      await runtime.objects.putFile(at(name), path.join(dir, name));
    }
  }
  await runtime.objects.putJson(at("report.json"), report(mediaId, captions ? { vtt: "captions.vtt", srt: "captions.srt", cueCount: 1 } : null));
  const example = catalog["Analysis Completed"].example as Record<string, unknown>;
  await runtime.bus.publish("Analysis Completed", { ...example, mediaId, correlationId: mediaId, report: at("report.json") } as never);
  return { mediaId, reportRef: at("report.json") };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mp-export-"));
  video = (await makeCutVideo(dir, { name: "walk one.mp4", segments: [1, 1], width: 160, height: 90 })).path;
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir), { routes: [] });
});

afterAll(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("exportReport", () => {
  it("copies the captions beside report.json and plays the file analysed, its captions inline as a data: URL", async () => {
    const { mediaId, reportRef } = await analysed(true);
    const out = path.join(dir, "out-1");
    const { html } = await exportReport(runtime, mediaId, reportRef, out, { source: video });
    expect(await readFile(path.join(out, "captions.vtt"), "utf8")).toBe(VTT);
    expect(await readFile(path.join(out, "captions.srt"), "utf8")).toBe(SRT);
    const page = await readFile(html, "utf8");
    const src = pathToFileURL(video).href;
    expect(src).toContain("walk%20one.mp4");
    expect(page).toContain(`<video id="player" class="player" controls preload="metadata" playsinline src="${src}"`);
    expect(page).toContain(`<track kind="captions" src="data:text/vtt;base64,${Buffer.from(VTT).toString("base64")}" label="Captions" srclang="en-US" default>`);
    // Self-contained apart from the media file: media-src names file: (the video) and data: (the captions) only.
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; media-src file: data:; /);
  });

  it("plays the copy in the data dir when no source file is given, and has no track without captions", async () => {
    const { mediaId, reportRef } = await analysed(false);
    const out = path.join(dir, "out-2");
    const { html } = await exportReport(runtime, mediaId, reportRef, out);
    expect(existsSync(path.join(out, "captions.vtt"))).toBe(false);
    const page = await readFile(html, "utf8");
    const stored = runtime.objects.pathOf({ bucket: runtime.config.bucket, key: runtime.store.media.get(mediaId)!.source_key });
    expect(page).toContain(`src="${pathToFileURL(stored).href}"`);
    expect(page).not.toContain("<track");
    expect(page).toMatch(/; media-src file:; /);
  });

  it("leaves the player out when the media is nowhere at hand", async () => {
    const { mediaId, reportRef } = await analysed(true);
    await rm(runtime.objects.pathOf({ bucket: runtime.config.bucket, key: runtime.store.media.get(mediaId)!.source_key }));
    const out = path.join(dir, "out-3");
    const { html } = await exportReport(runtime, mediaId, reportRef, out, { source: path.join(dir, "moved-away.mp4") });
    const page = await readFile(html, "utf8");
    expect(page).not.toContain("<video");
    expect(page).not.toContain("media-src");
    // The caption files are still written for whoever reads the folder.
    expect(existsSync(path.join(out, "captions.vtt"))).toBe(true);
  });
});
