import { readFileSync } from "node:fs";
import path from "node:path";
import { Report } from "@media-pipeline/core";
import { parseSync } from "subtitle";
import { beforeAll, describe, expect, it } from "vitest";
import webvtt from "webvtt-parser";
import entities from "webvtt-parser/html-entities.json";
import { indexed, labelsOf, publishMedia, textOf, transcriptOf } from "../packages/local/test-support/search-fixtures.js";
import { loadConfig, openLocalRuntime, type LocalRuntime } from "../packages/local/src/index.js";
import { openStore } from "../packages/local/src/store/index.js";
import { cli } from "./helpers/cli.js";
import { makeTalkingVideo, tempDir } from "./helpers/flow.js";

/*
 * `media-pipeline search` as a user runs it (the compiled CLI): on a data dir whose documents the tests
 * wrote, and end to end on a generated talking video analysed by the real local runtime.
 */

interface Hit { mediaId: string; filename: string; kind: string; startMs: number; endMs: number; atMs: number; text: string; snippet: string; link: string; speaker?: string }
interface Result { query: string; total: number; hits: Hit[] }

let dir: string;
const search = async (dataDir: string, ...args: string[]) => {
  const r = await cli(["search", "--data-dir", dataDir, ...args]);
  return { ...r, json: args.includes("--json") && r.code === 0 ? (JSON.parse(r.stdout) as Result) : undefined };
};

beforeAll(async () => {
  dir = await tempDir("search-cli");
});

describe("media-pipeline search on a data dir", () => {
  let data: string;
  let morning: string;

  beforeAll(async () => {
    data = path.join(dir, "fixtures");
    const rt = await openLocalRuntime(loadConfig({ dataDir: data }, {}, dir), { routes: [] });
    morning = await publishMedia(rt, {
      filename: "morning.mp4",
      transcript: transcriptOf([{ startMs: 4000, text: "the weather has been very cold in the north" }]),
      text: textOf([{ text: "COLD SNAP", startMs: 1000, endMs: 3000 }]),
      labels: labelsOf([{ name: "Umbrella", parents: ["Accessory"], ranges: [[2000, 2500], [9000, 9900]] }]),
    });
    await publishMedia(rt, { filename: "evening.mp4", transcript: transcriptOf([{ startMs: 0, text: "a warm evening by the sea" }]) });
    await indexed(rt);
    await rt.close();
  });

  it("prints the hits as JSON: media, kind, range, moment, snippet and a link into the report at that moment", async () => {
    const r = await search(data, "cold", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ query: "cold", total: 2 });
    expect(r.json!.hits.map((h) => [h.mediaId, h.filename, h.kind, h.startMs, h.endMs, h.atMs, h.link])).toEqual(expect.arrayContaining([
      [morning, "morning.mp4", "transcript", 4000, 7600, 6000, `/media/${morning}/report.html#t=6`],
      [morning, "morning.mp4", "text", 1000, 3000, 1000, `/media/${morning}/report.html#t=1`],
    ]));
    expect(r.json!.hits.find((h) => h.kind === "text")!.snippet).toBe("<mark>COLD</mark> SNAP");
  });

  it("prints the hits for people: file, media, kind, range and moment, the snippet with its match marked, the link", async () => {
    const r = await search(data, "umbrella");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `1 match for umbrella:\n\nmorning.mp4  ${morning}  label  00:02.0–00:02.5 (+1 more)\n  [Umbrella] — Accessory\n  /media/${morning}/report.html#t=2\n`,
    );
    const spoken = await search(data, "north", "weather");
    expect(spoken.stdout).toContain(`transcript  00:04.0–00:07.6 at 00:04.4  Speaker 1\n  the [weather] has been very cold in the [north]\n`);
  });

  it("takes several arguments as one query, a phrase and a prefix, and a limit", async () => {
    expect((await search(data, '"very cold"', "--json")).json!.total).toBe(1);
    expect((await search(data, '"cold very"', "--json")).json!.total).toBe(0);
    expect((await search(data, "wea*", "--json")).json!.hits.map((h) => h.atMs)).toEqual([4400]);
    const limited = await search(data, "cold", "--limit", "1", "--json");
    expect(limited.json).toMatchObject({ total: 2, hits: [expect.anything()] });
  });

  it("answers hostile input as words, and refuses a bad limit or a query too long with exit 2", async () => {
    for (const q of ['"', "NEAR(cold", "cold OR x", "text:cold", "(", "--", "'; DROP TABLE search_entries; --"]) {
      const r = await search(data, "--json", "--", q);
      expect(r.code, `${q}: ${r.stderr}`).toBe(0);
    }
    const nothing = await search(data, "*");
    expect([nothing.code, nothing.stdout]).toEqual([0, 'Nothing to search for in "*": type words, "a phrase" or a prefix*.\n']);
    expect((await search(data, "cold", "--limit", "0")).code).toBe(2);
    const long = await search(data, "a".repeat(501));
    expect([long.code, long.stderr]).toEqual([2, "A query is at most 500 characters; this one has 501\n"]);
    expect((await search(data, "cold", "--json")).json!.total).toBe(2);
  });

  it("says when the data dir has nothing analysed", async () => {
    const r = await search(path.join(dir, "empty"), "cold");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No database in .*empty: nothing has been analysed there/);
  });

  it("indexes first what a data dir's log holds beyond its index, when no process holds the data dir", async () => {
    const store = openStore(path.join(data, "pipeline.db"));
    store.search.forget(morning);
    store.search.moveCursor(0);
    store.close();
    expect((await search(data, "umbrella", "--json")).json!.hits.map((h) => h.mediaId)).toEqual([morning]);
  });

  it("reads beside a running runtime, whose indexer keeps the index current", async () => {
    const rt: LocalRuntime = await openLocalRuntime(loadConfig({ dataDir: data }, {}, dir), { routes: [] });
    try {
      const late = await publishMedia(rt, { filename: "late.mp4", transcript: transcriptOf([{ startMs: 0, text: "a late bulletin about fog" }]) });
      await indexed(rt);
      expect((await search(data, "fog", "--json")).json!.hits.map((h) => h.mediaId)).toEqual([late]);
    } finally {
      await rt.close();
    }
  });
});

