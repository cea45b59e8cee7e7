import {
  TranscribeSpeakerLabels,
  TranscriptDocument,
  type EngineInfo,
  type TimeRange,
  type TranscriptSegment,
  type TranscriptWord,
} from "@media-pipeline/core";
import { z } from "zod";
import { TranscriptUnreadableError } from "./errors.js";

/*
 * Transcribe's batch output JSON → the pipeline's TranscriptDocument, the same shape the local engines
 * produce. Times in the output are strings of seconds and confidences strings of 0–1.
 * https://docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html
 */

const Alternative = z.object({ content: z.string(), confidence: z.union([z.string(), z.number()]).optional() });

/** One entry of `results.items`: a word (`pronunciation`, timed) or a `punctuation` mark (untimed). */
const TranscribeItem = z.object({
  id: z.number().int().optional(),
  type: z.string(),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
  /** On each item in current output; older output has it only under `speaker_labels`. */
  speaker_label: z.string().optional(),
  alternatives: z.array(Alternative).min(1),
});

/** The parts of Transcribe's output this adapter reads; unknown fields are stripped. */
export const TranscribeOutput = z.object({
  jobName: z.string().optional(),
  accountId: z.string().optional(),
  status: z.string().optional(),
  results: z.object({
    transcripts: z.array(z.object({ transcript: z.string() })).optional(),
    items: z.array(TranscribeItem),
    speaker_labels: TranscribeSpeakerLabels.optional(),
    audio_segments: z
      .array(z.object({ id: z.number(), transcript: z.string(), start_time: z.string(), end_time: z.string(), speaker_label: z.string().optional(), items: z.array(z.number()) }))
      .optional(),
    language_code: z.string().optional(),
  }),
});
export type TranscribeOutput = z.infer<typeof TranscribeOutput>;

export interface ParseTranscriptOptions {
  /** The job's language (`GetTranscriptionJob` reports the identified one); else the output's `language_code`. */
  language?: string;
  /** Engine version to report; default `batch`. */
  engineVersion?: string;
  /** Default: the output's `jobName`. */
  jobName?: string;
  /** `MaxSpeakerLabels` the job ran with, for the engine settings. */
  maxSpeakers?: number;
  /** The bound the pipeline asked for before clamping to Transcribe's 2–30; more speakers found is noted. */
  requestedMaxSpeakers?: number;
}

export const TRANSCRIBE_ENGINE_NAME = "amazon-transcribe";

interface Turn extends TimeRange { label: string }
interface Word extends TranscriptWord { raw?: string; turn: number }

/**
 * Builds the transcript document: words from the `pronunciation` items (punctuation joined to the word
 * before it, confidence on Rekognition's 0–100 scale), a segment per speaker turn (a new one where the
 * speaker changes or Transcribe's `speaker_labels` starts a new segment), speakers renamed `spk_0…` in
 * order of first appearance with Transcribe's own label kept as `label`, speech ranges from the
 * `speaker_labels` segments, and `speaker_labels` itself passed through in Transcribe's shape (with
 * Transcribe's labels). Throws `TranscriptUnreadableError` for output that is not Transcribe's.
 * @example const doc = parseTranscript(JSON.parse(text), { language: "en-US", maxSpeakers: 4 })
 */
export function parseTranscript(json: unknown, options: ParseTranscriptOptions = {}): TranscriptDocument {
  const parsed = TranscribeOutput.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new TranscriptUnreadableError(`Not a Transcribe transcript: ${issues.join("; ")}`, { cause: parsed.error });
  }
  const { results } = parsed.data;
  const notes: string[] = [];
  const turns = turnsOf(results.speaker_labels);
  const words = wordsOf(results.items, results.speaker_labels, turns, notes);
  const ids = new Map<string, string>();
  for (const w of words) if (w.raw !== undefined && !ids.has(w.raw)) ids.set(w.raw, `spk_${ids.size}`);

  const segments: TranscriptSegment[] = [];
  let lastTurn = -1;
  for (const { raw, turn, ...word } of words) {
    const speaker = ids.get(raw!)!;
    const current = segments[segments.length - 1];
    const sameTurn = turn === -1 || turn === lastTurn;
    if (turn !== -1) lastTurn = turn;
    if (current && current.speaker === speaker && sameTurn) {
      current.words!.push({ ...word, speaker });
      current.endMs = Math.max(current.endMs, word.endMs);
    } else {
      segments.push({ speaker, startMs: word.startMs, endMs: word.endMs, text: "", words: [{ ...word, speaker }] });
    }
  }
  for (const s of segments) s.text = s.words!.map((w) => w.text).join(" ");

  const labelOf = new Map([...ids].map(([raw, id]) => [id, raw]));
  const speech = new Map<string, number>();
  for (const s of segments) speech.set(s.speaker, (speech.get(s.speaker) ?? 0) + (s.endMs - s.startMs));
  const speakers = [...speech].map(([id, speechMs]) => ({ id, label: labelOf.get(id)!, speechMs }));

  if (!results.speaker_labels) {
    notes.push("Transcribe's output has no speaker_labels (was ShowSpeakerLabels off?); speaker turns come from the words' own labels.");
  }
  if (words.length === 0) notes.push("Transcribe recognised no speech in this audio.");
  if (options.requestedMaxSpeakers !== undefined && speakers.length > options.requestedMaxSpeakers) {
    notes.push(
      `Asked for at most ${options.requestedMaxSpeakers} speaker(s), but Transcribe's MaxSpeakerLabels is at least 2 and it told ` +
        `${speakers.length} apart; they are kept as Transcribe found them.`,
    );
  }

  const language = options.language || results.language_code || "und";
  if (language === "und") notes.push("Transcribe reported no language code for this job.");
  const jobName = options.jobName ?? parsed.data.jobName;
  const engine: EngineInfo = {
    name: TRANSCRIBE_ENGINE_NAME,
    version: options.engineVersion ?? "batch",
    settings: {
      ...(jobName ? { jobName } : {}),
      ...(options.maxSpeakers !== undefined ? { maxSpeakers: options.maxSpeakers } : {}),
      languageCode: language,
    },
  };
  const document: TranscriptDocument = {
    language,
    hasWords: true,
    notes,
    speakers,
    segments,
    speech: mergeRanges(turns.length ? turns : segments),
    speakerLabels: results.speaker_labels ?? synthesizedLabels(segments, labelOf),
    engine,
    engines: [engine],
  };
  const valid = TranscriptDocument.safeParse(document);
  if (!valid.success) {
    throw new TranscriptUnreadableError(`Transcribe output did not make a valid transcript: ${valid.error.message.slice(0, 500)}`, {
      cause: valid.error,
    });
  }
  return valid.data;
}

