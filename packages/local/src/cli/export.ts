import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Report, type ObjectRef, type ShotsDocument } from "@media-pipeline/core";
import type { LocalRuntime } from "../runtime/runtime.js";

/**
 * Writes what a person opens: events.jsonl (every event of the media, in bus order), report.json,
 * the keyframes it refers to, and a self-contained report.html.
 */
export async function exportReport(runtime: LocalRuntime, mediaId: string, reportRef: ObjectRef, outDir: string): Promise<{ html: string; json: string; report: Report }> {
  await mkdir(path.join(outDir, "keyframes"), { recursive: true });
  const events = runtime.bus.eventsOf(mediaId);
  await writeFile(path.join(outDir, "events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const report = Report.parse(await runtime.objects.getJson(reportRef));
  // The report names keyframes relative to itself; the shots document knows where they are stored.
  const shotsRec = (await runtime.state.list(mediaId)).find((r) => r.stage === "detect-shots" && r.status === "done");
  const shotsRef = shotsRec?.output?.facts?.ref as ObjectRef | undefined;
  const stored = new Map<string, ObjectRef>();
  if (shotsRef) {
    for (const s of (await runtime.objects.getJson<ShotsDocument>(shotsRef)).shots) stored.set(path.posix.basename(s.keyframe.key), s.keyframe);
  }
  const images = new Map<string, string>();
  for (const shot of report.shots) {
    const name = path.posix.basename(shot.keyframe);
    const ref = stored.get(name);
    if (!ref) continue;
    const file = runtime.objects.pathOf(ref);
    await copyFile(file, path.join(outDir, "keyframes", name));
    images.set(shot.keyframe, `data:image/jpeg;base64,${(await readFile(file)).toString("base64")}`);
  }
  const json = path.join(outDir, "report.json");
  await writeFile(json, JSON.stringify(report, null, 2) + "\n");
  const { renderReportHtml } = await import("../report/index.js");
  const html = path.join(outDir, "report.html");
  await writeFile(html, renderReportHtml(report, { embedImage: (p) => images.get(p) }));
  return { html, json, report };
}
