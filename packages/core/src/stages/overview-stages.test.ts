import { describe, expect, it } from "vitest";
import { catalog, type AnyPipelineEvent, type DetailType } from "../events/catalog.js";
import { makeEvent } from "../events/envelope.js";
import { createExtractiveMediaSummarizer } from "../policy/chapters.js";
import type { BlobStore, MediaSummarizer, Publish, TextDetector, TextFileStore } from "../ports.js";
import type { ObjectRef } from "../results/common.js";
import type { ScenesDocument, ShotsDocument, TextDocument, TranscriptDocument } from "../results/documents.js";
import { MemoryStateStore } from "./memory-state-store.js";
import { createDetectText, createMakeCaptions, createSummarizeMedia, mediaSummaryInput } from "./overview-stages.js";

const ctx = { attempt: 1, finalAttempt: false };
const env = { id: "e", time: new Date(), account: "1", region: "r" };
const { mediaId, correlationId } = catalog["Media Received"].example;
const ref = (name: string): ObjectRef => ({ bucket: "media", key: `derived/${mediaId}/${name}` });

function harness() {
  const state = new MemoryStateStore();
  const published: Array<{ type: DetailType; detail: Record<string, unknown> }> = [];
  const publish: Publish = async (type, detail) => void published.push({ type, detail: detail as Record<string, unknown> });
  const stored = new Map<string, unknown>();
  const texts = new Map<string, { body: string; contentType: string }>();
  const blobs: BlobStore & TextFileStore = {
    putJson: async (r, v) => void stored.set(r.key, v),
    getJson: async <T,>(r: { key: string }) => stored.get(r.key) as T,
    size: async (r) => (stored.has(r.key) ? 1 : undefined),
    putText: async (r, body, contentType) => void texts.set(r.key, { body, contentType }),
    getText: async (r) => texts.get(r.key)!.body,
  };
  return { state, publish, published, blobs, stored, texts };
}

const word = (text: string, startMs: number, endMs: number, speaker = "spk_0") => ({ text, startMs, endMs, confidence: 90, speaker });

const transcript = (withWords: boolean): TranscriptDocument => ({
  language: "en-US", hasWords: withWords, notes: [],
  speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 3000 }, { id: "spk_1", label: "Speaker 2", speechMs: 2000 }],
  segments: [
    { speaker: "spk_0", startMs: 0, endMs: 3000, text: withWords ? "The budget grows next year." : "", ...(withWords ? { words: [word("The", 0, 300), word("budget", 300, 900), word("grows", 900, 1500), word("next", 1500, 2000), word("year.", 2000, 3000)] } : {}) },
    { speaker: "spk_1", startMs: 3500, endMs: 5500, text: withWords ? "Hiring starts in June." : "", ...(withWords ? { words: [word("Hiring", 3500, 4000, "spk_1"), word("starts", 4000, 4500, "spk_1"), word("in", 4500, 4800, "spk_1"), word("June.", 4800, 5500, "spk_1")] } : {}) },
  ],
  speech: [{ startMs: 0, endMs: 5500 }],
  speakerLabels: { speakers: 2, segments: [] },
  engine: { name: "test", version: "1" }, engines: [],
});

const transcriptReady = (doc: TranscriptDocument) =>
  makeEvent("Transcript Ready", {
    ...catalog["Transcript Ready"].example, transcript: ref("transcript.json"), hasWords: doc.hasWords,
    wordCount: doc.segments.flatMap((s) => s.words ?? []).length,
  }, env) as AnyPipelineEvent;

