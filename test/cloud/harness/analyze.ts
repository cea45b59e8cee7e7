import { createReadStream, mkdirSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { RejectedReport } from "@media-pipeline/core";
import type { CloudApp } from "./app.js";
import { signedFetch } from "./sigv4.js";

/** Content types by extension, for the upload request (the API checks them against its allow-list). */
const TYPES: Record<string, string> = {
  ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm", ".mkv": "video/x-matroska",
  ".avi": "video/x-msvideo", ".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".ogv": "video/ogg", ".3gp": "video/3gpp",
  ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav", ".flac": "audio/flac",
  ".ogg": "audio/ogg", ".opus": "audio/opus", ".weba": "audio/webm",
};

export interface AnalyzeResult {
  status: "completed" | "rejected" | "failed";
  mediaId?: string;
  reason?: string;
  /** This media's events on the media bus, in arrival order. */
  events: any[];
  report?: any;
  reportHtml?: string;
  /** The caption files as GET /media/{id}/captions.vtt and .srt answered, when the report has captions. */
  captions?: Partial<Record<"vtt" | "srt", string>>;
  seconds: number;
}

export interface AnalyzeOptions {
  out?: string;
  /** How long to wait for the report (default 15 minutes). */
  timeoutMs?: number;
  /** Wait for the final report after a review (a reviewer must decide in the meantime). */
  waitForFinal?: boolean;
  /**
   * A reviewer's part: run once the media's `Review Requested` arrives (deciding through the review
   * API); the final report is then waited for. Its failure fails the analysis with its reason.
   */
  onReviewRequested?: (mediaId: string) => Promise<unknown>;
  progress?: (line: string) => void;
}

const fmt = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** One line per event, like `media-pipeline analyze` prints. */
function describe(e: any): string {
  const d = e.detail ?? {};
  switch (e["detail-type"]) {
    case "Media Probed": return `${d.kind}, ${((d.durationMs ?? 0) / 1000).toFixed(1)} s, ${(d.streams ?? []).map((s: any) => s.codec).join("+")}`;
    case "Media Rejected": return `${d.reason}: ${d.message}`;
    case "Shots Detected": return `${d.shotCount} shots`;
    case "Labels Detected": return (d.topLabels ?? []).slice(0, 5).map((l: any) => `${l.name} ${Number(l.confidence).toFixed(0)}`).join(", ") || "no labels";
    case "Moderation Completed": return `${d.decision} (${d.segmentCount} segments)`;
    case "Transcript Ready": return `${d.speakerCount} speakers, ${d.wordCount} words`;
    case "Scenes Summarized": return `${d.sceneCount} scenes`;
    case "Text Detected": return `${d.lineCount} lines, ${d.wordCount} words on screen`;
    case "Captions Ready": return `${d.cueCount} cues (WebVTT and SRT)`;
    case "Media Summarized": return `${d.chapterCount} chapters (${d.method})`;
    case "Stage Failed": return `${d.stage}: ${d.error?.message}`;
    case "Review Requested": return `task ${d.taskId}, ${d.segmentCount} segments, model: ${d.modelDecision}`;
    case "Review Completed": return `${d.verdict} by ${d.reviewer}`;
    case "Analysis Completed": return `${d.status}, moderation ${d.decision ?? "n/a"}, review ${d.review?.status}${d.final ? "" : " (a final report follows the verdict)"}`;
    default: return "";
  }
}

/**
 * Uploads a file through the deployed upload API (a presigned POST into the emulated bucket, or
 * multipart above the API's threshold), follows its events on the media bus and fetches the report
 * and the report page through the API, as a user of the deployed app would: every call to the API
 * SigV4-signed, as its IAM authorization requires; the presigned S3 URLs are plain requests.
 */
export async function analyzeInCloud(app: CloudApp, file: string, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const size = statSync(file).size;
  const contentType = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
  const requested = await signedFetch(app, "/uploads", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ filename: path.basename(file), contentType, size }),
  });
  const answer: any = await requested.json();
  if (!requested.ok) {
    // Refused at the edge: rejected before any event, with the API's reason.
    return { status: "rejected", reason: answer?.error?.message ?? `upload refused (${requested.status})`, events: [], seconds: (Date.now() - started) / 1000 };
  }
  const mediaId: string = answer.mediaId;
  progress(`${fmt(0).padStart(8)}  upload                ${mediaId} (${(size / 1e6).toFixed(2)} MB, ${answer.upload.mode})`);
  await upload(app, file, answer.upload);

  const mine = () => app.events.filter((e) => e.detail?.mediaId === mediaId);
  const deadline = started + (options.timeoutMs ?? 15 * 60_000);
  let shown = 0;
  let outcome: Pick<AnalyzeResult, "status" | "reason"> | undefined;
  let reviewing: Promise<void> | undefined;
  const waitForFinal = options.waitForFinal || Boolean(options.onReviewRequested);
  while (!outcome && Date.now() < deadline) {
    const events = mine();
    for (; shown < events.length; shown++) {
      const e = events[shown];
      progress(`${fmt(Date.now() - started).padStart(8)}  ${String(e["detail-type"]).padEnd(21)} ${describe(e)}`);
    }
    const rejected = events.find((e) => e["detail-type"] === "Media Rejected");
    const done = events.filter((e) => e["detail-type"] === "Analysis Completed");
    if (options.onReviewRequested && !reviewing && events.some((e) => e["detail-type"] === "Review Requested")) {
      reviewing = options.onReviewRequested(mediaId).then(
        () => undefined,
        (error: Error) => void (outcome ??= { status: "failed", reason: `the review failed: ${error.message}` }),
      );
    }
    if (rejected) outcome = { status: "rejected", reason: `${rejected.detail.reason}: ${rejected.detail.message}` };
    else if (done.some((e) => e.detail.final !== false) || (done.length && !waitForFinal)) outcome = { status: "completed" };
    else await new Promise((r) => setTimeout(r, 300));
  }
  await reviewing;
  // Let duplicates and late deliveries land, so the events file is the whole story.
  await app.settle(60_000);
  const events = mine();
  for (; shown < events.length; shown++) progress(`${fmt(Date.now() - started).padStart(8)}  ${String(events[shown]["detail-type"]).padEnd(21)} ${describe(events[shown])}`);
  const result: AnalyzeResult = { ...(outcome ?? { status: "failed", reason: "no report before the time-out" }), mediaId, events, seconds: (Date.now() - started) / 1000 };

  if (result.status === "completed") {
    const report = await signedFetch(app, `/media/${mediaId}/report`);
    if (report.ok) result.report = await report.json();
    else result.reason = `GET /media/${mediaId}/report answered ${report.status}`;
    const html = await signedFetch(app, `/media/${mediaId}/report.html`);
    if (html.ok) result.reportHtml = await html.text();
    // The caption files through the deployed API, as a player would fetch them (404 without audio).
    if (result.report?.captions) {
      for (const format of ["vtt", "srt"] as const) {
        const captions = await signedFetch(app, `/media/${mediaId}/captions.${format}`);
        if (captions.ok) (result.captions ??= {})[format] = await captions.text();
        else result.reason = `GET /media/${mediaId}/captions.${format} answered ${captions.status}`;
      }
    }
  }
  if (options.out) {
    mkdirSync(options.out, { recursive: true });
    writeFileSync(path.join(options.out, "events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + (events.length ? "\n" : ""));
    if (result.report) writeFileSync(path.join(options.out, "report.json"), JSON.stringify(result.report, null, 2) + "\n");
    // Refused media gets the local CLI's rejected report, so the folder reads the same either way.
    const rejected = events.find((e) => e["detail-type"] === "Media Rejected");
    if (rejected) {
      const { mediaId: id, reason, message, filename } = rejected.detail;
      const report = RejectedReport.parse({ mediaId: id, ...(filename ? { filename } : {}), generatedAt: new Date().toISOString(), status: "rejected", rejection: { reason, message } });
      writeFileSync(path.join(options.out, "report.json"), JSON.stringify(report, null, 2) + "\n");
    }
    if (result.reportHtml) writeFileSync(path.join(options.out, "report.html"), result.reportHtml);
    for (const [format, body] of Object.entries(result.captions ?? {})) writeFileSync(path.join(options.out, `captions.${format}`), body);
  }
  return result;
}

async function upload(app: CloudApp, file: string, instructions: any): Promise<void> {
  if (instructions.mode === "post") {
    const form = new FormData();
    for (const [k, v] of Object.entries(instructions.fields as Record<string, string>)) form.append(k, v);
    form.append("file", new Blob([await readFile(file)]), path.basename(file));
    const r = await fetch(instructions.url, { method: "POST", body: form });
    if (!r.ok && r.status !== 204) throw new Error(`presigned POST answered ${r.status}: ${(await r.text()).slice(0, 500)}`);
    return;
  }
  // Multipart: presigned part URLs from the API, the parts PUT, then completed through the API.
  const parts: any = await (await signedFetch(app, instructions.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).json();
  const etags: { partNumber: number; etag: string }[] = [];
  for (const part of parts.parts) {
    const chunk = await readRange(file, part.offset, part.size);
    const r = await fetch(part.url, { method: "PUT", body: chunk });
    if (!r.ok) throw new Error(`part ${part.partNumber} PUT answered ${r.status}`);
    etags.push({ partNumber: part.partNumber, etag: r.headers.get("etag")! });
  }
  const complete = await signedFetch(app, instructions.multipart.complete, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ parts: etags }),
  });
  if (!complete.ok) throw new Error(`completing the upload answered ${complete.status}: ${await complete.text()}`);
}

async function readRange(file: string, offset: number, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file, { start: offset, end: offset + size - 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
