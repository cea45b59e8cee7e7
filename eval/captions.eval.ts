import { rm } from "node:fs/promises";
import { buildCaptionCues, CAPTIONS_ENGINE, type CaptionCue, type TranscriptDocument, type TranscriptWord } from "@media-pipeline/core";
import { afterAll, describe, inject, it } from "vitest";
import { createLocalTranscriber } from "../packages/local/src/engines/speech/index.js";
import { tempDir } from "../test/helpers/flow.js";
import { FEMALE, MALE, oneVoice, speak, twoMaleVoices, twoVoices, type SpeechFixture, type Utterance, type Voice } from "../test/helpers/speech.js";
import { FEMALE_2, twoFemaleVoices } from "./fixtures.js";
import { row, saveGroup, type Row, type Target } from "./table.js";

/*
 * Caption timing, measured two ways on generated speech whose utterance times are known:
 * - against the transcript the captions are made from: is every recognized word on screen for the
 *   whole time it is spoken (the captioner's own error: cue splitting, minimum durations, cutting
 *   overlaps)? Words are matched to cues in order, so a word shown in the wrong cue counts as wrong.
 * - against the speech as it was generated (the whole local chain: VAD, recognizer word times,
 *   captioner): how far the first cue of each utterance starts from the utterance, how much of the
 *   speech has a caption on screen, and whether any cue shows over silence.
 * The targets were written before the first run, from what subtitle guidelines ask: a caption appears
 * with the speech (the BBC's guidelines ask for subtitles in sync with speech; a quarter second is
 * about where a viewer notices), stays while it is spoken, and never shows when no one speaks.
 */

const MAX_SPEAKERS = 4;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Long sentences, unlike the fixtures' short lines: each must be split into several cues. */
const LONG_LINES = [
  "before the storm reached the coast the fishermen pulled their boats far up the beach and tied them to the old iron posts",
  "nobody in the village could remember a winter when the harbour had frozen over so quickly and stayed frozen for so many weeks",
  "in the spring the children ran down to the water every morning to see whether the ice had finally broken and floated out to sea",
];

/*
 * Held apart: voices and sentences used nowhere else in the tests or the eval, and not looked at while
 * the captioner was built. The targets are checked on these; the development set above is where the
 * first run showed cues starting late after words the recognizer missed (p90 1.15 s), which led to
 * starting a cue at its speech's onset (fromSpeechOnset in core), so its figures are reported apart.
 */
const SCOTTISH: Voice = { speaker: "scottish", args: ["-v", "en-gb-scotland", "-p", "40", "-s", "155"] };
const CARIBBEAN: Voice = { speaker: "caribbean", args: ["-v", "en-029", "-p", "60", "-s", "160"] };
const HELD_FEMALE: Voice = { speaker: "held-female", args: ["-v", "en-us+f3", "-p", "70", "-s", "145"] };
const HELD_LINES = [
  "the library opens at nine on weekdays and at ten on saturdays",
  "could you tell me where to find the books about old railways",
  "they are on the second floor next to the maps of the city",
  "thank you and do I need a card to borrow more than two books",
  "yes but you can get one at the front desk in a few minutes",
  "that sounds easy I will do that before I go upstairs",
];
const HELD_LONG_LINES = [
  "when the new bridge finally opened after three years of delays the first people to cross it were the builders and their families",
  "the engineers had tested every cable twice because the river below rises quickly in autumn and the wind from the valley is strong",
];

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The recognized words in time order, as the captions show them (punctuation-only tokens are not words). */
function wordsOf(transcript: TranscriptDocument): TranscriptWord[] {
  return transcript.segments.flatMap((s) => s.words ?? []).filter((w) => /\w/.test(w.text)).sort((a, b) => a.startMs - b.startMs);
}

