import { describe, expect, it } from "vitest";
import type { CaptionCue, TranscriptDocument, TranscriptSegment, TranscriptWord } from "../results/documents.js";
import { buildCaptionCues, CAPTIONS_ENGINE, CaptionsError, MAX_CUE_MS as CUE_LIMIT, MAX_LINE_CHARS as LINE_LIMIT, toSrt, toWebVtt } from "./captions.js";

// The limits the captions are held to, written out here so that a change to the module's constants fails a test.
const MAX_CUE_MS = 7000;
const MAX_LINE_CHARS = 42;

// The caption files are also read back by a WebVTT validator, an SRT parser and Chromium in
// test/captions-chromium.test.ts: core's own tests import nothing but zod and vitest.

// ---- generated transcripts -------------------------------------------------------------------

/** mulberry32: the same "random" transcripts on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCABULARY =
  "the a budget quarter we think that is about right and then hiring plan for next year should grow slowly because revenue was flat in spring but recovered strongly over summer months so let us look at numbers again before deciding anything final tonight".split(" ");

interface Spoken {
  speaker: string;
  words: Array<Omit<TranscriptWord, "confidence" | "speaker">>;
}

/** Words one after another from `startMs`, each as long as its letters take at `msPerChar`, with the gaps `gapMs` picks. */
function say(speaker: string, texts: string[], startMs: number, gapMs: (i: number) => number = () => 0, msPerChar = 65): Spoken {
  let at = startMs;
  const words = texts.map((text, i) => {
    if (i > 0) at += gapMs(i);
    const word = { text, startMs: at, endMs: at + Math.max(80, text.length * msPerChar) };
    at = word.endMs;
    return word;
  });
  return { speaker, words };
}

function sentences(rand: () => number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = VOCABULARY[Math.floor(rand() * VOCABULARY.length)];
    const r = rand();
    out.push(r < 0.08 ? `${word}.` : r < 0.14 ? `${word},` : word);
  }
  return out;
}

function transcriptOf(turns: Spoken[], options: { withWords?: boolean; language?: string } = {}): TranscriptDocument {
  const { withWords = true, language = "en-US" } = options;
  const ids = [...new Set(turns.map((t) => t.speaker))];
  const segments: TranscriptSegment[] = turns
    .filter((t) => t.words.length > 0)
    .map((t) => ({
      speaker: t.speaker,
      startMs: t.words[0].startMs,
      endMs: t.words.at(-1)!.endMs,
      text: t.words.map((w) => w.text).join(" "),
      ...(withWords ? { words: t.words.map((w) => ({ ...w, confidence: 90, speaker: t.speaker })) } : {}),
    }));
  return {
    language,
    hasWords: true,
    notes: [],
    speakers: ids.map((id, i) => ({ id, label: `Speaker ${i + 1}`, speechMs: 1000 })),
    segments,
    speech: segments.map((s) => ({ startMs: s.startMs, endMs: s.endMs })),
    speakerLabels: { speakers: ids.length, segments: [] },
    engine: { name: "test", version: "0" },
    engines: [],
  };
}

/** Turns of random length alternating between speakers, back to back. */
function conversation(rand: () => number, speakers: string[], turns: number, maxWords: number): Spoken[] {
  const out: Spoken[] = [];
  let at = 500;
  for (let i = 0; i < turns; i++) {
    const turn = say(speakers[i % speakers.length], sentences(rand, 1 + Math.floor(rand() * maxWords)), at, () => Math.floor(rand() * 120));
    out.push(turn);
    at = turn.words.at(-1)!.endMs + Math.floor(rand() * 200);
  }
  return out;
}

const LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän".slice(0, 40);
const WIDER_THAN_A_LINE = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz";

const rand = random(7);
const CASES: Record<string, TranscriptDocument> = {
  "a long monologue with no pauses": transcriptOf([say("spk_0", sentences(rand, 900).map((w) => w.replace(/[.,]$/, "")), 0)]),
  "a monologue with punctuation": transcriptOf([say("spk_0", sentences(rand, 400), 1200, () => Math.floor(rand() * 150))]),
  "rapid speaker changes": transcriptOf(conversation(rand, ["spk_0", "spk_1", "spk_2"], 80, 3)),
  "a conversation of longer turns": transcriptOf(conversation(rand, ["spk_0", "spk_1"], 20, 40)),
  "words with long pauses": transcriptOf([say("spk_0", sentences(rand, 200), 0, () => [0, 100, 350, 800, 1600, 4000, 9000][Math.floor(rand() * 7)])]),
  "a 40-character word": transcriptOf([say("spk_0", ["so", "the", "captain", "of", "the", LONG_WORD, "said", "hello", "to", "everyone", "on", "board", "today."], 0)]),
  "a word wider than a line and longer than a cue": transcriptOf([
    say("spk_0", ["and", "then", "the", WIDER_THAN_A_LINE, "came", "into", "force"], 0, () => 0, 150),
  ]),
  "segments without words": transcriptOf(conversation(rand, ["spk_0", "spk_1"], 12, 30), { withWords: false }),
  "a language with no English line rules": transcriptOf([say("spk_0", sentences(rand, 120), 0)], { language: "de-DE" }),
};

