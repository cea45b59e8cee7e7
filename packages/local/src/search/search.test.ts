import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  indexed, labelsOf, newMediaId, publishFiller, publishMedia, publishTranscript, scenesOf, summaryOf, textOf, transcriptOf,
} from "../../test-support/search-fixtures.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { openStore } from "../store/index.js";
import { reindexMedia, SearchIndexer } from "./indexer.js";
import { searchIndex } from "./search.js";

/*
 * The index as the runtime keeps it: documents written as the stages write them, their events
 * published on a bus with no routes (so no stage runs), the runtime's own indexer consuming them.
 */

const open: LocalRuntime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close().catch(() => {});
});

async function start(dir = mkdtempSync(path.join(os.tmpdir(), "mp-search-"))): Promise<LocalRuntime> {
  const rt = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data") }, {}, dir), { routes: [] });
  open.push(rt);
  return rt;
}

async function close(rt: LocalRuntime): Promise<void> {
  open.splice(open.indexOf(rt), 1);
  await rt.close();
}

const search = (rt: LocalRuntime, q: string, limit?: number) => searchIndex(rt.store, q, limit ? { limit } : {});

const talk = () => transcriptOf([
  { startMs: 1000, text: "good morning and welcome to the show", speaker: "spk_0" },
  { startMs: 5000, text: "the weather has been very cold in the north", speaker: "spk_1" },
  { startMs: 10_000, text: "people are buying more coats and warm boots", speaker: "spk_0" },
]);

describe("search over the index the runtime keeps", () => {
  it("finds a spoken word: its media, file name, segment, speaker and the moment the word was said", async () => {
    const rt = await start();
    const id = await publishMedia(rt, { filename: "morning show.mp4", transcript: talk() });
    await publishMedia(rt, { filename: "other.mp4", transcript: transcriptOf([{ startMs: 0, text: "nothing to see here" }]) });
    await indexed(rt);

    const r = search(rt, "cold");
    expect(r.total).toBe(1);
    expect(r.hits).toEqual([expect.objectContaining({
      mediaId: id, filename: "morning show.mp4", status: "completed", kind: "transcript", startMs: 5000, endMs: 8600,
      // "the weather has been very cold": the sixth word, 400 ms each.
      atMs: 7000, speaker: "Speaker 2", text: "the weather has been very cold in the north",
      snippet: "the weather has been very <mark>cold</mark> in the north", link: `/media/${id}/report.html#t=7`,
    })]);
    expect(r.hits[0]!.score).toBeGreaterThan(0);
  });

  it("finds a word shown on screen with its range, and a label by its name or its parent with every range it was seen in", async () => {
    const rt = await start();
    const id = await publishMedia(rt, {
      text: textOf([{ text: "QUARTERLY RESULTS", startMs: 2000, endMs: 6000 }, { text: "Thank you", startMs: 50_000, endMs: 52_000 }]),
      labels: labelsOf([{ name: "Dog", parents: ["Animal", "Pet"], ranges: [[12_000, 15_500], [40_000, 41_000]] }, { name: "Person", ranges: [[0, 60_000]] }]),
    });
    await indexed(rt);

    expect(search(rt, "quarterly").hits).toEqual([expect.objectContaining({
      mediaId: id, kind: "text", startMs: 2000, endMs: 6000, atMs: 2000, text: "QUARTERLY RESULTS", snippet: "<mark>QUARTERLY</mark> RESULTS",
      link: `/media/${id}/report.html#t=2`,
    })]);
    const dog = { mediaId: id, kind: "label", title: "Dog", startMs: 12_000, endMs: 15_500, ranges: [{ startMs: 12_000, endMs: 15_500 }, { startMs: 40_000, endMs: 41_000 }] };
    expect(search(rt, "dog").hits).toEqual([expect.objectContaining(dog)]);
    expect(search(rt, "animal").hits).toEqual([expect.objectContaining({ ...dog, text: "Animal, Pet", snippet: "Dog — <mark>Animal</mark>, Pet" })]);
  });

  it("finds chapters by title and summary, the media's summary and its scenes, each with its range", async () => {
    const rt = await start();
    const id = await publishMedia(rt, {
      scenes: scenesOf([{ startMs: 0, endMs: 20_000, summary: "Two hosts greet the audience." }, { startMs: 20_000, endMs: 45_000, summary: "A forecast of snow." }]),
      summary: summaryOf("A morning show about the winter weather and what people buy.", ["weather", "shopping"], [
        { startMs: 0, endMs: 20_000, title: "Welcome", summary: "The hosts open the show." },
        { startMs: 20_000, endMs: 45_000, title: "Winter forecast", summary: "Snow is coming to the north." },
      ]),
    });
    await indexed(rt);
    const kinds = (q: string) => search(rt, q).hits.map((h) => [h.kind, h.startMs, h.endMs]);
    expect(kinds("forecast")).toEqual([["chapter", 20_000, 45_000], ["scene", 20_000, 45_000]]);
    expect(kinds("audience")).toEqual([["scene", 0, 20_000]]);
    expect(kinds("shopping")).toEqual([["summary", 0, 45_000]]);
    expect(search(rt, "welcome").hits[0]).toMatchObject({ mediaId: id, kind: "chapter", title: "Welcome", text: "The hosts open the show." });
  });
});

