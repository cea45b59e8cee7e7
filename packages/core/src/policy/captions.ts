import { z } from "zod";
import { NonRetryableError } from "../errors.js";
import type { EngineInfo } from "../results/common.js";
import { CaptionCue, type TranscriptDocument } from "../results/documents.js";

/*
 * Captions from a transcript, held to what subtitle guidelines ask (Netflix's Timed Text Style Guide,
 * the BBC's Subtitle Guidelines): at most two lines of 42 characters, at most 7 s on screen, at least
 * about a second, one speaker per cue, breaks where the speech breaks (a sentence end, a pause, a
 * comma) rather than wherever the line fills up, and never across a silence the voice activity detector
 * heard between two stretches of speech. The split is chosen for the whole turn at once (a shortest
 * path over the word boundaries), so a good break a few words early beats a bad one at the limit.
 */

/** Netflix's longest cue: longer, and readers lose their place. */
export const MAX_CUE_MS = 7000;
/** Netflix's 42 characters per line for Latin scripts. */
export const MAX_LINE_CHARS = 42;

const DEFAULTS = {
  maxCueMs: MAX_CUE_MS,
  maxLineChars: MAX_LINE_CHARS,
  /** Shorter cues flash by unread (Netflix's floor is 5/6 s; a second is the usual rule of thumb). */
  minCueMs: 1000,
  /** A silence this long between words is where a listener hears a break, so captions break there too. */
  pauseMs: 300,
  /** A silence this long always ends a cue: a cue showing words seconds before they are said spoils them. */
  longPauseMs: 1500,
  /** Netflix's adult reading speed for English: a cue stays up (into the silence after) long enough to be read. */
  maxCharsPerSecond: 20,
};

export const CAPTIONS_ENGINE: EngineInfo = { name: "media-pipeline-captions", version: "1.2.0", settings: { ...DEFAULTS } };

/** Overrides of the defaults above; unknown keys are refused so a typo fails loudly instead of being ignored. */
export const CaptionOptions = z
  .object({
    maxCueMs: z.number().int().min(1000).optional(),
    maxLineChars: z.number().int().min(10).max(200).optional(),
    minCueMs: z.number().int().nonnegative().optional(),
    pauseMs: z.number().int().nonnegative().optional(),
    longPauseMs: z.number().int().positive().optional(),
    maxCharsPerSecond: z.number().positive().optional(),
    /** The media's length: no cue runs past it when stretched to its minimum duration. */
    mediaDurationMs: z.number().int().nonnegative().optional(),
  })
  .strict();
export type CaptionOptions = z.input<typeof CaptionOptions>;

/** Options or cues that cannot make a caption file; the same input fails the same way every time. */
export class CaptionsError extends NonRetryableError {}

type Settings = typeof DEFAULTS & { mediaDurationMs?: number };
interface Token {
  text: string;
  chars: number;
  startMs: number;
  endMs: number;
  /** Who says it: the label when the transcript names speakers, else the engine's id (still a change of voice). */
  voice: string;
  label?: string;
  /** Which of the transcript's stretches of speech the word is in (by its middle, else the nearest; -1 when there are none). */
  stretch: number;
  /** Set once per word (the split weighs each boundary many times): what punctuation ends it, and whether it leads into the next word. */
  stop?: "sentence" | "clause";
  leads?: boolean;
}

// Weights of the split's cost: a cue costs something, so cues fill up; a break costs by how badly it
// cuts the speech; two lines cost by how unbalanced they are.
const CUE_COST = 10;
const SENTENCE_END = /[.!?…。！？]["'”’»)\]]*$/;
const CLAUSE_END = /[,;:–—、，]["'”’»)\]]*$/;
const PUNCTUATION_ONLY = /^[.,!?;:…%)\]}"'”’»。！？、，]+$/;
// English words that lead into what follows: a break straight after one strands it (the guidelines keep
// an article with its noun, a preposition with its phrase, a pronoun with its verb).
const LEADING_WORDS = new Set(
  "a an the to of in on at for with by from into onto about as and but or nor so if that than because my your his her its our their this these those i we you he she they i'm we're you're it's there's is are was were be will would can could should not very".split(" "),
);

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/**
 * What a reader counts as characters: an accented letter or an emoji is one, whatever its UTF-16
 * length. Text of Latin letters without combining marks is counted by its length: the segmenter is
 * slow enough to dominate a long transcript.
 */
