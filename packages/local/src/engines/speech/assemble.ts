import type { TimeRange, TranscribeSpeakerLabels, TranscriptSegment, TranscriptWord } from "@media-pipeline/core";
import type { SpeakerTurn } from "./diarize.js";

/**
 * Words onto speaker turns: each word goes to the turn it overlaps most, else the nearest one (the
 * recognizer and the VAD disagree a little about where speech starts and ends). A turn grows to
 * cover its words. With words but no turns, one `spk_0` turn covers them all.
 */
export function assignWords(turns: SpeakerTurn[], words: TranscriptWord[] | undefined): TranscriptSegment[] {
  const base = turns.length === 0 && words?.length ? [{ speaker: "spk_0", startMs: words[0].startMs, endMs: words[words.length - 1].endMs }] : turns;
  const segments: TranscriptSegment[] = base.map((t) => ({ ...t, text: "", ...(words ? { words: [] as TranscriptWord[] } : {}) }));
  for (const word of words ?? []) {
    const index = closest(base, word);
    const segment = segments[index];
    segment.words!.push({ ...word, speaker: segment.speaker });
    segment.startMs = Math.min(segment.startMs, word.startMs);
    segment.endMs = Math.max(segment.endMs, word.endMs);
  }
  for (const segment of segments) segment.text = segment.words?.map((w) => w.text).join(" ") ?? "";
  return segments;
}

function closest(turns: TimeRange[], word: TimeRange): number {
  let best = 0;
  let bestScore = -Infinity;
  turns.forEach((t, i) => {
    const overlap = Math.min(t.endMs, word.endMs) - Math.max(t.startMs, word.startMs);
    // Positive overlap wins; otherwise the (negative) gap, so the nearest turn wins.
    if (overlap > bestScore) {
      bestScore = overlap;
      best = i;
    }
  });
  return best;
}

/** Speakers in order of first appearance with their total speech. */
export function speakersOf(segments: TranscriptSegment[]): Array<{ id: string; label: string; speechMs: number }> {
  const speech = new Map<string, number>();
  for (const s of segments) speech.set(s.speaker, (speech.get(s.speaker) ?? 0) + (s.endMs - s.startMs));
  return [...speech].map(([id, speechMs], i) => ({ id, label: `Speaker ${i + 1}`, speechMs }));
}

/** Transcribe writes times as strings of seconds. */
export const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * Transcribe's `results.speaker_labels`: one segment per turn, its items the words spoken in it.
 * @example { speakers: 2, segments: [{ speaker_label: "spk_0", start_time: "0.486", end_time: "3.380", items: [] }] }
 */
export function speakerLabels(segments: TranscriptSegment[]): TranscribeSpeakerLabels {
  return {
    speakers: new Set(segments.map((s) => s.speaker)).size,
    segments: segments.map((s) => ({
      speaker_label: s.speaker,
      start_time: seconds(s.startMs),
      end_time: seconds(s.endMs),
      items: (s.words ?? []).map((w) => ({ speaker_label: s.speaker, start_time: seconds(w.startMs), end_time: seconds(w.endMs) })),
    })),
  };
}