describe("ranking", () => {
  it("puts a unit about the term above one that mentions it in passing, and a chapter's title above its body", async () => {
    const rt = await start();
    await publishFiller(rt);
    const focused = await publishMedia(rt, { filename: "focused.mp4", transcript: transcriptOf([{ startMs: 0, text: "the budget the budget and the budget again" }]) });
    const passing = await publishMedia(rt, {
      filename: "passing.mp4",
      transcript: transcriptOf([{ startMs: 0, text: "we talked about many things today including travel food music sport weather and at one point the budget too" }]),
    });
    const chapters = await publishMedia(rt, {
      filename: "chapters.mp4",
      summary: summaryOf("", [], [
        { startMs: 0, endMs: 10_000, title: "Hiring", summary: "New people join, paid from the travel money in the hiring plan." },
        { startMs: 10_000, endMs: 20_000, title: "Travel", summary: "Who goes where." },
      ]),
    });
    await indexed(rt);
    expect(search(rt, "budget").hits.map((h) => h.mediaId)).toEqual([focused, passing]);
    const travel = search(rt, "travel").hits.filter((h) => h.mediaId === chapters);
    expect(travel.map((h) => h.title)).toEqual(["Travel", "Hiring"]);
    const scores = search(rt, "budget").hits.map((h) => h.score);
    expect(scores[0]).toBeGreaterThan(scores[1]!);
  });

  it("ranks a word said above the same word as a detected label", async () => {
    const rt = await start();
    await publishFiller(rt);
    const said = await publishMedia(rt, { transcript: transcriptOf([{ startMs: 0, text: "look at that dog over there by the gate" }]) });
    // With its parents, as the local object model names it (engines/vision/coco-taxonomy.ts).
    const shown = await publishMedia(rt, { labels: labelsOf([{ name: "Dog", parents: ["Mammal", "Animal", "Pet"], ranges: [[0, 1000]] }]) });
    await indexed(rt);
    expect(search(rt, "dog").hits.map((h) => [h.mediaId, h.kind])).toEqual([[said, "transcript"], [shown, "label"]]);
  });
});