const EMPTY: TranscriptDocument = {
  ...transcriptOf([]),
  hasWords: false,
  speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 4000 }],
  segments: [{ speaker: "spk_0", startMs: 0, endMs: 4000, text: "" }],
};

// ---- properties ----------------------------------------------------------------------------------

interface Expected {
  text: string;
  startMs: number;
  endMs: number;
  speaker: string;
}

/** The words the captions must carry, in time order, with their speaker's label. */
function expectedWords(transcript: TranscriptDocument): Expected[] {
  const label = new Map(transcript.speakers.map((s) => [s.id, s.label]));
  return transcript.segments
    .flatMap((s) => (s.words ?? [{ text: s.text, startMs: s.startMs, endMs: s.endMs }]).flatMap((w) => w.text.split(/\s+/).filter(Boolean).map((text) => ({ ...w, text, speaker: label.get(s.speaker)! }))))
    .sort((a, b) => a.startMs - b.startMs);
}

const isOneWord = (line: string) => !line.includes(" ");

function checkProperties(transcript: TranscriptDocument, cues: CaptionCue[]): void {
  const words = expectedWords(transcript);
  const timed = transcript.segments.every((s) => s.words);
  let next = 0;
  cues.forEach((cue, i) => {
    const where = `cue ${i + 1} ${JSON.stringify(cue)}`;
    expect(cue.lines.length, where).toBeGreaterThanOrEqual(1);
    expect(cue.lines.length, where).toBeLessThanOrEqual(2);
    for (const line of cue.lines) {
      expect(line, where).toBe(line.trim());
      expect(line.length, where).toBeGreaterThan(0);
      if (!isOneWord(line)) expect(line.length, where).toBeLessThanOrEqual(MAX_LINE_CHARS);
    }
    const text = cue.lines.join(" ");
    if (!isOneWord(text)) expect(cue.endMs - cue.startMs, where).toBeLessThanOrEqual(MAX_CUE_MS);
    expect(cue.endMs, where).toBeGreaterThan(cue.startMs);
    const following = cues[i + 1];
    if (following) expect(cue.endMs, where).toBeLessThanOrEqual(following.startMs);
    // Shorter than a second only when the next cue starts straight after it.
    if (cue.endMs - cue.startMs < 1000) expect(cue.endMs, where).toBe(following?.startMs);
    // Every word of the cue, in order, said by the cue's one speaker, while the cue is up.
    const own = text.split(" ");
    const said = words.slice(next, next + own.length);
    expect(own, where).toEqual(said.map((w) => w.text));
    for (const w of said) {
      expect(cue.speaker, where).toBe(w.speaker);
      if (timed) {
        expect(w.startMs, where).toBeGreaterThanOrEqual(cue.startMs);
        expect(w.endMs, where).toBeLessThanOrEqual(cue.endMs);
      } else {
        // Spread words: each lies within its segment's time.
        expect(cue.startMs, where).toBeGreaterThanOrEqual(w.startMs);
        expect(cue.startMs, where).toBeLessThan(w.endMs);
      }
    }
    if (timed) expect(cue.startMs, where).toBe(said[0].startMs);
    // No long silence inside a cue: its words would show long before they are said.
    for (let k = 1; k < said.length; k++) expect(said[k].startMs - said[k - 1].endMs, where).toBeLessThan(1500);
    next += own.length;
  });
  expect(next).toBe(words.length);
}

