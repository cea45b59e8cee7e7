import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { RejectedReport, Report, type ObjectRef, type PipelineEvent, type ShotsDocument } from "@media-pipeline/core";
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

/** The self-contained report.html: keyframes embedded as data URLs. */
export async function renderReport({ report, keyframes }: LoadedReport): Promise<string> {
  const images = new Map<string, string>();
  for (const [name, file] of keyframes) images.set(name, `data:image/jpeg;base64,${(await readFile(file)).toString("base64")}`);
  const { renderReportHtml } = await import("@media-pipeline/web");
  return renderReportHtml(report, { embedImage: (p) => images.get(p) });
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

/**
 * Writes what a person opens: events.jsonl (every event of the media, in bus order), report.json,
 * the keyframes it refers to, and a self-contained report.html.
 */
export async function exportReport(runtime: LocalRuntime, mediaId: string, reportRef: ObjectRef, outDir: string): Promise<{ html: string; json: string; report: Report }> {
  await mkdir(path.join(outDir, "keyframes"), { recursive: true });
  await writeEvents(runtime, mediaId, outDir);
  const loaded = await loadReport(runtime, mediaId, reportRef);
  for (const [name, file] of loaded.keyframes) await copyFile(file, path.join(outDir, "keyframes", path.posix.basename(name)));
  const json = path.join(outDir, "report.json");
  await writeFile(json, JSON.stringify(loaded.report, null, 2) + "\n");
  const html = path.join(outDir, "report.html");
  await writeFile(html, await renderReport(loaded));
  return { html, json, report: loaded.report };
}