const graphemes = (text: string): number => (/^[\u0020-\u02ff]*$/.test(text) ? text.length : [...graphemeSegmenter.segment(text)].length);
/** A caption line is one line: newlines and runs of spaces in the transcript would break the file's layout. */
const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();

/** Caption cues for a transcript; [] when it has no words or text at all (whether that is a failure is the caller's call). */
export function buildCaptionCues(transcript: TranscriptDocument, options: CaptionOptions = {}): CaptionCue[] {
  const parsed = CaptionOptions.safeParse(options);
  if (!parsed.success) throw new CaptionsError(`invalid caption options: ${parsed.error.message}`, { cause: parsed.error });
  const s: Settings = { ...DEFAULTS, ...parsed.data };
  if (s.minCueMs > s.maxCueMs) throw new CaptionsError(`minCueMs (${s.minCueMs}) is longer than maxCueMs (${s.maxCueMs})`);
  const english = /^en\b/i.test(transcript.language);
  const placed: Placed[] = [];
  for (const turn of turnsOf(tokensOf(transcript), english)) {
    for (const cue of splitTurn(turn, topWidth(turn.tokens[0].label, s), s)) placed.push({ turn, ...cue, roomForLabel: cue.from === 0 });
  }
  // Overlapping speech puts one speaker's cue between another's: the cues go in time order, and timed() cuts the overlap.
  placed.sort((a, b) => a.turn.tokens[a.from].startMs - b.turn.tokens[b.from].startMs);
  const cues = placed.map((cue, i) => {
    const { tokens } = cue.turn;
    const label = tokens[0].label;
    // toSrt writes "Label: " before the first line wherever the speaker changes: lay such a cue out again with room for it.
    if (label && !cue.roomForLabel && label !== placed[i - 1]?.turn.tokens[0].label) {
      const layout = layoutOf(cue.turn, cue.from, cue.to, topWidth(label, s), s);
      if (layout) cue.split = layout.split;
    }
    const words = tokens.slice(cue.from, cue.to);
    const text = (a: number, b: number) => tokens.slice(a, b).map((t) => t.text).join(" ");
    return {
      startMs: words[0].startMs,
      endMs: Math.max(...words.map((t) => t.endMs)),
      ...(label ? { speaker: label } : {}),
      lines: cue.split === undefined ? [text(cue.from, cue.to)] : [text(cue.from, cue.split), text(cue.split, cue.to)],
      chars: widthOf(cue.turn, cue.from, cue.to),
    };
  });
  return timed(fromSpeechOnset(cues, transcript.speech, placed.flatMap((p) => p.turn.tokens.slice(p.from, p.to)), s), s);
}

/**
 * A cue whose first word is the first word recognized in its stretch of speech starts when that speech
 * starts: a recognizer that misses the first words of an utterance (pocketsphinx often does) would
 * otherwise put the caption up a second after the speaker began, while the voice activity detector
 * heard the start. Never earlier than the words before it end, and never so early that the cue would
 * outlast the longest cue.
 */
