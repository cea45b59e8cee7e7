import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TranscriptDocument, type ObjectRef } from "@media-pipeline/core";
import { beforeAll, describe, expect, it } from "vitest";
import { silence, twoVoices, type SpeechFixture } from "../../../../../test/helpers/speech.js";
import { assignWords, speakerLabels } from "./assemble.js";
import { detectPocketsphinx } from "./pocketsphinx.js";
import { ENABLE_WORDS_NOTE, WEAKER_THAN_TRANSCRIBE, WORDS_OFF_NOTE, createLocalTranscriber } from "./transcriber.js";

let dir: string;
let voices: SpeechFixture;
let quiet: SpeechFixture;
const pathOf = (ref: ObjectRef) => join(dir, ref.key);
const input = (key: string, durationMs: number) => ({ mediaId: "m1", audio: { bucket: "media", key }, durationMs, maxSpeakers: 4, language: "en-US" });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "transcriber-"));
  [voices, quiet] = await Promise.all([twoVoices(dir), silence(dir)]);
});

describe("createLocalTranscriber with words turned off", () => {
  it("skips recognition even with pocketsphinx installed, keeps speakers, and says words were turned off", async () => {
    const doc = TranscriptDocument.parse(await createLocalTranscriber({ pathOf, words: false }).transcribe(input("two-voices.wav", voices.durationMs)));
    expect(doc.hasWords).toBe(false);
    expect(doc.notes).toContain(WORDS_OFF_NOTE);
    expect(doc.notes).not.toContain(ENABLE_WORDS_NOTE);
    expect(doc.speakers).toHaveLength(2);
    expect(doc.engines.map((e) => e.name)).not.toContain("pocketsphinx");
  });
});

describe("createLocalTranscriber without a speech-to-text engine", () => {
  const transcriber = () => createLocalTranscriber({ pathOf, asrModelDir: "", pocketsphinxPath: "/nonexistent/pocketsphinx_continuous" });

  it("returns speaker turns with empty text and says how to enable words", async () => {
    const doc = TranscriptDocument.parse(await transcriber().transcribe(input("two-voices.wav", voices.durationMs)));
    expect(doc.hasWords).toBe(false);
    expect(doc.notes).toContain(ENABLE_WORDS_NOTE);
    expect(doc.notes).toContain(WEAKER_THAN_TRANSCRIBE);
    expect(doc.speakers.map((s) => s.id)).toEqual(["spk_0", "spk_1"]);
    expect(doc.segments).toHaveLength(voices.utterances.length);
    expect(doc.segments.every((s) => s.text === "" && s.words === undefined)).toBe(true);
    expect(doc.engine.name).toMatch(/silero-vad/);
    expect(doc.engines.map((e) => e.name)).toEqual([expect.stringMatching(/silero/), "mfcc-pitch-divisive"]);
  });

  it("writes Transcribe's speaker_labels shape: times as strings of seconds", async () => {
    const doc = await transcriber().transcribe(input("two-voices.wav", voices.durationMs));
    expect(doc.speakerLabels.speakers).toBe(2);
    for (const seg of doc.speakerLabels.segments) {
      expect(seg).toEqual({ speaker_label: expect.stringMatching(/^spk_\d$/), start_time: expect.stringMatching(/^\d+\.\d{3}$/), end_time: expect.stringMatching(/^\d+\.\d{3}$/), items: [] });
    }
  });

  it("returns no segments for silence", async () => {
    const doc = TranscriptDocument.parse(await transcriber().transcribe(input("silence.wav", quiet.durationMs)));
    expect(doc.segments).toEqual([]);
    expect(doc.speech).toEqual([]);
    expect(doc.speakerLabels).toEqual({ speakers: 0, segments: [] });
  });

  it("fails loudly when a configured model directory holds no model", async () => {
    const bad = createLocalTranscriber({ pathOf, asrModelDir: dir });
    await expect(bad.transcribe(input("two-voices.wav", voices.durationMs))).rejects.toMatchObject({ name: "SpeechEngineError" });
  });
});

const ps = await detectPocketsphinx();
if (!ps.available) throw new Error(`pocketsphinx is missing (${ps.reason}): apt-get install pocketsphinx pocketsphinx-en-us (see .ci/run)`);

describe("createLocalTranscriber with pocketsphinx", () => {
  it("produces a valid document with words assigned to speakers, reporting progress", async () => {
    const progress: number[] = [];
    const doc = TranscriptDocument.parse(
      await createLocalTranscriber({ pathOf, asrModelDir: "" }).transcribe(input("two-voices.wav", voices.durationMs), (f) => progress.push(f)),
    );
    expect(doc.hasWords).toBe(true);
    expect(doc.engine.name).toBe("pocketsphinx");
    expect(doc.engines.map((e) => e.name)).toEqual([expect.stringMatching(/silero/), "pocketsphinx", "mfcc-pitch-divisive"]);
    const words = doc.segments.flatMap((s) => s.words ?? []);
    expect(words.length).toBeGreaterThan(10);
    expect(words.every((w) => w.speaker === doc.segments.find((s) => s.words?.includes(w))?.speaker)).toBe(true);
    expect(doc.speakerLabels.segments.flatMap((s) => s.items)).toHaveLength(words.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
  });
});

describe("assignWords", () => {
  const turns = [{ speaker: "spk_0", startMs: 0, endMs: 1000 }, { speaker: "spk_1", startMs: 2000, endMs: 3000 }];
  const word = (text: string, startMs: number, endMs: number) => ({ text, startMs, endMs, confidence: 50 });

  it("gives each word to the turn it overlaps most, else the nearest, and grows the turn", () => {
    const segments = assignWords(turns, [word("a", 100, 300), word("b", 900, 1300), word("c", 1700, 1900), word("d", 2900, 3100)]);
    expect(segments.map((s) => [s.speaker, s.text, s.startMs, s.endMs])).toEqual([["spk_0", "a b", 0, 1300], ["spk_1", "c d", 1700, 3100]]);
    expect(speakerLabels(segments).segments[1].items).toEqual([
      { speaker_label: "spk_1", start_time: "1.700", end_time: "1.900" },
      { speaker_label: "spk_1", start_time: "2.900", end_time: "3.100" },
    ]);
  });
});
