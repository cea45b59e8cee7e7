import { readFileSync } from "node:fs";
import { TranscriptDocument } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { TranscriptUnreadableError } from "./errors.js";
import { parseTranscript } from "./parse-transcript.js";

const transcript = (): Record<string, any> =>
  JSON.parse(readFileSync(new URL("./fixtures/transcript-two-speakers.json", import.meta.url), "utf8"));

const texts = (doc: TranscriptDocument) => doc.segments.map((s) => `${s.speaker}: ${s.text}`);

describe("parseTranscript", () => {
  it("makes the same document from older output that labels words only under speaker_labels", () => {
    const current = parseTranscript(transcript(), { language: "en-US" });
    const older = transcript();
    for (const item of older.results.items) delete item.speaker_label;
    delete older.results.audio_segments;

    const doc = TranscriptDocument.parse(parseTranscript(older, { language: "en-US" }));
    expect(doc).toEqual(current);
    expect(doc.notes).toEqual([]);
  });

  it("names speakers in order of first appearance and keeps Transcribe's label", () => {
    const swapped = JSON.parse(
      JSON.stringify(transcript()).replaceAll('"spk_0"', '"tmp"').replaceAll('"spk_1"', '"spk_0"').replaceAll('"tmp"', '"spk_1"'),
    );

    const doc = parseTranscript(swapped, { language: "en-US" });
    expect(doc.speakers.map(({ id, label }) => ({ id, label }))).toEqual([
      { id: "spk_0", label: "spk_1" },
      { id: "spk_1", label: "spk_0" },
    ]);
    expect(texts(doc)[0]).toBe("spk_0: Welcome back to the show.");
    // speaker_labels stays in Transcribe's own naming.
    expect(doc.speakerLabels.segments[0]!.speaker_label).toBe("spk_1");
  });

  it("attaches punctuation to the word before it, and drops a leading mark", () => {
    const json = transcript();
    json.results.items.unshift({ type: "punctuation", alternatives: [{ confidence: "0.0", content: "¿" }], speaker_label: "spk_0" });
    const words = parseTranscript(json, { language: "en-US" }).segments.flatMap((s) => s.words!.map((w) => w.text));
    expect(words.slice(0, 5)).toEqual(["Welcome", "back", "to", "the", "show."]);
    expect(words).toContain("Thanks,");
  });

  it("splits turns on speaker changes alone, and notes it, when speaker_labels is missing", () => {
    const json = transcript();
    delete json.results.speaker_labels;

    const doc = TranscriptDocument.parse(parseTranscript(json, { language: "en-US" }));
    expect(texts(doc)).toEqual([
      "spk_0: Welcome back to the show. Today we talk about rivers.",
      "spk_1: Thanks, it's great to be here.",
      "spk_0: Let's start.",
    ]);
    expect(doc.notes).toEqual([expect.stringContaining("no speaker_labels")]);
    expect(doc.speakerLabels.speakers).toBe(2);
    expect(doc.speech).toEqual([
      { startMs: 540, endMs: 3970 },
      { startMs: 5300, endMs: 7020 },
      { startMs: 7450, endMs: 8200 },
    ]);
  });

  it("makes a valid empty document for audio without speech", () => {
    const doc = parseTranscript(
      { jobName: "j", results: { transcripts: [{ transcript: "" }], items: [], speaker_labels: { speakers: 0, segments: [] } } },
      { language: "en-US", engineVersion: "2026-11" },
    );
    expect(TranscriptDocument.parse(doc)).toMatchObject({ segments: [], speakers: [], speech: [], hasWords: true });
    expect(doc.engine).toMatchObject({ version: "2026-11", settings: { jobName: "j" } });
    expect(doc.notes).toEqual(["Transcribe recognised no speech in this audio."]);
  });

  it("falls back to the output's language_code", () => {
    const json = transcript();
    json.results.language_code = "en-GB";
    expect(parseTranscript(json).language).toBe("en-GB");
  });

  it("refuses output that is not Transcribe's or has unreadable times", () => {
    expect(() => parseTranscript({ results: {} })).toThrow(TranscriptUnreadableError);
    const json = transcript();
    json.results.items[0].start_time = "soon";
    expect(() => parseTranscript(json)).toThrow(/results\.items\[0\]\.start_time/);
  });
});