function fromSpeechOnset<C extends CaptionCue>(cues: C[], speech: ReadonlyArray<{ startMs: number; endMs: number }>, tokens: Token[], s: Settings): C[] {
  if (!speech.length || !tokens.length) return cues;
  // Sorted once, searched by halves: a transcript of hours has tens of thousands of words.
  const stretches = [...speech].sort((a, b) => a.startMs - b.startMs);
  const stretchStarts = stretches.map((sp) => sp.startMs);
  const words = [...tokens].sort((a, b) => a.startMs - b.startMs);
  const starts = words.map((t) => t.startMs);
  const latestEnd: number[] = [];
  words.forEach((t, i) => latestEnd.push(Math.max(t.endMs, latestEnd[i - 1] ?? 0)));
  return cues.map((cue) => {
    const found = firstAtOrAfter(stretchStarts, cue.startMs) - 1;
    const stretch = stretches[found];
    if (!stretch || stretch.startMs >= cue.startMs || cue.startMs >= stretch.endMs) return cue;
    // A word in this stretch before the cue's first: the recognizer heard the onset, nothing to mend.
    const before = firstAtOrAfter(starts, cue.startMs);
    if (before > 0 && starts[before - 1] >= stretch.startMs) return cue;
    const startMs = Math.max(stretch.startMs, latestEnd[before - 1] ?? 0, cue.endMs - s.maxCueMs);
    return startMs < cue.startMs ? { ...cue, startMs } : cue;
  });
}

/** The index of the first value ≥ `at` in ascending `values` (their length when there is none). */
function firstAtOrAfter(values: readonly number[], at: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One speaker's words in a row, with the running sum of their widths (so any span's width is a subtraction). */
interface Turn {
  tokens: Token[];
  before: number[];
}
/** A cue as a span of a turn's words, `split` where its second line starts. */
type Span = { from: number; to: number; split?: number };
type Placed = Span & { turn: Turn; roomForLabel: boolean };

/** The top line's width when toSrt puts "Label: " in front of it (a long label may take at most half the line). */
const topWidth = (label: string | undefined, s: Settings): number =>
  label ? Math.max(s.maxLineChars - graphemes(label) - 2, Math.ceil(s.maxLineChars / 2)) : s.maxLineChars;

/** Characters of words `from`..`to` with a space between each two. */
const widthOf = (turn: Turn, from: number, to: number): number => turn.before[to] - turn.before[from] + (to - from - 1);

/**
 * Which stretch of speech a word from `startMs` to `endMs` is in, by its middle; -1 for every word when
 * there are no stretches. Stretches that overlap or touch are one (segments of two speakers talking at
 * once can overlap): only a silence separates. A word in a silence (the recognizer's times and the
 * detector's edges differ by tens of ms) belongs to the nearer stretch.
 */
function stretchIndex(speech: ReadonlyArray<{ startMs: number; endMs: number }>): (startMs: number, endMs: number) => number {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const sp of [...speech].sort((a, b) => a.startMs - b.startMs)) {
    if (!ends.length || sp.startMs > ends[ends.length - 1]) {
      starts.push(sp.startMs);
      ends.push(sp.endMs);
    } else ends[ends.length - 1] = Math.max(ends[ends.length - 1], sp.endMs);
  }
  return (startMs, endMs) => {
    if (!starts.length) return -1;
    const mid = (startMs + endMs) / 2;
    const i = firstAtOrAfter(starts, mid + 1) - 1;
    if (i < 0) return 0;
    return i + 1 < starts.length && mid > ends[i] && starts[i + 1] - mid < mid - ends[i] ? i + 1 : i;
  };
}

function tokensOf(transcript: TranscriptDocument): Token[] {
  const labels = new Map(transcript.speakers.map((sp) => [sp.id, oneLine(sp.label)]));
  const stretchOf = stretchIndex(transcript.speech);
  const tokens: Token[] = [];
  for (const segment of [...transcript.segments].sort((a, b) => a.startMs - b.startMs)) {
    const words = segment.words?.length ? [...segment.words].sort((a, b) => a.startMs - b.startMs) : spread(segment);
    for (const word of words) {
      const text = oneLine(word.text);
      if (!text) continue;
      const id = word.speaker ?? segment.speaker;
      const label = labels.size > 0 ? labels.get(id) || oneLine(id) || undefined : undefined;
      const voice = label ?? id;
      const previous = tokens.at(-1);
      // Engines that give punctuation as its own item (Transcribe does) mean it to end the word before.
      if (previous && previous.voice === voice && PUNCTUATION_ONLY.test(text)) {
        previous.text += text;
        previous.chars += graphemes(text);
        continue;
      }
      const endMs = Math.max(word.startMs, word.endMs);
      tokens.push({ text, chars: graphemes(text), startMs: word.startMs, endMs, voice, label, stretch: stretchOf(word.startMs, endMs) });
    }
  }
  return tokens;
}

