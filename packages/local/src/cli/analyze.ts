import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { loadConfig, type ConfigFlags } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime, type Outcome } from "../runtime/runtime.js";
import { exportRejection, exportReport } from "./export.js";
import { attachProgress, type ProgressMode } from "./progress.js";

/** JSON lines are for programs: stdout. Pretty progress is for people: stderr, so stdout stays the result. */
const streamFor = (mode: ProgressMode) => (mode === "json" ? process.stdout : process.stderr);

interface RunOptions {
  out: string;
  mode: ProgressMode;
  flags: ConfigFlags;
}

/** Prints the outcome and writes the report; returns the exit code (0 done, 2 rejected, 1 failed). */
/** `source`: the file the user gave, which report.html plays (it is at hand, unlike a data dir that may be temporary). */
async function settle(runtime: LocalRuntime, mediaId: string, outcome: Outcome, outDir: string, mode: ProgressMode, source?: string): Promise<number> {
  if (outcome.kind === "rejected") {
    const { json } = await exportRejection(runtime, outcome.event, outDir);
    if (mode === "json") process.stdout.write(JSON.stringify({ type: "result", mediaId, status: "rejected", reason: outcome.event.detail.reason, json }) + "\n");
    process.stderr.write(`Media rejected (${outcome.event.detail.reason}): ${outcome.event.detail.message}\n  json:   ${json}\n`);
    return 2;
  }
  if (outcome.kind === "stalled") {
    process.stderr.write(`Analysis of ${mediaId} did not complete: ${outcome.reason}\n`);
    return 1;
  }
  const { report, ...files } = await exportReport(runtime, mediaId, outcome.event.detail.report, outDir, source ? { source } : {});
  const d = outcome.event.detail;
  if (mode === "json") process.stdout.write(JSON.stringify({ type: "result", mediaId, status: d.status, ...files }) + "\n");
  else process.stdout.write(`${mediaId} ${d.status}: moderation ${d.decision ?? "n/a"}, review ${d.review.status}\n  report: ${files.html}\n  json:   ${files.json}\n`);
  // A pending review is work for a person: say where it waits.
  if (mode !== "json" && d.review.status === "pending" && d.review.taskId) {
    process.stderr.write(`review: task ${d.review.taskId} waits for a moderator (media-pipeline review show ${d.review.taskId}, or the server's /review page)\n`);
  }
  // Speech without words is a setup question, not a failure: say why and how to get words.
  const speech = report.transcript.segments.length > 0;
  if (mode !== "json" && speech && !report.transcript.hasWords) for (const note of report.transcript.notes) process.stderr.write(`note: ${note}\n`);
  for (const [stage, s] of Object.entries(report.stages)) {
    if (mode !== "json" && s.status === "failed") process.stderr.write(`warning: ${stage} failed: ${s.error ?? "unknown error"}\n`);
  }
  return 0;
}

export async function runAnalyze(file: string, o: RunOptions): Promise<number> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    process.stderr.write(`No such file: ${file}\n`);
    return 2;
  }
  const config = loadConfig(o.flags);
  const runtime = await openLocalRuntime(config);
  let mediaId: string | undefined;
  const detach = attachProgress(runtime, () => mediaId, o.mode, streamFor(o.mode));
  try {
    mediaId = await runtime.ingest(file, { filename: path.basename(file) });
    const outcome = await runtime.outcome(mediaId);
    detach();
    return await settle(runtime, mediaId, outcome, path.resolve(o.out), o.mode, path.resolve(file));
  } finally {
    detach();
    await runtime.close();
  }
}

export async function runResume(o: RunOptions): Promise<number> {
  const runtime = await openLocalRuntime(loadConfig(o.flags));
  try {
    const ids = runtime.unfinished();
    if (ids.length === 0 && o.mode !== "quiet") process.stderr.write("Nothing to resume.\n");
    let code = 0;
    for (const mediaId of ids) {
      const detach = attachProgress(runtime, () => mediaId, o.mode, streamFor(o.mode));
      const outcome = await runtime.outcome(mediaId);
      detach();
      code = Math.max(code, await settle(runtime, mediaId, outcome, path.resolve(o.out, mediaId), o.mode));
    }
    return code;
  } finally {
    await runtime.close();
  }
}
