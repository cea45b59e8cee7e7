import { describe, expect, it } from "vitest";
import type { MediaSummaryInput } from "../ports.js";
import { MediaSummaryDocument } from "../results/documents.js";
import {
  chapterForModel, createExtractiveMediaSummarizer, MAX_CHAPTER_TRANSCRIPT_CHARS, mediaForModel, mergeModelParts, readChapterAnswer,
  readMediaAnswer, segmentChapters, summarizeMediaExtractively,
} from "./chapters.js";
import { stem } from "./chapter-words.js";

type Scene = MediaSummaryInput["scenes"][number];

/*
 * A science lecture on four topics, written for these tests (the eval's topics are elsewhere and
 * tuned the constants; these were never used for tuning).
 */
const LECTURE: Record<string, { sentences: string[]; labels: string[]; text: string[] }> = {
  volcanoes: {
    sentences: [
      "A volcano forms where molten rock from the mantle reaches the surface.",
      "Magma that erupts onto the surface is called lava.",
      "Shield volcanoes like those in Hawaii have gentle slopes built from runny basalt lava.",
      "Stratovolcanoes are steep and erupt explosively because their magma is thick and full of gas.",
      "The eruption of Mount St Helens in 1980 blew away the whole north side of the volcano.",
      "Volcanic ash can travel thousands of kilometres and ground aircraft.",
      "Scientists watch for small earthquakes and swelling ground before an eruption.",
      "Most volcanoes sit along the edges of tectonic plates, around the Pacific ring of fire.",
    ],
    labels: ["Mountain", "Smoke"],
    text: ["Volcanoes and eruptions"],
  },
  tides: {
    sentences: [
      "Tides are caused mainly by the gravity of the moon pulling on the oceans.",
      "Most coasts get two high tides and two low tides every day.",
      "The water bulges on the side of the Earth facing the moon and on the opposite side too.",
      "Spring tides happen at full and new moon, when the sun and moon pull in a line.",
      "Neap tides, with the smallest range, come when the sun and moon pull at right angles.",
      "The Bay of Fundy in Canada has the highest tidal range in the world, over fifteen metres.",
      "Tide tables predict the height of the water at each harbour years in advance.",
      "Tidal currents in narrow channels can be strong enough to drive underwater turbines.",
    ],
    labels: ["Beach", "Sea"],
    text: ["How tides work"],
  },
  photosynthesis: {
    sentences: [
      "Photosynthesis is how plants turn light into chemical energy.",
      "Chlorophyll in the leaves absorbs red and blue light and reflects green.",
      "The plant takes in carbon dioxide through tiny pores called stomata.",
      "Water drawn up from the roots is split, and oxygen is released as a by-product.",
      "The energy ends up stored in sugar molecules such as glucose.",
      "Plants make starch from that sugar to store energy for the night.",
      "A leaf in bright sunlight can fix a surprising amount of carbon in a single hour.",
      "Without photosynthesis there would be almost no oxygen in the atmosphere.",
    ],
    labels: ["Plant", "Leaf"],
    text: ["Photosynthesis"],
  },
  planets: {
    sentences: [
      "The solar system has eight planets orbiting the sun.",
      "Mercury, Venus, Earth and Mars are small rocky planets close to the sun.",
      "Jupiter is the largest planet, a gas giant with a storm bigger than the Earth.",
      "Saturn's rings are made of ice and rock, most pieces smaller than a house.",
      "Uranus spins on its side, probably after an ancient collision.",
      "Neptune is so far away that one orbit of the sun takes a hundred and sixty five years.",
      "Pluto was reclassified as a dwarf planet in 2006.",
      "Astronomers have now found thousands of planets orbiting other stars.",
    ],
    labels: ["Night sky", "Planet"],
    text: ["The solar system"],
  },
};

const FILLERS = ["Okay, any questions so far?", "Let me get the next slide up.", "Right, let's carry on."];

/**
 * Scenes of `plan` topics in order, `n` scenes each: two sentences per scene cycling through the
 * topic, a filler now and then, the lecture hall's labels everywhere, the topic's own label in some.
 */