/** Each cue word with its cue, in order. */
function cueWords(cues: CaptionCue[]): Array<{ text: string; cue: CaptionCue }> {
  return cues.flatMap((cue) => cue.lines.join(" ").split(/\s+/).filter((t) => /\w/.test(t)).map((text) => ({ text, cue })));
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const overlapMs = (a: { startMs: number; endMs: number }, b: { startMs: number; endMs: number }) => Math.max(0, Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs));

type SetName = "development" | "held apart";

interface FileResult {
  label: string;
  set: SetName;
  fixture: SpeechFixture;
  transcript: TranscriptDocument;
  cues: CaptionCue[];
}

describe("captions: timing of the cues made from the local transcript", () => {
  it("measures caption timing against the transcript and against the generated speech", async () => {
    const started = performance.now();
    dir = await tempDir("eval-captions");
    const d = dir;
    const fixtures: Array<{ label: string; set: SetName; made: Promise<SpeechFixture> }> = [
      { label: "two distinct voices", set: "development", made: twoVoices(d) },
      { label: "two male voices", set: "development", made: twoMaleVoices(d) },
      { label: "two female voices", set: "development", made: twoFemaleVoices(d) },
      { label: "one voice", set: "development", made: oneVoice(d) },
      { label: "long sentences, two voices", set: "development", made: speak(d, "long-sentences", [FEMALE_2, MALE, FEMALE], LONG_LINES) },
      { label: "a dialogue, Scottish and Caribbean voices", set: "held apart", made: speak(d, "held-dialogue", [SCOTTISH, CARIBBEAN], HELD_LINES) },
      { label: "long sentences, one new female voice", set: "held apart", made: speak(d, "held-long", [HELD_FEMALE], HELD_LONG_LINES) },
    ];
    const transcriber = createLocalTranscriber({ pathOf: (ref) => ref.key });
    const results: FileResult[] = [];
    for (const { label, set, made } of fixtures) {
      const fixture = await made;
      const transcript = await transcriber.transcribe({ mediaId: label, audio: { bucket: "eval", key: fixture.path }, durationMs: fixture.durationMs, maxSpeakers: MAX_SPEAKERS, language: "en-US" });
      results.push({ label, set, fixture, transcript, cues: buildCaptionCues(transcript) }); // as make-captions calls it
    }
    const asr = results[0].transcript.engines.map((e) => `${e.name} ${e.version}`).join(" + ");
    const engine = `${CAPTIONS_ENGINE.name} ${CAPTIONS_ENGINE.version}`;
    const rows: Row[] = [];
    const weaknesses: string[] = [];
    for (const set of ["held apart", "development"] as const) {
      const m = measure(results.filter((r) => r.set === set));
      // The targets are checked on the held-apart set only; the development set's figures are shown beside them.
      const target = (t: Target) => (set === "held apart" ? t : undefined);
      const on = `${set} set: ${m.files} files of espeak-ng speech; words from ${asr}`;
      rows.push(
        row(engine, `words on screen for all of their speech (vs transcript), ${set}`, m.wholly / m.words, `${m.words} recognized words; ${on}`, target({ op: ">=", value: 0.98 })),
        row(engine, `p95 time a word is spoken but not on screen (vs transcript), ms, ${set}`, quantile(m.errorsMs, 0.95), `${m.words} words; 0 = each word is on screen for all of its speech`, target({ op: "<=", value: 0 })),
        row(engine, `median time a word shows before it is spoken, ms, ${set}`, quantile(m.aheadMs, 0.5), `p90 ${quantile(m.aheadMs, 0.9)} ms; a two-line cue shows its words ahead of speech, as subtitles do`),
        row(engine, `median |cue start − utterance start| (vs speech), ms, ${set}`, quantile(m.absOnsetMs, 0.5), `${m.onsetMs.length} of ${m.utterances} utterances captioned; signed median ${quantile(m.onsetMs, 0.5)} ms (negative: early)`, target({ op: "<=", value: 250 })),
        row(engine, `p90 |cue start − utterance start| (vs speech), ms, ${set}`, quantile(m.absOnsetMs, 0.9), `${m.onsetMs.length} utterances`, target({ op: "<=", value: 500 })),
        row(engine, `median cue end − utterance end (vs speech), ms, ${set}`, quantile(m.offsetMs, 0.5), `p10 ${quantile(m.offsetMs, 0.1)} ms; positive: the last cue stays after the speech (reading time)`),
        row(engine, `speech time with a caption on screen, ${set}`, m.coveredMs / m.speechMs, `${(m.speechMs / 1000).toFixed(0)} s of speech in ${m.utterances} utterances`, target({ op: ">=", value: 0.9 })),
        row(engine, `cues shown over no speech, ${set}`, m.overSilence, `${m.cues} cues`, target({ op: "=", value: 0 })),
      );
      for (const w of m.mismatched) weaknesses.push(`Captions (${set}): ${w}`);
      if (m.missed) weaknesses.push(`Captions (${set}): ${m.missed} of ${m.utterances} utterances have no cue at all (the recognizer found no words there).`);
      const late = m.onsetMs.filter((x) => x > 250).length;
      if (late) weaknesses.push(`Captions (${set}): ${late} of ${m.onsetMs.length} utterances get their first cue more than 0.25 s after the speech starts.`);
      if (m.coveredMs / m.speechMs < 0.95) weaknesses.push(`Captions (${set}): ${pct(1 - m.coveredMs / m.speechMs)} of speech time has no caption on screen (words the recognizer missed, or a cue ended at a pause the speaker had not made).`);
    }

    await saveGroup(inject("evalRowsDir"), { name: "7-captions", rows, weaknesses, durationMs: performance.now() - started });
  });
});

