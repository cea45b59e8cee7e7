import type { Report } from "@media-pipeline/core";

/**
 * Speaker colours: distinct from each other and from the moderation amber/red, so a speaker lane is
 * never read as a moderation band. Past eight speakers the palette repeats (the label still differs).
 */
export const SPEAKER_COLORS = [
  "#4f46e5",
  "#0d9488",
  "#db2777",
  "#0284c7",
  "#7c3aed",
  "#65a30d",
  "#0891b2",
  "#9333ea",
] as const;

export interface SpeakerView {
  id: string;
  label: string;
  color: string;
  speechMs: number;
  segments: number;
}

/** What every section needs besides the report itself, computed once. */
export interface View {
  report: Report;
  /** Length of the timeline; never 0 so positions stay finite. */
  totalMs: number;
  hasVideo: boolean;
  hasAudio: boolean;
  speakers: Map<string, SpeakerView>;
  /** A data: URI for a keyframe, or undefined when it cannot be embedded. */
  image(path: string): string | undefined;
  /** The page has a player: every time shown becomes a control that plays from there. */
  seekable: boolean;
}

export function buildView(report: Report, embedImage: (path: string) => string | undefined, seekable = false): View {
  const hasVideo = report.media.kind === "video";
  const hasAudio = report.media.kind === "audio" || report.media.streams.some((s) => s.type === "audio");

  const ends = [
    report.media.durationMs,
    ...report.shots.map((s) => s.endMs),
    ...report.transcript.segments.map((s) => s.endMs),
    ...report.scenes.map((s) => s.endMs),
    ...report.moderation.labels.map((s) => s.endMs),
  ];
  const totalMs = Math.max(1, report.media.durationMs || Math.max(0, ...ends));

  const speakers = new Map<string, SpeakerView>();
  const add = (id: string, label?: string, speechMs?: number): SpeakerView => {
    let s = speakers.get(id);
    if (!s) {
      s = {
        id,
        label: label ?? id,
        color: SPEAKER_COLORS[speakers.size % SPEAKER_COLORS.length],
        speechMs: speechMs ?? 0,
        segments: 0,
      };
      speakers.set(id, s);
    }
    return s;
  };
  for (const s of report.transcript.speakers) add(s.id, s.label, s.speechMs);
  // Segments may name a speaker the speaker list lacks (diarization off, or a partial result): give
  // it a colour and derive its speech time rather than drop it.
  const listed = new Set(report.transcript.speakers.map((s) => s.id));
  for (const seg of report.transcript.segments) {
    const s = add(seg.speaker);
    s.segments += 1;
    if (!listed.has(seg.speaker)) s.speechMs += Math.max(0, seg.endMs - seg.startMs);
  }

  const image = (path: string): string | undefined => {
    const uri = embedImage(path);
    // Only data: URIs: the page promises no requests, and its content security policy blocks the rest.
    return typeof uri === "string" && /^data:image\//i.test(uri) ? uri : undefined;
  };

  return { report, totalMs, hasVideo, hasAudio, speakers, image, seekable };
}

/** The label a speaker id is shown with, falling back to the id itself. */
export function speakerLabel(view: View, id: string): string {
  return view.speakers.get(id)?.label ?? id;
}