function lecture(plan: Array<[topic: keyof typeof LECTURE, n: number]>, options: { silentAt?: number[]; captions?: boolean } = {}) {
  const scenes: Scene[] = [];
  const truth: number[] = [];
  let t = 0;
  let k = 0;
  for (const [topic, n] of plan) {
    if (scenes.length) truth.push(scenes.length);
    const src = LECTURE[topic]!;
    for (let i = 0; i < n; i++) {
      const index = scenes.length;
      const durationMs = 9000 + ((index * 3700) % 11_000);
      const silent = options.silentAt?.includes(index);
      const lines = silent
        ? []
        : [src.sentences[(2 * i) % src.sentences.length]!, src.sentences[(2 * i + 1) % src.sentences.length]!, ...(k++ % 4 === 3 ? [FILLERS[k % FILLERS.length]!] : [])];
      scenes.push({
        index,
        startMs: t,
        endMs: t + durationMs,
        summary: "",
        transcript: lines.map((text, j) => ({
          speaker: "spk_0", text, startMs: t + Math.round((j * durationMs) / lines.length), endMs: t + Math.round(((j + 1) * durationMs) / lines.length) - 50,
        })),
        labels: ["Person", "Projector screen", ...(i % 2 === 0 ? src.labels.slice(0, 1) : [])],
        text: options.captions && i === 0 ? src.text : [],
      });
      t += durationMs;
    }
  }
  return { input: { durationMs: t, scenes } satisfies MediaSummaryInput, truth };
}

const starts = (doc: { chapters: Array<{ sceneIndexes: number[] }> }) => doc.chapters.slice(1).map((c) => c.sceneIndexes[0]!);

function expectNear(found: number[], truth: number[]) {
  expect(found).toHaveLength(truth.length);
  found.forEach((f, i) => expect(Math.abs(f - truth[i]!), `boundary ${f} vs true ${truth[i]}`).toBeLessThanOrEqual(1));
}

/** Content-word stems of the text a chapter's scenes said, showed or were labelled with. */
function ownWords(input: MediaSummaryInput, sceneIndexes: number[]): Set<string> {
  const scenes = input.scenes.filter((s) => sceneIndexes.includes(s.index));
  const all = scenes.flatMap((s) => [...s.transcript.map((t) => t.text), ...s.text, ...s.labels]).join(" ");
  return new Set((all.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).map(stem));
}

describe("segmentChapters", () => {
  it("finds the three topic changes of a four-topic lecture within one scene", () => {
    const { input, truth } = lecture([["volcanoes", 5], ["tides", 4], ["photosynthesis", 6], ["planets", 4]]);
    const seg = segmentChapters(input.scenes);
    expectNear(seg.chapters.slice(1).map((c) => c.sceneIndexes[0]!), truth);
    expect(seg.chapters.flatMap((c) => c.sceneIndexes)).toEqual(input.scenes.map((s) => s.index));
    expect(seg.gaps).toHaveLength(input.scenes.length - 1);
    expect(seg.gaps.filter((g) => g.boundary).map((g) => g.scene)).toEqual(starts(seg));
    expect(seg.cutoff).toBeGreaterThan(0);
  });

  it("keeps one-topic media as one chapter", () => {
    const { input } = lecture([["photosynthesis", 9]]);
    expect(segmentChapters(input.scenes).chapters).toHaveLength(1);
  });

  it("finds a topic change across a silent scene, and sorts scenes given out of order", () => {
    const { input, truth } = lecture([["tides", 5], ["planets", 5], ["volcanoes", 5]], { silentAt: [5] });
    const shuffled = { ...input, scenes: [...input.scenes].reverse() };
    const seg = segmentChapters(shuffled.scenes);
    expectNear(starts(seg), truth);
    expect(seg.gaps.find((g) => g.scene === 6)?.similarity).not.toBeNull();
  });

  it("makes one chapter of one to three scenes, whatever they say", () => {
    for (const plan of [[["tides", 1]], [["tides", 1], ["planets", 1]], [["tides", 1], ["planets", 1], ["volcanoes", 1]]] as const) {
      const { input } = lecture(plan.map(([t, n]) => [t, n] as [keyof typeof LECTURE, number]));
      const seg = segmentChapters(input.scenes);
      expect(seg.chapters).toHaveLength(1);
      expect(seg.cutoff).toBeNull();
    }
  });

  it("gives no chapter for no scenes, and one chapter when nothing is said or shown", () => {
    expect(segmentChapters([])).toMatchObject({ chapters: [], gaps: [], cutoff: null });
    const quiet: Scene[] = Array.from({ length: 6 }, (_, i) => ({
      index: i, startMs: i * 10_000, endMs: (i + 1) * 10_000, summary: "", transcript: [], labels: [], text: [],
    }));
    const seg = segmentChapters(quiet);
    expect(seg.chapters).toEqual([{ sceneIndexes: [0, 1, 2, 3, 4, 5], startMs: 0, endMs: 60_000 }]);
    expect(seg.gaps.every((g) => g.similarity === null && !g.boundary)).toBe(true);
  });

  it("never makes a chapter shorter than the minimum in scenes or in time", () => {
    const { input } = lecture([["volcanoes", 4], ["tides", 1], ["planets", 4]]);
    const seg = segmentChapters(input.scenes, { minChapterScenes: 2, minChapterMs: 0 });
    expect(seg.chapters.every((c) => c.sceneIndexes.length >= 2)).toBe(true);
    const long = segmentChapters(input.scenes, { minChapterMs: 60_000, minChapterScenes: 1 });
    expect(long.chapters.every((c) => c.endMs - c.startMs >= 60_000)).toBe(true);
  });

  it("refuses settings out of range", () => {
    expect(() => segmentChapters([], { window: 0 })).toThrow(RangeError);
    expect(() => segmentChapters([], { idf: "bm25" as "plain" })).toThrow(/idf/);
    expect(() => createExtractiveMediaSummarizer({ segmentation: { minScenesToSplit: 1 } })).toThrow(/minScenesToSplit/);
  });
});

