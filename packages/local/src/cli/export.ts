import { existsSync, statSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ObjectRef, RejectedReport, Report, type PipelineEvent, type ShotsDocument } from "@media-pipeline/core";
import type { RenderOptions } from "@media-pipeline/web";
import type { LocalRuntime } from "../runtime/runtime.js";

/** A report with what rendering it needs: its keyframes' stored files, by the path the report names them. */
export interface LoadedReport {
  report: Report;
  keyframes: Map<string, string>;
}

/** Reads and validates a stored report and finds its keyframe files (shared by `analyze` and the server). */
export async function loadReport(runtime: LocalRuntime, mediaId: string, reportRef: ObjectRef): Promise<LoadedReport> {
  const report = Report.parse(await runtime.objects.getJson(reportRef));
  // The report names keyframes relative to itself; the shots document knows where they are stored.
  const shotsRec = (await runtime.state.list(mediaId)).find((r) => r.stage === "detect-shots" && r.status === "done");
  const shotsRef = shotsRec?.output?.facts?.ref as ObjectRef | undefined;
  const stored = new Map<string, ObjectRef>();
  if (shotsRef) {
    for (const s of (await runtime.objects.getJson<ShotsDocument>(shotsRef)).shots) stored.set(path.posix.basename(s.keyframe.key), s.keyframe);
  }
  const keyframes = new Map<string, string>();
  for (const shot of report.shots) {
    const ref = stored.get(path.posix.basename(shot.keyframe));
    if (ref) keyframes.set(shot.keyframe, runtime.objects.pathOf(ref));
  }
  return { report, keyframes };
}

export interface CaptionFiles {
  vtt?: ObjectRef;
  srt?: ObjectRef;
}

/** A caption file's name as a report gives it: a plain name, never a path (the report is data). */
const CAPTION_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The caption files of a media item that exist in the object store: where the make-captions stage
 * recorded them, or else beside the final report, under the names the report gives them (shared by
 * `analyze` and the server). `known` spares a lookup when the caller holds the report already.
 */
export async function captionFiles(runtime: LocalRuntime, mediaId: string, known?: { reportRef: ObjectRef; report: Report }): Promise<CaptionFiles> {
  const found: CaptionFiles = {};
  const exists = async (ref: ObjectRef) => (await runtime.objects.size(ref)) !== undefined;
  const record = (await runtime.state.list(mediaId)).find((r) => (r.stage as string) === "make-captions" && r.status === "done");
  for (const kind of ["vtt", "srt"] as const) {
    const ref = ObjectRef.safeParse(record?.output?.facts?.[kind]);
    if (ref.success && (await exists(ref.data))) found[kind] = ref.data;
  }
  if (found.vtt && found.srt) return found;
  let reportRef = known?.reportRef;
  let report = known?.report;
  if (!reportRef) {
    const end = runtime.store.events.latest(mediaId, ["Analysis Completed"]) as PipelineEvent<"Analysis Completed"> | undefined;
    if (!end) return found;
    reportRef = end.detail.report;
    const parsed = Report.safeParse(await runtime.objects.getJson(reportRef).catch(() => undefined));
    report = parsed.success ? parsed.data : undefined;
  }
  const named = report?.captions;
  if (!named) return found;
  const dir = path.posix.dirname(reportRef.key);
  for (const kind of ["vtt", "srt"] as const) {
    if (found[kind] || !CAPTION_NAME.test(named[kind])) continue;
    const ref = { bucket: reportRef.bucket, key: `${dir}/${named[kind]}` };
    if (await exists(ref)) found[kind] = ref;
  }
  return found;
}

/** The self-contained report.html: keyframes embedded as data URLs; a player when `media` is given. */
export async function renderReport({ report, keyframes }: LoadedReport, media?: RenderOptions["media"]): Promise<string> {
  const images = new Map<string, string>();
  for (const [name, file] of keyframes) images.set(name, `data:image/jpeg;base64,${(await readFile(file)).toString("base64")}`);
  const { renderReportHtml } = await import("@media-pipeline/web");
  return renderReportHtml(report, { embedImage: (p) => images.get(p), ...(media ? { media } : {}) });
}