/** Both measurements over one set's files. */
function measure(results: FileResult[]) {
  const m = {
    files: results.length, words: 0, wholly: 0, errorsMs: [] as number[], aheadMs: [] as number[], mismatched: [] as string[],
    onsetMs: [] as number[], absOnsetMs: [] as number[], offsetMs: [] as number[], speechMs: 0, coveredMs: 0, utterances: 0, missed: 0, overSilence: 0, cues: 0,
  };
  const bare = (t: string) => t.toLowerCase().replace(/[^\p{L}\p{N}']/gu, "");
  for (const r of results) {
    // 1. Against the transcript: each word's time on screen while it is spoken.
    const spoken = wordsOf(r.transcript);
    const shown = cueWords(r.cues);
    if (shown.length !== spoken.length) m.mismatched.push(`${r.label}: the cues show ${shown.length} words, the transcript has ${spoken.length}.`);
    spoken.forEach((w, i) => {
      const cue = shown[i] && bare(shown[i].text) === bare(w.text) ? shown[i].cue : undefined;
      m.words++;
      // Not in its place: off screen for all of its speech.
      const error = cue ? Math.max(0, cue.startMs - w.startMs) + Math.max(0, w.endMs - cue.endMs) : w.endMs - w.startMs;
      m.errorsMs.push(error);
      if (error === 0) m.wholly++;
      if (cue) m.aheadMs.push(w.startMs - cue.startMs);
    });
    // 2. Against the generated speech: onset, coverage, captions over silence.
    const truth: Utterance[] = r.fixture.utterances;
    for (const u of truth) {
      m.utterances++;
      m.speechMs += u.endMs - u.startMs;
      const over = r.cues.filter((c) => overlapMs(c, u) > 0);
      if (!over.length) {
        m.missed++;
        continue;
      }
      m.onsetMs.push(over[0].startMs - u.startMs);
      m.absOnsetMs.push(Math.abs(over[0].startMs - u.startMs));
      m.offsetMs.push(over.at(-1)!.endMs - u.endMs);
      m.coveredMs += over.reduce((a, c) => a + overlapMs(c, u), 0);
    }
    for (const c of r.cues) {
      m.cues++;
      if (!truth.some((u) => overlapMs(c, u) > 0)) m.overSilence++;
    }
  }
  return m;
}