/** Seconds as Transcribe writes them ("4.87") → whole milliseconds. */
export function secondsToMs(value: string | undefined, where: string): number {
  const seconds = value === undefined ? NaN : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new TranscriptUnreadableError(`${where}: "${value}" is not a time in seconds`);
  return Math.round(seconds * 1000);
}

function turnsOf(labels: TranscribeSpeakerLabels | undefined): Turn[] {
  return (labels?.segments ?? [])
    .map((s, i) => ({
      label: s.speaker_label,
      startMs: secondsToMs(s.start_time, `speaker_labels.segments[${i}].start_time`),
      endMs: secondsToMs(s.end_time, `speaker_labels.segments[${i}].end_time`),
    }))
    .sort((a, b) => a.startMs - b.startMs);
}

function wordsOf(items: TranscribeOutput["results"]["items"], labels: TranscribeSpeakerLabels | undefined, turns: Turn[], notes: string[]): Word[] {
  // Older output labels words only under speaker_labels: look them up by their (identical) times.
  const byTimes = new Map<string, string>();
  for (const s of labels?.segments ?? []) for (const i of s.items) byTimes.set(`${i.start_time}|${i.end_time}`, i.speaker_label);
  const words: Word[] = [];
  let unlabelled = 0;
  items.forEach((item, n) => {
    const alt = item.alternatives[0]!;
    if (item.type === "punctuation") {
      const previous = words[words.length - 1];
      if (previous) previous.text += alt.content;
      return;
    }
    if (item.type !== "pronunciation") return;
    const startMs = secondsToMs(item.start_time, `results.items[${n}].start_time`);
    const endMs = Math.max(startMs, secondsToMs(item.end_time, `results.items[${n}].end_time`));
    const turn = turnAt(turns, (startMs + endMs) / 2);
    let raw = item.speaker_label ?? byTimes.get(`${item.start_time}|${item.end_time}`) ?? turns[turn]?.label;
    if (raw === undefined) {
      unlabelled++;
      raw = words[words.length - 1]?.raw ?? "spk_0";
    }
    words.push({ text: alt.content, startMs, endMs, confidence: confidence(alt.confidence), raw, turn });
  });
  if (unlabelled) notes.push(`${unlabelled} word(s) had no speaker label in Transcribe's output and were given the speaker before them.`);
  return words;
}

/** The speaker_labels segment a time falls in (binary search over start times), or -1. */
function turnAt(turns: Turn[], ms: number): number {
  let lo = 0;
  let hi = turns.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (turns[mid]!.startMs <= ms) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && ms <= turns[found]!.endMs ? found : -1;
}

/** "0.902" → 90.2 (Rekognition's 0–100 scale), clamped; a missing confidence counts as 0. */
function confidence(value: string | number | undefined): number {
  const c = Number(value ?? 0);
  return Number.isFinite(c) ? Math.min(100, Math.max(0, Math.round(c * 10_000) / 100)) : 0;
}

/** Sorted ranges, overlapping or touching ones merged. */
function mergeRanges(ranges: TimeRange[]): TimeRange[] {
  const merged: TimeRange[] = [];
  for (const r of [...ranges].sort((a, b) => a.startMs - b.startMs)) {
    const last = merged[merged.length - 1];
    if (last && r.startMs <= last.endMs) last.endMs = Math.max(last.endMs, r.endMs);
    else merged.push({ startMs: r.startMs, endMs: r.endMs });
  }
  return merged;
}

/** Transcribe's shape rebuilt from the segments, for output that lacks it (speakerLabels is required). */
function synthesizedLabels(segments: TranscriptSegment[], labelOf: Map<string, string>): TranscribeSpeakerLabels {
  const s = (ms: number) => (ms / 1000).toFixed(3);
  return {
    speakers: new Set(segments.map((x) => x.speaker)).size,
    segments: segments.map((x) => {
      const label = labelOf.get(x.speaker)!;
      return {
        speaker_label: label,
        start_time: s(x.startMs),
        end_time: s(x.endMs),
        items: (x.words ?? []).map((w) => ({ speaker_label: label, start_time: s(w.startMs), end_time: s(w.endMs) })),
      };
    }),
  };
}