describe("buildCaptionCues", () => {
  for (const [name, transcript] of Object.entries(CASES)) {
    describe(name, () => {
      const cues = buildCaptionCues(transcript);

      it("keeps every cue short, in order, apart, with each word once and one speaker per cue", () => {
        expect(cues.length).toBeGreaterThan(0);
        checkProperties(transcript, cues);
      });

      it("fits the SRT's speaker names on the line too (room is kept for them), unless a lone word is wider than a line", () => {
        for (const line of toSrt(cues).split("\r\n")) if (!isOneWord(line.replace(/^Speaker \d+: /, ""))) expect(line.length, line).toBeLessThanOrEqual(MAX_LINE_CHARS);
      });
    });
  }

  it("keeps a word wider than a line whole, on a line of its own, and a word longer than 7 s as a cue of its own", () => {
    const cues = buildCaptionCues(CASES["a word wider than a line and longer than a cue"]);
    const own = cues.find((c) => c.lines.includes(WIDER_THAN_A_LINE))!;
    expect(own.lines).toEqual([WIDER_THAN_A_LINE]);
    expect(own.endMs - own.startMs).toBeGreaterThan(MAX_CUE_MS);
    const forty = buildCaptionCues(CASES["a 40-character word"]);
    expect(forty.flatMap((c) => c.lines).some((line) => line.split(" ").includes(LONG_WORD))).toBe(true);
  });

  it("gives no cues for a transcript without text", () => {
    expect(buildCaptionCues(EMPTY)).toEqual([]);
    expect(buildCaptionCues(transcriptOf([]))).toEqual([]);
  });

  it("ends a cue at a sentence end rather than filling it to the limit", () => {
    const words = "Thanks for coming. Today we will go through the budget for next year and the hiring plan as well.".split(" ");
    const cues = buildCaptionCues(transcriptOf([say("spk_0", words, 0)]));
    expect(cues[0].lines.join(" ")).toBe("Thanks for coming.");
  });

  it("ends a cue at a pause in the speech", () => {
    const words = "so what we saw in the spring numbers was a dip and then in summer a strong recovery across the board".split(" ");
    const cues = buildCaptionCues(transcriptOf([say("spk_0", words, 0, (i) => (i === 11 ? 700 : 0))]));
    expect(cues.map((c) => c.lines.join(" "))).toEqual(["so what we saw in the spring numbers was a dip", "and then in summer a strong recovery across the board"]);
  });

  it("balances two lines and does not end a line on an article or a preposition", () => {
    const words = "the results for the quarter came in well above what everybody on the board expected".split(" ");
    const [cue] = buildCaptionCues(transcriptOf([say("spk_0", words, 0)]));
    expect(cue.lines).toHaveLength(2);
    const [top, bottom] = cue.lines;
    expect(Math.abs(top.length - bottom.length)).toBeLessThanOrEqual(14);
    expect(top).not.toMatch(/ (the|a|on|for|in)$/);
  });

  it("starts a new cue when the speaker changes, even mid-sentence", () => {
    const cues = buildCaptionCues(transcriptOf([say("spk_0", ["Are", "you"], 0), say("spk_1", ["sure?"], 600)]));
    expect(cues.map((c) => [c.speaker, c.lines])).toEqual([
      ["Speaker 1", ["Are you"]],
      ["Speaker 2", ["sure?"]],
    ]);
  });

  it("keeps overlapping speakers' words together, in time order, cutting the overlap", () => {
    const cues = buildCaptionCues(transcriptOf([say("spk_0", "I think we should look at the numbers again before".split(" "), 0), say("spk_1", ["Agreed."], 1500)]));
    expect(cues.map((c) => [c.speaker, c.lines.join(" ")])).toEqual([
      ["Speaker 1", "I think we should look at the numbers again before"],
      ["Speaker 2", "Agreed."],
    ]);
    expect(cues[0].endMs).toBe(1500);
    expect(toSrt(cues).split("\r\n").slice(2, 4)).toEqual(["Speaker 1: I think we should look", "at the numbers again before"]);
  });

  it("never joins two stretches of speech in one cue, so the next sentence does not show before it is said", () => {
    const first = say("spk_0", "the bridge opened".split(" "), 0);
    const second = say("spk_0", "builders crossed".split(" "), first.words.at(-1)!.endMs + 700);
    // Without the detector's stretches the two short sentences fit one cue (a 0.7 s pause is below the long pause).
    const joined = buildCaptionCues({ ...transcriptOf([first, second]), speech: [] });
    expect(joined.map((c) => c.lines.join(" "))).toEqual(["the bridge opened builders crossed"]);
    // With them, the silence between the stretches ends the cue, and the second starts with its speech.
    const heard = transcriptOf([first, second]);
    const cues = buildCaptionCues(heard);
    expect(cues.map((c) => c.lines.join(" "))).toEqual(["the bridge opened", "builders crossed"]);
    expect(cues[1].startMs).toBe(second.words[0].startMs);
    // A word the recognizer put in the silence, nearer the next stretch, goes with the next stretch.
    const early = { ...second.words[0], startMs: second.words[0].startMs - 150, endMs: second.words[0].startMs + 50 };
    const shifted = transcriptOf([first, { speaker: "spk_0", words: [early, ...second.words.slice(1)] }]);
    const withShift = buildCaptionCues({ ...shifted, speech: heard.speech });
    expect(withShift.map((c) => c.lines.join(" "))).toEqual(["the bridge opened", "builders crossed"]);
  });

  it("keeps a short cue up for a second where the silence after allows, and never into the next cue", () => {
    const cues = buildCaptionCues(transcriptOf([say("spk_0", ["Yes."], 0), say("spk_1", ["No."], 2000), say("spk_0", ["Maybe."], 2400)]));
    expect(cues.map((c) => [c.startMs, c.endMs])).toEqual([
      [0, 1000],
      [2000, 2400],
      [2400, 3400],
    ]);
    expect(buildCaptionCues(transcriptOf([say("spk_0", ["Yes."], 0)]), { mediaDurationMs: 600 })[0].endMs).toBe(600);
  });

  it("starts a cue when its speech starts if the recognizer missed the first words, and only then", () => {
    const heard = transcriptOf([say("spk_0", ["Yes."], 0), say("spk_1", ["the", "prices", "will", "go", "down"], 3000)]);
    // The voice activity detector heard the second speaker from 2.1 s; the recognizer's first word is at 3 s.
    const missed = { ...heard, speech: [{ startMs: 0, endMs: 400 }, { startMs: 2100, endMs: 4500 }] };
    expect(buildCaptionCues(missed).map((c) => c.startMs)).toEqual([0, 2100]);
    // Its first word heard at the onset (no gap): nothing moves.
    expect(buildCaptionCues({ ...heard, speech: [{ startMs: 0, endMs: 400 }, { startMs: 3000, endMs: 4500 }] }).map((c) => c.startMs)).toEqual([0, 3000]);
    // A word earlier in the same stretch: that word's cue is the stretch's first and moves; the next does not.
    const later = transcriptOf([say("spk_0", ["Well,"], 2200), say("spk_1", ["the", "prices", "will", "go", "down"], 3000)]);
    expect(buildCaptionCues({ ...later, speech: [{ startMs: 2100, endMs: 4500 }] }).map((c) => c.startMs)).toEqual([2100, 3000]);
    // Never before the words of the cue before end, never so early that the cue outlasts the longest cue.
    const straddle = transcriptOf([say("spk_0", ["Right."], 1800), say("spk_1", ["the", "prices"], 3000)]);
    expect(buildCaptionCues({ ...straddle, speech: [{ startMs: 2000, endMs: 4000 }] }).map((c) => c.startMs)).toEqual([1800, straddle.segments[0].endMs]);
    expect(buildCaptionCues({ ...heard, speech: [{ startMs: 0, endMs: 400 }, { startMs: 500, endMs: 4500 }] }, { maxCueMs: 2000 })[1].startMs).toBe(heard.segments[1].endMs - 2000);
  });

  it("spreads a segment's words over its time by their length when it has no word timings", () => {
    const transcript = transcriptOf([], { withWords: false });
    transcript.speakers = [{ id: "spk_0", label: "Speaker 1", speechMs: 10_000 }];
    const text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty.";
    transcript.segments = [{ speaker: "spk_0", startMs: 1000, endMs: 11_000, text }];
    const cues = buildCaptionCues(transcript);
    expect(cues.length).toBeGreaterThan(1);
    expect(cues[0].startMs).toBe(1000);
    const chars = text.replace(/ /g, "").length;
    const firstWords = cues[0].lines.join(" ").split(" ");
    expect(cues[1].startMs).toBe(1000 + Math.round((10_000 * firstWords.join("").length) / chars));
    expect(cues.flatMap((c) => c.lines).join(" ")).toBe(text);
  });

  it("joins punctuation given as words of their own to the word before", () => {
    const cues = buildCaptionCues(transcriptOf([say("spk_0", ["Hello", ",", "world", "."], 0)]));
    expect(cues[0].lines).toEqual(["Hello, world."]);
  });

  it("leaves speakers out when the transcript names none", () => {
    const transcript = transcriptOf([say("spk_0", ["Hi", "there."], 0), say("spk_1", ["Hello."], 900)]);
    transcript.speakers = [];
    const cues = buildCaptionCues(transcript);
    expect(cues).toEqual([
      { startMs: 0, endMs: 900, lines: ["Hi there."] },
      { startMs: 900, endMs: 1900, lines: ["Hello."] },
    ]);
    expect(toWebVtt(cues)).toBe("WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.900\nHi there.\n\n2\n00:00:00.900 --> 00:00:01.900\nHello.\n");
  });

  it("refuses unknown or impossible options", () => {
    expect(() => buildCaptionCues(EMPTY, { maxLineChar: 30 } as never)).toThrow(CaptionsError);
    expect(() => buildCaptionCues(EMPTY, { minCueMs: 8000 })).toThrow(/minCueMs/);
  });

  it("narrower lines when asked", () => {
    const transcript = CASES["a monologue with punctuation"];
    const cues = buildCaptionCues(transcript, { maxLineChars: 32, maxCueMs: 5000 });
    for (const cue of cues) {
      for (const line of cue.lines) expect(line.length).toBeLessThanOrEqual(32);
      expect(cue.endMs - cue.startMs).toBeLessThanOrEqual(5000);
    }
  });

  it("names itself with its settings", () => {
    expect([CUE_LIMIT, LINE_LIMIT]).toEqual([MAX_CUE_MS, MAX_LINE_CHARS]);
    expect(CAPTIONS_ENGINE).toMatchObject({ name: "media-pipeline-captions", version: "1.2.0", settings: { maxCueMs: 7000, maxLineChars: 42 } });
  });
});

