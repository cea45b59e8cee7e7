import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { LabelsDocument, ModerationSegment } from "@media-pipeline/core";
import { PHOTOS, photoDir, type PhotoName } from "./fixtures.js";

/**
 * What frames mode (image APIs on sampled frames) loses against the video-job shape, as pure
 * measures over the documents core builds, plus the one eval video the other fixtures lack: a long
 * shot whose content changes without a cut, where only the sampling interval decides what is seen.
 */

const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";

/** The photographs side by side, left to right, as the pan passes them. */
export const PAN_PHOTOS: PhotoName[] = ["astronaut", "coffee", "chelsea", "motorcycle_left", "rocket"];
export const PAN_SECONDS = 12;

/**
 * One continuous 12 s shot panning at constant speed across the five photographs placed side by
 * side at 360 px high (about 2,500 px in all): ~156 px a second, so each photograph is in view for
 * about 7 s and wholly in view for less. No cut: the scene score of a smooth pan stays low.
 */
export async function makePanVideo(dir: string, name = "pan.mp4"): Promise<{ path: string; durationMs: number }> {
  const photos = photoDir();
  const inputs = PAN_PHOTOS.flatMap((p) => ["-loop", "1", "-t", String(PAN_SECONDS), "-i", join(photos, PHOTOS[p].file)]);
  const scaled = PAN_PHOTOS.map((_, i) => `[${i}:v]scale=-2:360,setsar=1,format=yuv420p[p${i}]`);
  const graph = [
    ...scaled,
    `${PAN_PHOTOS.map((_, i) => `[p${i}]`).join("")}hstack=inputs=${PAN_PHOTOS.length}[strip]`,
    `[strip]fps=25,crop=640:360:x='(iw-640)*t/${PAN_SECONDS}':y=0,format=yuv420p[v]`,
  ].join(";");
  const path = join(dir, name);
  await run(FFMPEG, [
    "-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...inputs, "-filter_complex", graph, "-map", "[v]",
    "-t", String(PAN_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", path,
  ], { maxBuffer: 16 << 20 });
  return { path, durationMs: PAN_SECONDS * 1000 };
}

export interface Recall {
  hits: number;
  total: number;
  /** hits / total; 1 when there was nothing to find. */
  recall: number;
}

/** How much of `reference` `found` has. */
export function recallOf(reference: ReadonlySet<string>, found: ReadonlySet<string>): Recall {
  let hits = 0;
  for (const r of reference) if (found.has(r)) hits += 1;
  return { hits, total: reference.size, recall: reference.size === 0 ? 1 : hits / reference.size };
}

/** Several media's recalls as one: hits and totals summed. */
export function pooledRecall(parts: readonly Recall[]): Recall {
  const hits = parts.reduce((a, p) => a + p.hits, 0);
  const total = parts.reduce((a, p) => a + p.total, 0);
  return { hits, total, recall: total === 0 ? 1 : hits / total };
}

/** Every (name, time bucket) a span list covers: a span [start, end) covers each bucket it overlaps. */
export function bucketPairs(spans: ReadonlyArray<{ name: string; startMs: number; endMs: number }>, bucketMs: number): Set<string> {
  const out = new Set<string>();
  for (const s of spans) {
    const last = Math.max(s.startMs, s.endMs - 1);
    for (let b = Math.floor(s.startMs / bucketMs); b <= Math.floor(last / bucketMs); b += 1) out.add(`${s.name}@${b}`);
  }
  return out;
}

/** A labels document's time ranges (what consumers read) as spans. */
export function labelSpans(doc: LabelsDocument) {
  return doc.labels.flatMap((l) => l.occurrences.map((o) => ({ name: l.name, startMs: o.startMs, endMs: o.endMs })));
}

/** Moderation segments as spans, named `parent/name` (one category at each level). */
export function moderationSpans(segments: readonly ModerationSegment[]) {
  return segments.map((s) => ({ name: `${s.parent}/${s.name}`, startMs: s.startMs, endMs: s.endMs }));
}

export const distinct = (spans: ReadonlyArray<{ name: string }>) => new Set(spans.map((s) => s.name));