describe("createExtractiveMediaSummarizer", () => {
  it("titles, summarises and lists topics of each chapter from its own words, and says it is extractive", async () => {
    const { input } = lecture([["volcanoes", 5], ["tides", 4], ["photosynthesis", 6], ["planets", 4]]);
    const doc = MediaSummaryDocument.parse(await createExtractiveMediaSummarizer().summarize(input));
    expect(doc.method).toBe("extractive");
    expect(doc.engine).toMatchObject({ name: "extractive-chapters", version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(doc.engine.note).toMatch(/taken from the media's own transcript.*not written by a model/);
    expect(doc.chapters.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    for (const c of doc.chapters) {
      const own = ownWords(input, c.sceneIndexes);
      const saidHere = input.scenes.filter((s) => c.sceneIndexes.includes(s.index)).flatMap((s) => s.transcript.map((t) => t.text));
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.summary.length).toBeGreaterThan(0);
      expect(c.topics.length).toBeGreaterThan(0);
      // Every sentence of the summary is one the chapter said; every word of its title and topics is its own.
      for (const sentence of c.summary.split(/(?<=[.!?])\s+/)) expect(saidHere).toContain(sentence);
      for (const w of `${c.title} ${c.topics.join(" ")}`.toLowerCase().match(/[\p{L}\p{N}']+/gu)!) {
        if (w !== "and") expect(own.has(stem(w)), `"${w}" in chapter ${c.index}`).toBe(true);
      }
    }
    // The media summary: one sentence from each of the four chapters, in time order.
    const said = input.scenes.flatMap((s) => s.transcript.map((t) => t.text));
    const picked = doc.summary.split(/(?<=[.!?])\s+/);
    expect(picked).toHaveLength(4);
    const at = picked.map((p) => said.indexOf(p));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(doc.topics.length).toBeGreaterThanOrEqual(4);
  });

  it("titles a chapter with a caption shown in it when the chapter talks about it", async () => {
    const { input } = lecture([["volcanoes", 5], ["tides", 5]], { captions: true });
    const doc = await createExtractiveMediaSummarizer().summarize(input);
    expect(doc.chapters.map((c) => c.title)).toEqual(["Volcanoes and eruptions", "How tides work"]);
  });

  it("summarises one scene as one chapter, and no scenes as an empty document", async () => {
    const { input } = lecture([["planets", 1]]);
    const one = MediaSummaryDocument.parse(await createExtractiveMediaSummarizer().summarize(input));
    expect(one.chapters).toHaveLength(1);
    expect(one.chapters[0]).toMatchObject({ index: 0, startMs: 0, endMs: input.scenes[0]!.endMs, sceneIndexes: [0] });
    expect(one.chapters[0]!.title).not.toBe("");
    expect(input.scenes[0]!.transcript.map((t) => t.text).join(" ")).toContain(one.summary.split(/(?<=[.!?])\s+/)[0]);

    const none = MediaSummaryDocument.parse(await createExtractiveMediaSummarizer().summarize({ durationMs: 5000, scenes: [] }));
    expect(none).toMatchObject({ summary: "", topics: [], chapters: [], method: "extractive" });
  });

  it("says plainly what a chapter shows when nothing is said or written in it", async () => {
    const scenes: Scene[] = [0, 1].map((i) => ({
      index: i, startMs: i * 8000, endMs: (i + 1) * 8000, summary: "", transcript: [], labels: ["Dog", "Bicycle"], text: [],
    }));
    const doc = await createExtractiveMediaSummarizer().summarize({ durationMs: 16_000, scenes });
    expect(doc.chapters[0]).toMatchObject({ title: "Bicycle and dog", summary: "No speech or on-screen text; shows bicycle and dog.", topics: ["bicycle", "dog"] });
  });

  it("counts a transcript line spanning a scene cut once", async () => {
    const line = { speaker: "spk_0", text: "Saturn's rings are made of ice and rock.", startMs: 8000, endMs: 12_000 };
    const scenes: Scene[] = [0, 1].map((i) => ({ index: i, startMs: i * 10_000, endMs: (i + 1) * 10_000, summary: "", transcript: [line], labels: [], text: [] }));
    const doc = await createExtractiveMediaSummarizer().summarize({ durationMs: 20_000, scenes });
    expect(doc.chapters[0]!.summary).toBe(line.text);
  });
});

describe("the model side of chapters", () => {
  it("shows a model a long chapter from beginning to end within the budget, and says it was cut", () => {
    const long = "word ".repeat(2000).trim();
    const scenes: Scene[] = Array.from({ length: 4 }, (_, i) => ({
      index: i, startMs: i * 60_000, endMs: (i + 1) * 60_000, summary: "", labels: ["Person"], text: [`Slide ${i}`],
      transcript: [0, 1, 2].map((j) => ({ speaker: `spk_${j}`, text: `${i}:${j} ${long}`, startMs: i * 60_000 + j * 20_000, endMs: i * 60_000 + j * 20_000 + 19_000 })),
    }));
    const input = { durationMs: 240_000, scenes };
    const doc = summarizeMediaExtractively(input, { segmentation: { minScenesToSplit: 99 } });
    const shown = chapterForModel(doc.chapters[0]!, input) as { transcript: Array<{ text: string }>; transcriptTruncated?: boolean; labels: unknown; onScreenText: string[] };
    const chars = shown.transcript.reduce((n, t) => n + t.text.length, 0);
    expect(chars).toBeLessThanOrEqual(MAX_CHAPTER_TRANSCRIPT_CHARS + 10);
    expect(shown.transcriptTruncated).toBe(true);
    expect(shown.transcript.some((t) => t.text.startsWith("3:0"))).toBe(true);
    expect(shown.labels).toEqual([{ name: "Person" }]);
    expect(shown.onScreenText).toEqual(["Slide 0", "Slide 1", "Slide 2", "Slide 3"]);
    const media = mediaForModel(doc, input.durationMs) as { durationSeconds: number; chapters: unknown[] };
    expect(media).toMatchObject({ durationSeconds: 240, chapters: [{ chapter: 0, startSeconds: 0, endSeconds: 240 }] });
  });

  it("reads each field of an answer on its own and keeps the extractive text for the bad ones, saying why", () => {
    const { input } = lecture([["volcanoes", 5], ["tides", 5]]);
    const extractive = summarizeMediaExtractively(input);
    expect(readChapterAnswer({ title: "  Volcanoes\n", summary: "About volcanoes." })).toEqual({
      title: { ok: true, value: "Volcanoes" }, summary: { ok: true, value: "About volcanoes." },
    });
    expect(readChapterAnswer("nonsense")).toMatchObject({ title: { ok: false, reason: "title is missing" } });
    expect(readMediaAnswer({ summary: "x", topics: ["a", "a", " ", 3, "b"] }).topics).toEqual({ ok: true, value: ["a", "b"] });
    expect(readMediaAnswer({ summary: "x", topics: "a, b" }).topics).toEqual({ ok: false, reason: "topics is not a list" });

    const merged = mergeModelParts(extractive, {
      chapters: [readChapterAnswer({ title: "Volcanoes", summary: "Lava and ash." }), readChapterAnswer({ summary: "Tides and the moon." })],
      media: readMediaAnswer({ summary: "A lecture on volcanoes and tides.", topics: [] }),
    });
    expect(merged.doc.method).toBe("llm");
    expect(merged.doc.chapters.map((c) => [c.title, c.summary])).toEqual([
      ["Volcanoes", "Lava and ash."],
      [extractive.chapters[1]!.title, "Tides and the moon."],
    ]);
    expect(merged.doc.summary).toBe("A lecture on volcanoes and tides.");
    expect(merged.doc.topics).toEqual(extractive.topics);
    expect(merged.fallbacks).toBe(2);
    expect(merged.note).toBe(
      "2 of 6 parts kept the extractive text (taken from the media, not written by a model) — chapter 1 title: title is missing; media topics: topics has no non-empty string.",
    );
    const none = mergeModelParts(extractive, { chapters: [], media: { summary: { ok: false, reason: "no answer" }, topics: { ok: false, reason: "no answer" } } });
    expect(none.doc.method).toBe("extractive");
    expect(none.doc.chapters).toEqual(extractive.chapters);
  });
});
