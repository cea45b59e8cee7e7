import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { catalog, Report, type ObjectRef, type StageName } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCutVideo } from "../../../../test/helpers/media.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { signedMediaLink } from "./media-files.js";
import { startServer, type RunningServer } from "./server.js";
import type { ServerContext } from "./types.js";

/*
 * What the report page plays, served by the local server: the uploaded media in byte ranges and the
 * caption files beside the report, to the API token or a report page's signed link. The runtime has no
 * routes, so no stage runs: the test writes the report and captions where the pipeline would.
 */

const TOKEN = "media-files-token-0123456789abcdef";
const SIGNING_KEY = Buffer.alloc(32, 7);
const VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n<v Speaker 1>Fish &amp; chips.\n";
const SRT = "1\n00:00:00,500 --> 00:00:02,000\nSpeaker 1: Fish & chips.\n";

let dir: string;
let runtime: LocalRuntime;
let server: RunningServer;
let video: { path: string; size: number };
/** Captions beside the report, named by it. */
let withCaptions: string;
/** Captions where the make-captions stage recorded them, the report written before captions existed. */
let fromStage: string;
/** Neither captions nor a report. */
let bare: string;

function report(mediaId: string, captions: Report["captions"]): Report {
  return Report.parse({
    mediaId, filename: "walk.mp4", generatedAt: new Date().toISOString(), status: "completed",
    media: { kind: "video", durationMs: 4000, sizeBytes: video.size, container: "mov,mp4", streams: [{ index: 0, type: "video", codec: "h264", width: 160, height: 90 }] },
    shots: [], labels: [], faces: [], moderation: { decision: null, thresholds: null, labels: [] },
    transcript: { language: "en-US", hasWords: true, notes: [], speakers: [], segments: [] },
    scenes: [], review: { status: "not-required" }, decision: { value: null, by: "model" }, stages: {}, captions,
  });
}

const ref = (mediaId: string, name: string): ObjectRef => ({ bucket: runtime.config.bucket, key: `derived/${mediaId}/${name}` });

/** Writes the report where the pipeline would and announces it, as complete-analysis does. */
async function complete(mediaId: string, captions: Report["captions"]): Promise<void> {
  await runtime.objects.putJson(ref(mediaId, "report.json"), report(mediaId, captions));
  const example = catalog["Analysis Completed"].example as Record<string, unknown>;
  await runtime.bus.publish("Analysis Completed", { ...example, mediaId, correlationId: mediaId, report: ref(mediaId, "report.json") } as never);
}

async function putText(target: ObjectRef, text: string, scratch: string): Promise<void> {
  const file = path.join(dir, scratch);
  await writeFile(file, text);
  await runtime.objects.putFile(target, file);
}