describe("query syntax", () => {
  it("matches a quoted phrase only with its words together and in order", async () => {
    const rt = await start();
    const together = await publishMedia(rt, { transcript: transcriptOf([{ startMs: 0, text: "plans for next year are ready" }]) });
    await publishMedia(rt, { transcript: transcriptOf([{ startMs: 0, text: "the year after next is far away" }]) });
    await indexed(rt);
    expect(search(rt, "next year").hits).toHaveLength(2);
    expect(search(rt, '"next year"').hits.map((h) => h.mediaId)).toEqual([together]);
    expect(search(rt, '"next year"').hits[0]!.snippet).toBe("plans for <mark>next year</mark> are ready");
  });

  it("finds a prefix as typed, inflections of a plain word, and accented text without its accents", async () => {
    const rt = await start();
    const id = await publishMedia(rt, { transcript: transcriptOf([{ startMs: 0, text: "the children were running to the café with their dogs" }]) });
    await indexed(rt);
    for (const q of ["runn*", "run", "dog", "dogs", "cafe", "CAFÉ", "chil*", "caf*", "runn* dog"]) expect(search(rt, q).hits.map((h) => h.mediaId), q).toEqual([id]);
    expect(search(rt, "runner*").hits).toEqual([]);
    // The prefix's moment is its word's: "running" is the fourth word.
    expect(search(rt, "runn*").hits[0]!.atMs).toBe(1200);
  });

  it("never turns hostile input into FTS5 syntax: each answers without error, as its words would", async () => {
    const rt = await start();
    const id = await publishMedia(rt, {
      transcript: transcriptOf([{ startMs: 0, text: "the secret budget is large" }]),
      labels: labelsOf([{ name: "Text", ranges: [[0, 1]] }]),
    });
    await indexed(rt);
    const ids = (q: string) => search(rt, q).hits.map((h) => h.mediaId);
    const hostile = [
      '"', '""', '"budget', 'budget"', "(", ")", "(budget", "budget)", "*", "**", "*budget", "-", "-budget", "+budget", "^budget", ":", "budget:",
      "NEAR", "NEAR(budget secret)", "budget NEAR secret", "AND", "OR", "NOT", "budget OR zebra", "budget NOT secret", "body:budget", "text:budget",
      "{title body}:budget", "search_fts:budget", "budget'", "'; DROP TABLE search_entries; --", "\\", "\u0000", "\u0002budget\u0003", "🙂 budget",
    ];
    for (const q of hostile) expect(() => search(rt, q), q).not.toThrow();
    // Words stay words: "OR" and "NOT" must be present; a column filter is a word to find.
    expect(ids("budget OR zebra")).toEqual([]);
    expect(ids("budget NOT secret")).toEqual([]);
    expect(ids("body:budget")).toEqual([]);
    expect(ids("text:budget")).toEqual([]);
    expect(ids("-budget")).toEqual([id]);
    expect(ids("(budget")).toEqual([id]);
    expect(ids("\u0002budget\u0003")).toEqual([id]);
    expect(ids("NEAR(budget secret)")).toEqual([]);
    for (const q of ["*", "-", '""', "(", "NEAR("]) expect(search(rt, q), q).toMatchObject({ total: 0, hits: [] });
    expect(search(rt, "NEAR(").terms).toEqual([{ text: "NEAR(", phrase: false, prefix: false }]);
    expect(rt.store.search.stats().entries).toBe(2);
  });
});

