import { spawn } from "node:child_process";
import { copyFile, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report, type AnyPipelineEvent, type PipelineEvent } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime, startServer, type LocalRuntime, type RunningServer } from "../packages/local/src/index.js";
import * as bad from "./helpers/bad-media.js";
import { ROOT } from "./helpers/cli.js";
import { tempDir, typesOf } from "./helpers/flow.js";
import * as media from "./helpers/media.js";

/*
 * The README's "Bad input" table, case by case, through the real local runtime (every engine real,
 * except in the 2-hour test, which measures memory). Cases already asserted elsewhere are not repeated
 * here: zero bytes, a truncated MP4, text renamed .mp4, random bytes, subtitles only and the size and
 * duration limits in flows.test.ts; video only and audio only (completed, with the other half's stages
 * skipped) in flows.test.ts; the exact words of each probe message in packages/media/src/probe.test.ts.
 */

let dir: string;
let runtime: LocalRuntime;
let server: RunningServer;

beforeAll(async () => {
  dir = await tempDir("bad-input");
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir));
  server = await startServer({ runtime, closeRuntime: false });
});
afterAll(async () => {
  await server?.close();
  await runtime?.close();
  // The 2-hour file and its copy in the data directory take over 1 GB.
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function settle(mediaId: string) {
  const outcome = await runtime.outcome(mediaId);
  const events = runtime.bus.eventsOf(mediaId);
  const report = outcome.kind === "completed" ? Report.parse(await runtime.objects.getJson(outcome.event.detail.report)) : undefined;
  return { mediaId, outcome, events, types: typesOf(events), report };
}

const received = (events: AnyPipelineEvent[]) => events.find((e) => e["detail-type"] === "Media Received") as PipelineEvent<"Media Received">;

describe("bad input refused at the probe, with a reason a person can act on", () => {
  const cases: Array<[string, (d: string) => Promise<string>, string, RegExp]> = [
    ["an MP4 cut in half with its index at the front", (d) => media.makeTruncatedMp4(d, { faststart: true }), "truncated", /is cut short: its 'mdat' box declares .* Upload the complete file again/],
    ["a WAV cut to a third", (d) => media.makeTruncatedWav(d), "truncated", /is cut short: its WAVE header declares .* but only .* are there/],
    ["a Matroska file cut in half", (d) => media.makeTruncatedMkv(d), "truncated", /declares 6 s, but its data ends before that: the file is cut short/],
    ["an MP3 cut in half", (d) => media.makeTruncatedMp3(d), "truncated", /declares 10 s, but its data ends before that/],
    ["an Ogg Vorbis file cut exactly between two pages", (d) => bad.makeTruncatedOgg(d, { atPageBoundary: true }), "truncated", /last Ogg page is not marked as the end of the stream/],
    ["a PNG photo renamed .mp4", (d) => bad.makeImageAsMp4(d, "png"), "not-media", /is a still image \(png\), not audio or video: upload the video or recording itself/],
    ["Sonic audio (ffmpeg identifies it; its decoder is experimental)", (d) => bad.makeSonicAudio(d), "unsupported", /uses the sonic codec, which this ffmpeg only has an experimental decoder for.*re-encode it/],
    ["a codec ID no ffmpeg knows", (d) => media.makeUnknownCodec(d), "unsupported", /uses a codec this ffmpeg cannot decode \(video codec .*\): re-encode it to H\.264\/AAC/],
    ["a WAV with a header and no samples", (d) => media.makeZeroLengthAudio(d), "no-usable-stream", /has an audio stream of 0 s, so nothing to listen to/],
    ["an Ogg Opus recording with headers and no samples", (d) => bad.makeZeroLengthAudioIn(d, "opus"), "no-usable-stream", /holds only its Ogg stream headers and no audio or video \(0 s\)/],
    ["an MP3 with an ID3 tag and no frames", (d) => bad.makeZeroLengthAudioIn(d, "mp3"), "no-usable-stream", /starts like an MP3 file, but ffmpeg finds no audio or video in it/],
    ["an M4A with no track", (d) => bad.makeZeroLengthAudioIn(d, "m4a"), "no-usable-stream", /has no audio or video \(found: no streams at all\)/],
    ["a Matroska header claiming 317 years for 2 s", (d) => media.makeAbsurdDuration(d), "too-long", /declares a length of 317 years for only .*, which is not plausible: its header is probably damaged; re-export it/],
  ];

  it.each(cases)("emits Media Rejected for %s, naming the file, and nothing after it", async (_name, make, reason, message) => {
    const file = await make(dir);
    const { outcome, types } = await settle(await runtime.ingest(file));
    expect(outcome.kind).toBe("rejected");
    if (outcome.kind !== "rejected") return;
    expect(outcome.event.detail.reason).toBe(reason);
    expect(outcome.event.detail.message).toMatch(message);
    expect(outcome.event.detail.message.startsWith(path.basename(file))).toBe(true);
    expect(types).toEqual(["Media Received", "Media Rejected"]);
  });
});

describe("bad input analysed for what is really there", () => {
  it("analyses a complete MP4 whose headers claim 100 h as the 5 s it holds, and says so in the report", async () => {
    const made = await bad.makeLyingDurationMp4(dir);
    const { outcome, types, report, events } = await settle(await runtime.ingest(made.path));
    expect(outcome.kind).toBe("completed");
    expect(types).not.toContain("Stage Failed");
    const probed = events.find((e) => e["detail-type"] === "Media Probed") as PipelineEvent<"Media Probed">;
    expect(Math.abs(probed.detail.durationMs - made.realMs)).toBeLessThan(100);
    expect(probed.detail.engine.note).toMatch(/header declares 100 h 0 min, but its tracks hold 5 s: the 5 s that are there were analysed/);
    const r = report!;
    expect(Math.abs(r.media.durationMs - made.realMs)).toBeLessThan(100);
    expect(r.stages.probe!.engine!.note).toBe(probed.detail.engine.note);
    expect(Math.max(...r.shots.map((s) => s.endMs))).toBeLessThanOrEqual(r.media.durationMs);
  });
});

/**
 * Runs in its own Node process so that its peak resident set is the runtime's, not vitest's. The
 * label, moderation and speech engines are stubs here: their memory is measured by the load tests;
 * this checks that ingest (copy), probe, audio extraction and the frame pass stream a 630 MB file.
 */
const LONG_RUN = `
import { loadConfig, openLocalRuntime } from ${JSON.stringify(pathToFileURL(path.join(ROOT, "packages/local/dist/index.js")).href)};
const [file, dir] = process.argv.slice(2);
const engine = { name: "stub", version: "0" };
const runtime = await openLocalRuntime(loadConfig({ dataDir: dir + "/data", sampleEverySeconds: 600, words: false }, {}, dir), { engines: {
  labels: { detect: async () => ({ frames: [], engine }) },
  moderation: { detect: async () => ({ frames: [], engine }) },
  text: { detect: async () => ({ frames: [], engine }) },
  transcriber: { transcribe: async (input) => ({ language: "en-US", hasWords: false, notes: [], speakers: [], segments: [], speech: [], engine, engines: [engine], speakerLabels: { speakers: 0, segments: [] } }) },
} });
const started = Date.now();
const mediaId = await runtime.ingest(file);
const outcome = await runtime.outcome(mediaId);
const events = runtime.bus.eventsOf(mediaId).map((e) => ({ type: e["detail-type"], detail: e.detail }));
await runtime.close();
process.stdout.write(JSON.stringify({ outcome: outcome.kind, events, ms: Date.now() - started, maxRssKb: process.resourceUsage().maxRSS }) + "\\n");
`;

/** Peak resident set (VmHWM, kB) of each child of `pid`, sampled until it exits. */
function watchChildren(pid: number): { stop(): Map<string, number> } {
  const peaks = new Map<string, number>();
  const sample = async () => {
    for (const entry of await readdir("/proc").catch(() => [] as string[])) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
      if (!m || Number(m[2]) !== pid) continue;
      const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      const key = `${m[1]} ${entry}`;
      peaks.set(key, Math.max(peaks.get(key) ?? 0, hwm));
    }
  };
  const timer = setInterval(() => void sample(), 50);
  return { stop: () => (clearInterval(timer), peaks) };
}

describe("a very long file", () => {
  it("streams a 2-hour, 630 MB video through ingest, probe, audio extraction and the frame pass in bounded memory", async () => {
    const long = await bad.makeTwoHourVideo(dir);
    const size = (await stat(long.path)).size;
    const NODE_BOUND_MB = 300;
    const FFMPEG_BOUND_MB = 200;
    // The file is over twice the bound: a reader that loads it whole cannot stay under it.
    expect(size).toBeGreaterThan(2 * NODE_BOUND_MB * 1024 ** 2);
    const script = path.join(dir, "long-run.mjs");
    await writeFile(script, LONG_RUN);
    const child = spawn(process.execPath, [script, long.path, path.join(dir, "long")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const watch = watchChildren(child.pid!);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const children = watch.stop();
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { outcome: string; events: Array<{ type: string; detail: Record<string, unknown> }>; ms: number; maxRssKb: number };
    expect(result.outcome).toBe("completed");
    const detail = (type: string) => result.events.find((e) => e.type === type)?.detail;
    expect(detail("Media Probed")).toMatchObject({ kind: "video", hasAudio: true, durationMs: expect.closeTo(long.durationMs, -4) });
    expect(Math.abs((detail("Audio Extracted")!.durationMs as number) - long.durationMs)).toBeLessThan(1000);
    expect(detail("Shots Detected")).toBeDefined();
    expect(result.maxRssKb / 1024).toBeLessThan(NODE_BOUND_MB);
    // ffmpeg and ffprobe stayed bounded too. The watch samples every 50 ms, so it may miss a quick
    // ffprobe, never the two ffmpeg passes (audio and frames) that read the whole file for seconds.
    const tools = [...children].filter(([name]) => /^ff(mpeg|probe) /.test(name));
    expect(tools.filter(([name]) => name.startsWith("ffmpeg ")).length).toBeGreaterThanOrEqual(2);
    for (const [name, kb] of tools) expect(kb / 1024, name).toBeLessThan(FFMPEG_BOUND_MB);
    console.info(
      `2-hour file (${Math.round(size / 1024 ** 2)} MB): ${result.ms} ms, runtime peak RSS ${Math.round(result.maxRssKb / 1024)} MB, ` +
        `ffmpeg/ffprobe peak ${Math.round(Math.max(...tools.map(([, kb]) => kb)) / 1024)} MB`,
    );
  }, 90_000);
});

const ODD_NAMES: Array<[string, string]> = [
  ["unicode", "été 映像 – Ünïcode.mp4"],
  ["spaces", "my clip  (final) v2 .mp4"],
  ["a leading dash", "-rf --help.mp4"],
  ["shell metacharacters", "$(touch pwned) `touch pwned2`; touch pwned3 & x.mp4"],
  ["quotes and angle brackets", `it's "quoted" <b>.mp4`],
];
/** What the key keeps of a name: letters, digits, dot, dash, underscore; never a leading dot. */
const SAFE_KEY = /^media\/[0-9a-z]{26}\/[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

async function noPwnedFiles(): Promise<void> {
  for (const where of [dir, process.cwd(), runtime.config.dataDir]) {
    expect((await readdir(where)).filter((f) => f.startsWith("pwned")), where).toEqual([]);
  }
}

describe("odd file names", () => {
  let clip: string;
  beforeAll(async () => {
    clip = (await media.makeVideoOnly(dir, { name: "odd-source.mp4", segments: [1], width: 96, height: 54 })).path;
  });

  it.each(ODD_NAMES)("ingests a file whose name has %s: analysed, the name kept for people, the key made safe", async (_what, name) => {
    const file = path.join(dir, name);
    await copyFile(clip, file);
    const { outcome, events } = await settle(await runtime.ingest(file));
    expect(outcome.kind).toBe("completed");
    expect(received(events).detail.filename).toBe(name);
    expect(received(events).detail.source.key).toMatch(SAFE_KEY);
    await noPwnedFiles();
  });

  it("ingests a file given the name ../../../etc/passwd.mp4 into its own media folder", async () => {
    const { outcome, events, mediaId } = await settle(await runtime.ingest(clip, { filename: "../../../etc/passwd.mp4" }));
    expect(outcome.kind).toBe("completed");
    expect(received(events).detail.source.key).toBe(`media/${mediaId}/passwd.mp4`);
    const stored = runtime.objects.pathOf(received(events).detail.source);
    expect(stored.startsWith(path.join(runtime.config.dataDir, "objects", runtime.config.bucket, "media", mediaId) + path.sep)).toBe(true);
  });

  it.each([...ODD_NAMES, ["../", "../../../etc/passwd.mp4"]])("uploads a file named with %s through the server's upload API", async (_what, name) => {
    const body = await readFile(clip);
    const { mediaId, key } = await upload(name, "video/mp4", body);
    expect(key).toMatch(SAFE_KEY);
    const { outcome } = await settle(mediaId);
    expect(outcome.kind).toBe("completed");
    const status = (await (await api(`/media/${mediaId}`)).json()) as { filename: string; source: { key: string }; status: string };
    expect(status).toMatchObject({ filename: name, source: { key }, status: "completed" });
    await noPwnedFiles();
  });
});

function api(p: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${server.token}`);
  return fetch(`${server.url}${p}`, { ...init, headers });
}

/** POST /uploads, then the signed PUT, as a client would. */
async function upload(filename: string, contentType: string, body: Buffer): Promise<{ mediaId: string; key: string }> {
  const created = await api("/uploads", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ filename, contentType, size: body.length }) });
  expect(created.status).toBe(201);
  const { mediaId, key, upload: u } = (await created.json()) as { mediaId: string; key: string; upload: { url: string; method: string; headers: Record<string, string> } };
  const put = await fetch(u.url, { method: u.method, headers: u.headers, body });
  expect(put.status).toBe(200);
  return { mediaId, key };
}

describe("a lying content type", () => {
  it("takes a WAV declared as video/mp4 (the allowlist sees only the declaration) and the probe analyses it as audio", async () => {
    const wav = await readFile((await media.makeAudioOnly(dir, "wav", 2)).path);
    const { mediaId } = await upload("holiday.mp4", "video/mp4", wav);
    const { outcome, events, report } = await settle(mediaId);
    expect(outcome.kind).toBe("completed");
    expect(received(events).detail.contentType).toBe("video/mp4");
    expect(report!.media).toMatchObject({ kind: "audio", container: "wav" });
    expect(report!.stages["detect-shots"]).toMatchObject({ status: "skipped" });
  });

  it("takes text declared as video/mp4 and the probe rejects it as not-media, which GET /media shows", async () => {
    const text = Buffer.from("<html><body>not a video at all</body></html>\n".repeat(40));
    const { mediaId } = await upload("page.mp4", "video/mp4", text);
    const { outcome, types } = await settle(mediaId);
    expect(outcome.kind === "rejected" && outcome.event.detail.reason).toBe("not-media");
    expect(types).toEqual(["Media Received", "Media Rejected"]);
    const status = (await (await api(`/media/${mediaId}`)).json()) as { status: string; rejection: { reason: string; message: string } };
    expect(status).toMatchObject({ status: "rejected", rejection: { reason: "not-media", message: expect.stringMatching(/^page\.mp4 is not an audio or video file ffmpeg recognises/) } });
  });

  it("refuses a declared type outside the allowlist before any byte is sent", async () => {
    for (const contentType of ["text/plain", "image/png", "application/octet-stream", "text/html; charset=utf-8"]) {
      const res = await api("/uploads", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ filename: "a.mp4", contentType, size: 10 }) });
      expect([contentType, res.status]).toEqual([contentType, 400]);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^contentType: must be a video or audio type/);
    }
  });
});