function get(p: string, headers: Record<string, string> = {}, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${server.url}${p}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mp-media-files-"));
  const made = await makeCutVideo(dir, { name: "walk.mp4", segments: [2, 2], width: 160, height: 90 });
  video = { path: made.path, size: (await stat(made.path)).size };
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir), { routes: [] });
  server = await startServer({ runtime, token: TOKEN, signingKey: SIGNING_KEY });

  withCaptions = await runtime.ingest(video.path, { filename: "walk.mp4" });
  await putText(ref(withCaptions, "captions.vtt"), VTT, "a.vtt");
  await putText(ref(withCaptions, "captions.srt"), SRT, "a.srt");
  await complete(withCaptions, { vtt: "captions.vtt", srt: "captions.srt", cueCount: 1 });

  fromStage = await runtime.ingest(video.path, { filename: "walk.mp4" });
  await putText(ref(fromStage, "cues/stage.vtt"), VTT.replace("Fish", "Stage fish"), "b.vtt");
  await putText(ref(fromStage, "cues/stage.srt"), SRT.replace("Fish", "Stage fish"), "b.srt");
  const stage = "make-captions" as StageName;
  await runtime.state.begin(fromStage, stage, 60_000);
  await runtime.state.finish(fromStage, stage, { events: [], facts: { vtt: ref(fromStage, "cues/stage.vtt"), srt: ref(fromStage, "cues/stage.srt"), cueCount: 1 } });
  await complete(fromStage, null);

  bare = await runtime.ingest(video.path, { filename: "walk.mp4" });
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("media files for the report page", () => {
  it("serves the WebVTT and SRT captions stored beside the report, each with its type", async () => {
    const vtt = await get(`/media/${withCaptions}/captions.vtt`);
    expect(vtt.status).toBe(200);
    expect(vtt.headers.get("content-type")).toBe("text/vtt; charset=utf-8");
    expect(vtt.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await vtt.text()).toBe(VTT);
    const srt = await get(`/media/${withCaptions}/captions.srt`);
    expect(srt.status).toBe(200);
    expect(srt.headers.get("content-type")).toBe("application/x-subrip; charset=utf-8");
    expect(await srt.text()).toBe(SRT);
  });

  it("finds captions where the make-captions stage recorded them", async () => {
    expect(await (await get(`/media/${fromStage}/captions.vtt`)).text()).toContain("Stage fish &amp; chips.");
    expect(await (await get(`/media/${fromStage}/captions.srt`)).text()).toContain("Stage fish & chips.");
  });

  it("answers 404 with a JSON error when there are no captions or no such media", async () => {
    for (const p of [`/media/${bare}/captions.vtt`, `/media/${bare}/captions.srt`, "/media/01jd8x7k2m4n6p8q0r2s4t6v8w/captions.vtt", "/media/nope/source"]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("streams the uploaded media whole, and in the byte ranges a player asks for", async () => {
    const bytes = await readFile(video.path);
    const whole = await get(`/media/${withCaptions}/source`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await get(`/media/${withCaptions}/source`, { range: "bytes=100-1099" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-1099/${video.size}`);
    expect(part.headers.get("content-length")).toBe("1000");
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 1100))).toBe(true);

    const tail = await get(`/media/${withCaptions}/source`, { range: "bytes=-10" });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true);

    const outside = await get(`/media/${withCaptions}/source`, { range: `bytes=${video.size + 10}-` });
    expect(outside.status).toBe(416);
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe("range_not_satisfiable");
  });

  it("asks for the token, and refuses a forged or expired link", async () => {
    for (const p of ["source", "captions.vtt", "captions.srt"]) {
      const res = await get(`/media/${withCaptions}/${p}`, {}, null);
      expect(res.status, p).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      expect((await get(`/media/${withCaptions}/${p}`, {}, "wrong-token-0123456789abcdef")).status).toBe(401);
    }
    const forged = await get(`/media/${withCaptions}/source?expires=${Math.floor(Date.now() / 1000) + 60}&sig=${"A".repeat(43)}`, {}, null);
    expect(forged.status).toBe(403);
    // A valid signature for another media item's path does not open this one.
    const html = await (await get(`/media/${fromStage}/report.html`)).text();
    const other = /src="\/media\/[0-9a-z]+\/source\?([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&");
    expect((await get(`/media/${withCaptions}/source?${other}`, {}, null)).status).toBe(403);
    // Signed five hours ago: past its four hours.
    const stale = signedMediaLink({ signingKey: SIGNING_KEY } as ServerContext, `/media/${withCaptions}/source`, Date.now() - 5 * 3600_000);
    const expired = await get(stale, {}, null);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe("expired");
    expect((await get(signedMediaLink({ signingKey: SIGNING_KEY } as ServerContext, `/media/${withCaptions}/source`), {}, null)).status).toBe(200);
  });

  it("renders report.html with a player on signed links that work without the token, and media-src for this server only", async () => {
    const res = await get(`/media/${withCaptions}/report.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; img-src data:; media-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    const html = await res.text();
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="[^"]*; media-src 'self'; /);
    const src = /<video id="player"[^>]* src="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, "&");
    const vtt = /<track kind="captions" src="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, "&");
    expect(src).toMatch(new RegExp(`^/media/${withCaptions}/source\\?expires=\\d+&sig=[\\w-]{43}$`));
    expect(vtt).toMatch(new RegExp(`^/media/${withCaptions}/captions\\.vtt\\?expires=\\d+&sig=[\\w-]{43}$`));
    const media = await get(src!, { range: "bytes=0-99" }, null);
    expect(media.status).toBe(206);
    expect(await (await get(vtt!, {}, null)).text()).toBe(VTT);
    // The link is for that path only.
    expect((await get(vtt!.replace("captions.vtt", "captions.srt"), {}, null)).status).toBe(403);
  });

  it("renders a player without a captions track when there are none, and none at all without the media file", async () => {
    const bareReport = bare;
    await complete(bareReport, null);
    const html = await (await get(`/media/${bareReport}/report.html`)).text();
    expect(html).toContain('<video id="player"');
    expect(html).not.toContain("<track");

    await rm(runtime.objects.pathOf({ bucket: runtime.config.bucket, key: runtime.store.media.get(bareReport)!.source_key }));
    const gone = await get(`/media/${bareReport}/report.html`);
    expect(gone.headers.get("content-security-policy")).not.toContain("media-src");
    expect(await gone.text()).not.toContain("<video");
    expect((await get(`/media/${bareReport}/source`)).status).toBe(404);
  });
});