describe("media-pipeline search after analyze, end to end", () => {
  it("reports printed text, captions, a summary and chapters of a talking video, finds a spoken and a shown word at their moments, and again after replay rebuilds the index", async () => {
    const video = await makeTalkingVideo(dir, "talk.mp4", { sign: "HARBOUR FERRY" });
    const sign = video.sign!;
    const data = path.join(dir, "e2e");
    const out = path.join(dir, "e2e-report");
    const analyzed = await cli(["analyze", video.path, "--data-dir", data, "--out", out, "--quiet"], { timeoutMs: 480_000 });
    expect(analyzed.code, analyzed.stderr).toBe(0);
    const mediaId = analyzed.stdout.trim().split(/\s/)[0]!;

    // The report: the printed word while the sign is up (frames are sampled, so its range is as
    // coarse as the spacing between them: at most 2 s on a video this short), captions, a summary.
    const report = Report.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
    const shown = report.text.find((t) => /FERRY/.test(t.text));
    expect(shown, JSON.stringify(report.text)).toBeDefined();
    expect(shown!.startMs).toBeGreaterThanOrEqual(sign.fromS * 1000 - 2000);
    expect(shown!.startMs).toBeLessThanOrEqual(sign.fromS * 1000 + 2000);
    expect(shown!.endMs).toBeGreaterThanOrEqual(sign.toS * 1000 - 2000);
    expect(shown!.endMs).toBeLessThanOrEqual(sign.toS * 1000 + 2000);
    expect(report.summary?.summary).toMatch(/\w{3,}/);
    expect(report.summary!.chapters.length).toBeGreaterThan(0);
    expect(report.summary!.chapters.at(-1)!.endMs).toBeGreaterThan(sign.toS * 1000);
    // Valid caption files, read by the W3C validator's WebVTT parser and an SRT parser: every cue there.
    expect(report.captions).toMatchObject({ vtt: "captions.vtt", srt: "captions.srt" });
    const vtt = new webvtt.WebVTTParser(entities as Record<`&${string}`, string>).parse(readFileSync(path.join(out, "captions.vtt"), "utf8"), "captions");
    expect(vtt.errors).toEqual([]);
    expect(vtt.cues.length).toBe(report.captions!.cueCount);
    expect(report.captions!.cueCount).toBeGreaterThan(0);
    const srt = parseSync(readFileSync(path.join(out, "captions.srt"), "utf8")).filter((n) => n.type === "cue");
    expect(srt.map((n) => (n.data as { start: number }).start)).toEqual(vtt.cues.map((c) => Math.round(c.startTime * 1000)));

    // espeak-ng says "the weather has been very cold in the north" fourth and "people are buying more
    // coats and warm boots" fifth; pocketsphinx hears "north" and "people" there, each once in the talk.
    const found: Record<string, Hit> = {};
    for (const [word, line] of [["north", 3], ["people", 4]] as const) {
      const r = await search(data, word, "--json");
      expect(r.code, r.stderr).toBe(0);
      const hit = r.json!.hits.find((h) => h.kind === "transcript");
      expect(hit, word).toMatchObject({ mediaId, filename: "talk.mp4", link: `/media/${mediaId}/report.html#t=${hit!.atMs / 1000}` });
      const said = video.speech.utterances[line]!;
      expect(hit!.atMs, word).toBeGreaterThanOrEqual(said.startMs - 300);
      expect(hit!.atMs, word).toBeLessThanOrEqual(said.endMs);
      expect(hit!.startMs).toBeLessThanOrEqual(hit!.atMs);
      found[word] = hit!;
    }
    // The shown word, found as text on screen at the moment the sign is up.
    const printed = (await search(data, "ferry", "--json")).json!.hits.find((h) => h.kind === "text");
    expect(printed).toMatchObject({ mediaId, filename: "talk.mp4" });
    expect(printed!.atMs).toBeGreaterThanOrEqual(sign.fromS * 1000 - 2000);
    expect(printed!.atMs).toBeLessThan(sign.toS * 1000);
    const human = await search(data, "north");
    expect(human.stdout).toContain(`talk.mp4  ${mediaId}  transcript`);
    expect(human.stdout).toContain("[north]");

    // The index lost for this media; replay re-delivers to the routes and rebuilds its part of the index.
    const store = openStore(path.join(data, "pipeline.db"));
    const counts = store.search.countsOf(mediaId);
    store.search.forget(mediaId);
    store.close();
    expect((await search(data, "north", "--json")).json!.total).toBe(0);
    const replayed = await cli(["replay", mediaId, "--data-dir", data, "--json"], { timeoutMs: 300_000 });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ produced: [], stagesChanged: [] });
    const check = openStore(path.join(data, "pipeline.db"));
    expect(check.search.countsOf(mediaId)).toEqual(counts);
    check.close();
    expect((await search(data, "north", "--json")).json!.hits.find((h) => h.kind === "transcript")).toEqual(found.north);
    expect((await search(data, "ferry", "--json")).json!.hits.find((h) => h.kind === "text")).toEqual(printed);
  }, 900_000);
});