describe("the indexer", () => {
  it("replaces a media item's transcript when a new one arrives, and never duplicates on re-delivery", async () => {
    const rt = await start();
    const id = await publishMedia(rt, { transcript: talk() });
    await indexed(rt);
    expect(rt.store.search.countsOf(id)).toEqual({ transcript: 3 });
    // The same document again (a re-delivery), then a corrected one.
    await publishTranscript(rt, id, talk());
    await indexed(rt);
    expect(rt.store.search.countsOf(id)).toEqual({ transcript: 3 });
    await publishTranscript(rt, id, transcriptOf([{ startMs: 0, text: "a corrected transcript about snow" }]), "transcript-2");
    await indexed(rt);
    expect(rt.store.search.countsOf(id)).toEqual({ transcript: 1 });
    expect(search(rt, "cold").hits).toEqual([]);
    expect(search(rt, "snow").hits).toHaveLength(1);
    // An older event indexed again (a replay, a late re-delivery) leaves the newer one's rows.
    const first = rt.store.events.ofMedia(id).find((e) => e.body.includes("Transcript Ready"))!;
    expect(rt.store.search.replace({ mediaId: id, source: "transcript", seq: first.seq, entries: [] })).toBe(false);
    await reindexMedia(rt, id);
    expect(rt.store.search.countsOf(id)).toEqual({ transcript: 1 });
    expect(search(rt, "snow").hits).toHaveLength(1);
  });

  it("keeps the index across a restart, and indexes on start what the log holds beyond its cursor", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mp-search-"));
    let rt = await start(dir);
    const id = await publishMedia(rt, { transcript: talk() });
    await indexed(rt);
    const before = search(rt, "boots");
    await close(rt);

    rt = await start(dir);
    expect(search(rt, "boots")).toEqual(before);
    await close(rt);

    // An index lost behind the runtime's back (or a log from before search): the cursor says what is owed.
    const store = openStore(path.join(dir, "data", "pipeline.db"));
    store.search.forget(id);
    store.search.moveCursor(0);
    store.close();
    rt = await start(dir);
    await indexed(rt);
    expect(search(rt, "boots")).toEqual(before);
  });

  it("rebuilds one media item's part from its events, as replay does", async () => {
    const rt = await start();
    const id = await publishMedia(rt, { transcript: talk(), labels: labelsOf([{ name: "Umbrella", ranges: [[0, 1000]] }]) });
    await indexed(rt);
    const counts = rt.store.search.countsOf(id);
    rt.store.search.forget(id);
    expect(search(rt, "umbrella").hits).toEqual([]);
    await reindexMedia(rt, id);
    expect(rt.store.search.countsOf(id)).toEqual(counts);
    expect(search(rt, "umbrella").hits[0]).toMatchObject({ mediaId: id, filename: "talk.mp4", status: "completed" });
  });

  it("skips an event whose document is missing or invalid, says so, and indexes the rest", async () => {
    const rt = await start();
    const id = newMediaId();
    await rt.objects.putJson({ bucket: rt.config.bucket, key: `derived/${id}/labels.json` }, { labels: "not a labels document" });
    await rt.bus.publish("Labels Detected", {
      version: 1, mediaId: id, correlationId: id, labels: { bucket: rt.config.bucket, key: `derived/${id}/labels.json` }, labelCount: 0, topLabels: [],
      framesAnalyzed: 0, engine: { name: "fake", version: "0" },
    });
    await rt.bus.publish("Transcript Ready", {
      version: 1, mediaId: id, correlationId: id, transcript: { bucket: rt.config.bucket, key: `derived/${id}/gone.json` }, speakerCount: 0,
      segmentCount: 0, wordCount: 0, hasWords: false, language: "en-US", engine: { name: "fake", version: "0" },
    });
    await publishMedia(rt, { scenes: scenesOf([{ startMs: 0, endMs: 1000, summary: "Still indexed after the bad ones." }]) }, id);
    const faults: Error[] = [];
    const indexer = new SearchIndexer({ store: rt.store, objects: rt.objects, onFault: (e) => faults.push(e) });
    rt.store.search.moveCursor(0);
    await indexer.catchUp();
    expect(faults.map((f) => f.name)).toEqual(["SearchIndexingError", "SearchIndexingError"]);
    expect(faults[0]!.message).toMatch(/Labels Detected #\d+ of .*labels\.json cannot be indexed/);
    expect(faults[1]!.message).toMatch(/Transcript Ready #\d+ of .*gone\.json cannot be indexed: ENOENT/);
    expect(faults[1]!.cause).toBeDefined();
    expect(search(rt, "indexed").hits).toHaveLength(1);
  });
});