async function writeEvents(runtime: LocalRuntime, mediaId: string, outDir: string): Promise<void> {
  const events = runtime.bus.eventsOf(mediaId);
  await writeFile(path.join(outDir, "events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
}

/**
 * Writes what a script finds for refused media: events.jsonl (ending in `Media Rejected`) and a
 * report.json that says rejected and why, so the output folder is never left empty.
 */
export async function exportRejection(runtime: LocalRuntime, rejected: PipelineEvent<"Media Rejected">, outDir: string): Promise<{ json: string; report: RejectedReport }> {
  await mkdir(outDir, { recursive: true });
  const { mediaId, reason, message, filename } = rejected.detail;
  await writeEvents(runtime, mediaId, outDir);
  const report = RejectedReport.parse({
    mediaId, ...(filename ? { filename } : {}), generatedAt: new Date().toISOString(), status: "rejected", rejection: { reason, message },
  });
  const json = path.join(outDir, "report.json");
  await writeFile(json, JSON.stringify(report, null, 2) + "\n");
  return { json, report };
}

export interface ExportOptions {
  /**
   * The media file the analysis was given (`analyze <file>`), which report.html then plays from where
   * it is. Without it the page plays the copy in the data dir's object store, when it is there.
   */
  source?: string;
}

/** A file URL for a media file that is at hand, or undefined. */
function playable(file: string | undefined): string | undefined {
  if (!file) return undefined;
  const abs = path.resolve(file);
  return existsSync(abs) && statSync(abs).isFile() ? pathToFileURL(abs).href : undefined;
}

/**
 * Writes what a person opens: events.jsonl (every event of the media, in bus order), report.json,
 * the keyframes it refers to, the caption files beside report.json (the names the report gives), and
 * a self-contained report.html, which plays the media when it is at hand: from a file: URL (a file://
 * page may play a file: video), with the captions inline as a data: URL, as Chromium refuses a file:
 * track (every file: URL is its own origin to it).
 */
export async function exportReport(
  runtime: LocalRuntime, mediaId: string, reportRef: ObjectRef, outDir: string, options: ExportOptions = {},
): Promise<{ html: string; json: string; report: Report }> {
  await mkdir(path.join(outDir, "keyframes"), { recursive: true });
  await writeEvents(runtime, mediaId, outDir);
  const loaded = await loadReport(runtime, mediaId, reportRef);
  const { report } = loaded;
  for (const [name, file] of loaded.keyframes) await copyFile(file, path.join(outDir, "keyframes", path.posix.basename(name)));
  const json = path.join(outDir, "report.json");
  await writeFile(json, JSON.stringify(report, null, 2) + "\n");

  let vtt: Buffer | undefined;
  if (report.captions) {
    const files = await captionFiles(runtime, mediaId, { reportRef, report });
    for (const kind of ["vtt", "srt"] as const) {
      const ref = files[kind];
      if (!ref || !CAPTION_NAME.test(report.captions[kind])) continue;
      const dest = path.join(outDir, report.captions[kind]);
      await copyFile(runtime.objects.pathOf(ref), dest);
      if (kind === "vtt") vtt = await readFile(dest);
    }
  }
  const stored = runtime.store.media.get(mediaId);
  const src = playable(options.source) ?? playable(stored ? runtime.objects.pathOf({ bucket: runtime.config.bucket, key: stored.source_key }) : undefined);
  const media = src ? { src, ...(vtt ? { captions: { vtt: `data:text/vtt;base64,${vtt.toString("base64")}` } } : {}) } : undefined;
  const html = path.join(outDir, "report.html");
  await writeFile(html, await renderReport(loaded, media));
  return { html, json, report };
}