describe("toWebVtt and toSrt", () => {
  const cues: CaptionCue[] = [
    { startMs: 0, endMs: 1500, speaker: "Speaker 1", lines: ["Fish & chips <b>now</b>", "--> or later?"] },
    { startMs: 1500, endMs: 3_723_004, speaker: "Speaker 1", lines: ["Still me."] },
    { startMs: 3_723_004, endMs: 3_724_000, speaker: "Q&A <host>", lines: ["Next."] },
  ];

  it("writes WebVTT with voice tags, 1-based identifiers and escaped text", () => {
    const vtt = toWebVtt(cues);
    expect(vtt).toBe(
      [
        "WEBVTT",
        "",
        "1",
        "00:00:00.000 --> 00:00:01.500",
        "<v Speaker 1>Fish &amp; chips &lt;b&gt;now&lt;/b&gt;",
        "--&gt; or later?",
        "",
        "2",
        "00:00:01.500 --> 01:02:03.004",
        "<v Speaker 1>Still me.",
        "",
        "3",
        "01:02:03.004 --> 01:02:04.000",
        "<v Q&amp;A <host&gt;>Next.",
        "",
      ].join("\n"),
    );
    expect(toWebVtt(cues, { identifiers: false }).split("\n").slice(0, 4)).toEqual(["WEBVTT", "", "00:00:00.000 --> 00:00:01.500", "<v Speaker 1>Fish &amp; chips &lt;b&gt;now&lt;/b&gt;"]);
  });

  it("writes SRT with CRLF, comma milliseconds and the speaker named only where it changes", () => {
    expect(toSrt(cues)).toBe(
      [
        "1",
        "00:00:00,000 --> 00:00:01,500",
        "Speaker 1: Fish & chips <b>now</b>",
        "--> or later?",
        "",
        "2",
        "00:00:01,500 --> 01:02:03,004",
        "Still me.",
        "",
        "3",
        "01:02:03,004 --> 01:02:04,000",
        "Q&A <host>: Next.",
        "",
      ].join("\r\n"),
    );
  });

  it("writes empty files for no cues", () => {
    expect(toWebVtt([])).toBe("WEBVTT\n");
    expect(toSrt([])).toBe("");
  });

  it("refuses cues that overlap, run backwards or have no text", () => {
    const overlap = [cues[0], { ...cues[1], startMs: 1000 }];
    expect(() => toWebVtt(overlap)).toThrow(CaptionsError);
    expect(() => toSrt([{ startMs: 5, endMs: 5, lines: ["x"] }])).toThrow(/ends/);
    expect(() => toSrt([{ startMs: 0, endMs: 5, lines: [" "] }])).toThrow(/empty line/);
    expect(() => toSrt([{ startMs: 0, endMs: 5, lines: ["a", "b", "c"] }])).toThrow(CaptionsError);
  });
});