describe("detect-text", () => {
  it("hands the OCR engine the stage's signal, which aborts at the deadline, and fails the stage there", async () => {
    const h = harness();
    let seen: AbortSignal | undefined;
    // An engine that reads until it is told to stop, as Tesseract over a long video would.
    const detector: TextDetector = {
      detect: (_input, _progress, options) =>
        new Promise((_, reject) => {
          seen = options?.signal;
          seen?.addEventListener("abort", () => reject(new Error("tesseract stopped")));
        }),
    };
    const probed = makeEvent("Media Probed", { ...catalog["Media Probed"].example, video: undefined }, env) as AnyPipelineEvent;
    // A final deadline, as a Lambda's: the stage settles as failed instead of being handed back for a retry.
    await createDetectText({ ...h, detector })(probed, { ...ctx, timeoutMs: 50, deadlineIsFinal: true });
    expect(seen?.aborted).toBe(true);
    expect(h.published.map((p) => p.type)).toEqual(["Stage Failed"]);
    expect(String((h.published[0]!.detail.error as { message: string }).message)).toMatch(/detect-text/);
  });
});

describe("make-captions", () => {
  it("writes WebVTT and SRT beside the transcript, with voice tags, and says how many cues", async () => {
    const h = harness();
    const doc = transcript(true);
    h.stored.set(ref("transcript.json").key, doc);
    await createMakeCaptions({ ...h, files: h.blobs })(transcriptReady(doc), ctx);
    expect(h.published.map((p) => p.type)).toEqual(["Captions Ready"]);
    const detail = catalog["Captions Ready"].detail.parse({ version: 1, mediaId, correlationId, ...h.published[0]!.detail });
    expect(detail.vtt).toEqual(ref("captions.vtt"));
    expect(detail.srt).toEqual(ref("captions.srt"));
    expect(detail.cueCount).toBeGreaterThanOrEqual(2);
    expect(detail.note).toBeUndefined();
    const vtt = h.texts.get(ref("captions.vtt").key)!;
    expect(vtt.contentType).toMatch(/^text\/vtt/);
    expect(vtt.body.startsWith("WEBVTT")).toBe(true);
    expect(vtt.body).toContain("<v Speaker 1>The budget grows next year.");
    expect(vtt.body).toContain("<v Speaker 2>Hiring starts in June.");
    const srt = h.texts.get(ref("captions.srt").key)!;
    expect(srt.body).toMatch(/^1\r\n00:00:00,000 --> /);
    expect(srt.body).toContain("Speaker 2: Hiring starts in June.");
  });

  it("writes empty caption files and a note when the transcript has no words, so the media still settles", async () => {
    const h = harness();
    const doc = transcript(false);
    h.stored.set(ref("transcript.json").key, doc);
    await createMakeCaptions({ ...h, files: h.blobs })(transcriptReady(doc), ctx);
    expect(h.published[0]!.detail).toMatchObject({ cueCount: 0, note: expect.stringMatching(/no speech-to-text engine/) });
    expect(h.texts.get(ref("captions.vtt").key)!.body.trim()).toBe("WEBVTT");
    expect((await h.state.list(mediaId)).find((r) => r.stage === "make-captions")?.status).toBe("done");
  });

  it("fails without retrying on a stored object that is not a transcript, naming it", async () => {
    const h = harness();
    h.stored.set(ref("transcript.json").key, { nope: true });
    await expect(createMakeCaptions({ ...h, files: h.blobs })(transcriptReady(transcript(true)), { ...ctx, finalAttempt: true }))
      .resolves.toBeUndefined();
    expect(h.published.map((p) => p.type)).toEqual(["Stage Failed"]);
    expect(String((h.published[0]!.detail.error as { message: string }).message)).toMatch(/transcript\.json is not a transcript document/);
  });
});

const scenes: ScenesDocument = {
  engine: { name: "extractive-summarizer", version: "1" },
  scenes: [
    { index: 0, startMs: 0, endMs: 3200, shotIndexes: [0], summary: "Budget talk.", labels: ["Person"], moderation: [], speakers: ["Speaker 1"], summarizer: "extractive" },
    { index: 1, startMs: 3200, endMs: 6000, shotIndexes: [1], summary: "Hiring talk.", labels: ["Chart"], moderation: [], speakers: ["Speaker 2"], summarizer: "extractive" },
  ],
};
const text: TextDocument = {
  lines: [
    { text: "BUDGET 2027", startMs: 500, endMs: 2500, confidence: 95, box: { left: 0.1, top: 0.1, width: 0.5, height: 0.1 }, frames: 3 },
    { text: "HIRING PLAN", startMs: 3500, endMs: 5800, confidence: 93, box: { left: 0.1, top: 0.1, width: 0.5, height: 0.1 }, frames: 3 },
  ],
  words: [], framesAnalyzed: 12, engine: { name: "tesseract", version: "5" },
};