/** A segment with text but no word timings: each word gets a share of the segment's time by its length. */
function spread(segment: TranscriptDocument["segments"][number]): Array<{ text: string; startMs: number; endMs: number; speaker?: string }> {
  const words = oneLine(segment.text).split(" ").filter(Boolean);
  const total = words.reduce((n, w) => n + graphemes(w), 0);
  const span = Math.max(0, segment.endMs - segment.startMs);
  let done = 0;
  return words.map((text) => {
    const startMs = segment.startMs + Math.round((span * done) / total);
    done += graphemes(text);
    return { text, startMs, endMs: segment.startMs + Math.round((span * done) / total) };
  });
}

/**
 * Runs of words by one voice, in the order the segments start: a change of speaker always starts a
 * new cue. Words are not interleaved by time across speakers, so crosstalk reads as whole phrases
 * rather than alternating single words.
 */
function turnsOf(tokens: Token[], english: boolean): Turn[] {
  const runs: Token[][] = [];
  for (const token of tokens) {
    const run = runs.at(-1);
    if (run && run[0].voice === token.voice) run.push(token);
    else runs.push([token]);
  }
  return runs.map((run) => {
    const sorted = run.sort((a, b) => a.startMs - b.startMs);
    const before = [0];
    for (const t of sorted) {
      before.push(before.at(-1)! + t.chars);
      t.stop = SENTENCE_END.test(t.text) ? "sentence" : CLAUSE_END.test(t.text) ? "clause" : undefined;
      t.leads = english && LEADING_WORDS.has(t.text.toLowerCase().replace(/[^\p{L}']/gu, ""));
    }
    return { tokens: sorted, before };
  });
}

/**
 * The cheapest way to cut one speaker's turn into cues (dynamic programming over word boundaries).
 * Only cues that fit are considered: ≤ maxCueMs (a single word may run longer: words are never cut),
 * no long pause inside, two lines that fit the width (a word wider than a line gets a line to itself),
 * and all in one stretch of speech. The last is what keeps a cue from showing the next sentence early:
 * two sentences with a short pause between them fit one cue, and whether they did depended on how long
 * the recognizer's words happened to be (a cue began 2.9 s before the second sentence was said); the
 * detector's silence between them is the break a listener hears, whatever the words.
 */
function splitTurn(turn: Turn, firstWidth: number, s: Settings): Span[] {
  const { tokens } = turn;
  const n = tokens.length;
  const best = [0, ...new Array<number>(n).fill(Number.POSITIVE_INFINITY)];
  const choice: Array<{ from: number; split?: number }> = [];
  for (let to = 1; to <= n; to++) {
    let lastEnd = 0;
    for (let from = to - 1; from >= 0; from--) {
      lastEnd = Math.max(lastEnd, tokens[from].endMs);
      if (from < to - 1 && (tokens[from + 1].startMs - tokens[from].endMs >= s.longPauseMs || tokens[from + 1].stretch !== tokens[from].stretch || lastEnd - tokens[from].startMs > s.maxCueMs)) break;
      const layout = layoutOf(turn, from, to, from === 0 ? firstWidth : s.maxLineChars, s);
      // Adding a word in front never makes a cue that did not fit fit: stop looking further back.
      if (!layout) break;
      const fill = Math.max(0, 1 - widthOf(turn, from, to) / s.maxLineChars);
      const cost = best[from] + CUE_COST + layout.cost + 8 * fill * fill + (to === n ? 0 : cueBreakCost(tokens, to, s));
      if (cost < best[to]) {
        best[to] = cost;
        choice[to] = { from, split: layout.split };
      }
    }
  }
  const cues: Span[] = [];
  for (let to = n; to > 0; to = choice[to].from) cues.unshift({ to, ...choice[to] });
  return cues;
}

/** One line when the words fit on it (guidelines keep short text on one line), else the best two-line break; undefined when they do not fit. */
function layoutOf(turn: Turn, from: number, to: number, top: number, s: Settings): { cost: number; split?: number } | undefined {
  if (to - from === 1 || widthOf(turn, from, to) <= top) return { cost: 0 };
  let found: { cost: number; split: number } | undefined;
  for (let k = from + 1; k < to; k++) {
    const upper = widthOf(turn, from, k);
    const lower = widthOf(turn, k, to);
    if ((upper > top && k - from > 1) || (lower > s.maxLineChars && to - k > 1)) continue;
    const cost = balanceCost(upper, lower, s.maxLineChars) + lineBreakCost(turn.tokens, k, s);
    if (!found || cost < found.cost) found = { cost, split: k };
  }
  return found;
}

/** Lines of about equal length read best; a bottom line longer than the top (a pyramid) is preferred to a stub under a long line. */
function balanceCost(top: number, bottom: number, width: number): number {
  const diff = (top - bottom) / width;
  const stub = Math.min(top, bottom) * 3 < Math.max(top, bottom) ? (bottom < top ? 6 : 3) : 0;
  return (diff > 0 ? 12 : 6) * diff * diff + stub;
}

/** How badly ending a cue before word `at` cuts the speech: free at a sentence end or a clear pause. */
function cueBreakCost(turn: Token[], at: number, s: Settings): number {
  const word = turn[at - 1];
  const gap = turn[at].startMs - word.endMs;
  const punctuation = word.stop === "sentence" ? 0 : word.stop === "clause" ? 8 : 25;
  const pause = gap >= 2 * s.pauseMs ? 0 : gap >= s.pauseMs ? 4 : Number.POSITIVE_INFINITY;
  return Math.min(punctuation, pause) + (punctuation > 0 && word.leads ? 10 : 0);
}

/** The same judgement for the break between a cue's two lines, weighted below the cue's own balance. */
function lineBreakCost(turn: Token[], at: number, s: Settings): number {
  const word = turn[at - 1];
  const punctuation = word.stop === "sentence" ? 0 : word.stop === "clause" ? 1 : 4;
  const pause = turn[at].startMs - word.endMs >= s.pauseMs ? 1 : 4;
  return Math.min(punctuation, pause) + (punctuation > 0 && word.leads ? 8 : 0);
}

/**
 * Final times: cues in order and never overlapping (overlapping speech is cut at the next cue's
 * start), each stretched into the silence after it to its minimum duration and reading time, never
 * into the next cue, never past maxCueMs by stretching, never past the media's end.
 */
function timed(cues: Array<CaptionCue & { chars: number }>, s: Settings): CaptionCue[] {
  const starts: number[] = [];
  for (const cue of cues) starts.push(Math.max(cue.startMs, (starts.at(-1) ?? -1) + 1));
  return cues.map(({ chars, ...cue }, i) => {
    const startMs = starts[i];
    const next = starts[i + 1] ?? Number.POSITIVE_INFINITY;
    const wanted = Math.min(s.maxCueMs, Math.max(s.minCueMs, Math.ceil((chars * 1000) / s.maxCharsPerSecond)));
    const stretched = Math.min(startMs + wanted, next, s.mediaDurationMs ?? Number.POSITIVE_INFINITY);
    return { ...cue, startMs, endMs: Math.max(Math.min(Math.max(cue.endMs, stretched), next), startMs + 1) };
  });
}

/** `HH:MM:SS.mmm` (WebVTT) or `HH:MM:SS,mmm` (SubRip). */
function clock(ms: number, separator: "." | ","): string {
  const pad = (v: number, size = 2) => String(v).padStart(size, "0");
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** Both formats need cues in order, apart and with one or two non-empty lines: anything else makes an invalid file. */
function checked(cues: readonly CaptionCue[]): CaptionCue[] {
  const parsed = CaptionCue.array().safeParse(cues);
  if (!parsed.success) throw new CaptionsError(`invalid caption cues: ${parsed.error.message}`, { cause: parsed.error });
  parsed.data.forEach((cue, i) => {
    if (cue.endMs <= cue.startMs) throw new CaptionsError(`caption cue ${i + 1} ends (${cue.endMs} ms) before it starts (${cue.startMs} ms)`);
    const previous = parsed.data[i - 1];
    if (previous && cue.startMs < previous.endMs) throw new CaptionsError(`caption cue ${i + 1} starts (${cue.startMs} ms) before cue ${i} ends (${previous.endMs} ms)`);
    if (cue.lines.some((line) => !oneLine(line))) throw new CaptionsError(`caption cue ${i + 1} has an empty line`);
  });
  return parsed.data;
}

// WebVTT escapes: & and < would start a character reference or a tag, > ends a tag (and "-->" may not appear in cue text).
const escapeVtt = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
// A voice tag's annotation ends at the first > and may hold no raw &: both as character references.
const escapeAnnotation = (text: string): string => text.replace(/&/g, "&amp;").replace(/>/g, "&gt;");

/**
 * A WebVTT file (https://www.w3.org/TR/webvtt1/): the speaker as a voice tag (`<v Speaker 1>`), which
 * players and screen readers can use; identifiers are the cue's 1-based number, as the SRT has.
 * @example toWebVtt([{ startMs: 0, endMs: 1500, speaker: "Speaker 1", lines: ["Hello."] }])
 * // "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\n<v Speaker 1>Hello.\n"
 */
export function toWebVtt(cues: readonly CaptionCue[], options: { identifiers?: boolean } = {}): string {
  const { identifiers = true } = options;
  const blocks = checked(cues).map((cue, i) => {
    const voice = cue.speaker && oneLine(cue.speaker) ? `<v ${escapeAnnotation(oneLine(cue.speaker))}>` : "";
    const text = cue.lines.map((line) => escapeVtt(oneLine(line))).join("\n");
    return `${identifiers ? `${i + 1}\n` : ""}${clock(cue.startMs, ".")} --> ${clock(cue.endMs, ".")}\n${voice}${text}`;
  });
  return `${["WEBVTT", ...blocks].join("\n\n")}\n`;
}

/**
 * A SubRip file. SRT has no voice tags, so a `Speaker 1: ` prefix names the speaker on the first line
 * of each cue where the speaker changes. Lines end in CRLF, as SubRip wrote them: every parser accepts
 * CRLF, while some hardware players and older tools misread a file with bare LF.
 * @example toSrt([{ startMs: 0, endMs: 1500, speaker: "Speaker 1", lines: ["Hello."] }])
 * // "1\r\n00:00:00,000 --> 00:00:01,500\r\nSpeaker 1: Hello.\r\n"
 */
export function toSrt(cues: readonly CaptionCue[]): string {
  const valid = checked(cues);
  return valid
    .map((cue, i) => {
      const speaker = cue.speaker ? oneLine(cue.speaker) : "";
      const prefix = speaker && speaker !== oneLine(valid[i - 1]?.speaker ?? "") ? `${speaker}: ` : "";
      const lines = cue.lines.map((line, l) => (l === 0 ? prefix : "") + oneLine(line));
      return [String(i + 1), `${clock(cue.startMs, ",")} --> ${clock(cue.endMs, ",")}`, ...lines, ""].join("\r\n");
    })
    .join("\r\n");
}
