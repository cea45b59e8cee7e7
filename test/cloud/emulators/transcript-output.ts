import type { TranscriptDocument } from "@media-pipeline/core";

/*
 * The local transcriber's document in Amazon Transcribe's batch output shape: `results.transcripts`,
 * `results.items` (pronunciation items with times as strings of seconds and confidences as strings of
 * 0–1, punctuation items untimed), `results.speaker_labels` and `results.audio_segments`, with the
 * speaker fields only when the job asked for speaker labels.
 * https://docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html
 */

interface Item {
  id: number;
  type: "pronunciation" | "punctuation";
  start_time?: string;
  end_time?: string;
  speaker_label?: string;
  alternatives: Array<{ content: string; confidence: string }>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A word's trailing punctuation as Transcribe items it: a separate, untimed punctuation item. */
function splitPunctuation(text: string): { word: string; marks: string[] } {
  const m = /^(.*?[^.,!?;:])([.,!?;:]+)$/.exec(text);
  return m ? { word: m[1]!, marks: [...m[2]!] } : { word: text, marks: [] };
}

export interface TranscribeOutputOptions {
  jobName: string;
  accountId: string;
  /** `Settings.ShowSpeakerLabels`: without it Transcribe writes no speaker fields at all. */
  speakerLabels: boolean;
}

export function toTranscribeOutput(doc: TranscriptDocument, options: TranscribeOutputOptions) {
  const items: Item[] = [];
  const audioSegments: Array<{ id: number; transcript: string; start_time: string; end_time: string; speaker_label?: string; items: number[] }> = [];
  const speakerSegments: Array<{ speaker_label: string; start_time: string; end_time: string; items: Array<{ speaker_label: string; start_time: string; end_time: string }> }> = [];
  const speaker = (label: string) => (options.speakerLabels ? { speaker_label: label } : {});

  for (const segment of doc.segments) {
    const ids: number[] = [];
    const texts: string[] = [];
    const labelled: Array<{ speaker_label: string; start_time: string; end_time: string }> = [];
    for (const word of segment.words ?? []) {
      const { word: content, marks } = splitPunctuation(word.text.trim());
      if (!content) continue;
      const start = seconds(word.startMs);
      const end = seconds(Math.max(word.startMs, word.endMs));
      ids.push(items.length);
      items.push({
        id: items.length, type: "pronunciation", start_time: start, end_time: end, ...speaker(segment.speaker),
        alternatives: [{ content, confidence: (word.confidence / 100).toFixed(4) }],
      });
      labelled.push({ speaker_label: segment.speaker, start_time: start, end_time: end });
      texts.push(content + marks.join(""));
      for (const mark of marks) {
        ids.push(items.length);
        items.push({ id: items.length, type: "punctuation", ...speaker(segment.speaker), alternatives: [{ content: mark, confidence: "0.0" }] });
      }
    }
    if (ids.length === 0) continue;
    audioSegments.push({
      id: audioSegments.length, transcript: texts.join(" "), start_time: seconds(segment.startMs), end_time: seconds(segment.endMs),
      ...speaker(segment.speaker), items: ids,
    });
    speakerSegments.push({ speaker_label: segment.speaker, start_time: seconds(segment.startMs), end_time: seconds(segment.endMs), items: labelled });
  }

  const transcript = audioSegments.map((s) => s.transcript).join(" ");
  return {
    jobName: options.jobName,
    accountId: options.accountId,
    status: "COMPLETED",
    results: {
      transcripts: [{ transcript }],
      ...(options.speakerLabels ? { speaker_labels: { speakers: new Set(speakerSegments.map((s) => s.speaker_label)).size, segments: speakerSegments } } : {}),
      items,
      audio_segments: audioSegments,
    },
  };
}