const shot = (index: number, startMs: number, endMs: number) => ({ index, startMs, endMs, keyframe: ref(`k${index}.jpg`), cutScore: 1 });
// Three shots: the first two are one scene of the scenes document, so chapters may cut between them.
const shots: ShotsDocument = {
  durationMs: 6000, width: 640, height: 360, frames: [], engine: { name: "ffmpeg", version: "5" },
  shots: [shot(0, 0, 1600), shot(1, 1600, 3200), shot(2, 3200, 6000)],
};

describe("summarize-media", () => {
  it("finds chapters over shots, each with the words said in it, the text shown and its scene's summary", () => {
    const input = mediaSummaryInput({ durationMs: 6000, scenes, shots, transcript: transcript(true), text });
    expect(input.scenes.map((s) => [s.startMs, s.endMs])).toEqual([[0, 1600], [1600, 3200], [3200, 6000]]);
    expect(input.scenes.map((s) => s.summary)).toEqual(["Budget talk.", "Budget talk.", "Hiring talk."]);
    expect(input.scenes.map((s) => s.text)).toEqual([["BUDGET 2027"], ["BUDGET 2027"], ["HIRING PLAN"]]);
    expect(input.scenes[2]!.transcript.map((t) => t.text)).toEqual(["Hiring starts in June."]);
  });

  it("reads the scenes, transcript and text its records point at, stores summary.json and announces it", async () => {
    const h = harness();
    h.stored.set(ref("scenes.json").key, scenes);
    h.stored.set(ref("transcript.json").key, transcript(true));
    h.stored.set(ref("text.json").key, text);
    h.stored.set(ref("shots.json").key, shots);
    const done = async (stage: "transcribe" | "detect-text" | "detect-shots", name: string) => {
      await h.state.begin(mediaId, stage, 1000);
      await h.state.finish(mediaId, stage, { events: [], facts: { ref: ref(name) } });
    };
    await done("transcribe", "transcript.json");
    await done("detect-text", "text.json");
    await done("detect-shots", "shots.json");
    const seen: unknown[] = [];
    const extractive = createExtractiveMediaSummarizer();
    const summarizer: MediaSummarizer = { summarize: async (input, o) => (seen.push(input), extractive.summarize(input, o)) };
    const event = makeEvent("Scenes Summarized", { ...catalog["Scenes Summarized"].example, scenes: ref("scenes.json"), sceneCount: 2 }, env) as AnyPipelineEvent;
    await createSummarizeMedia({ ...h, summarizer })(event, ctx);
    expect(seen).toEqual([mediaSummaryInput({ durationMs: 6000, scenes, shots, transcript: transcript(true), text })]);
    expect(h.published.map((p) => p.type)).toEqual(["Media Summarized"]);
    const detail = catalog["Media Summarized"].detail.parse({ version: 1, mediaId, correlationId, ...h.published[0]!.detail });
    expect(detail.document).toEqual(ref("summary.json"));
    expect(detail.method).toBe("extractive");
    const stored = h.stored.get(ref("summary.json").key) as { chapters: Array<{ sceneIndexes: number[] }>; summary: string };
    expect(stored.chapters.length).toBe(detail.chapterCount);
    // Chapters name the scenes of the scenes document they cover, not the shot spans they were found over.
    expect([...new Set(stored.chapters.flatMap((c) => c.sceneIndexes))].sort()).toEqual([0, 1]);
    expect(stored.summary.length).toBeGreaterThan(0);
  });
});
