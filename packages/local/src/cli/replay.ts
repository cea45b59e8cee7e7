import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { compilePattern, routes, type AnyPipelineEvent, type ObjectRef } from "@media-pipeline/core";
import type { DeliveryNotice } from "../runtime/bus/index.js";
import { loadConfig, type ConfigFlags } from "../runtime/config.js";
import { openLocalRuntime, RuntimeLockedError, type LocalRuntime } from "../runtime/runtime.js";
import { reindexMedia } from "../search/indexer.js";
import { clean } from "./review-format.js";

/*
 * `media-pipeline replay <mediaId>`: the local counterpart of replaying an EventBridge archive. Every
 * event of one media item is delivered again to every route it matches, in log order; the command
 * waits until those deliveries settle and reports what they produced. Stages run at most once per
 * (mediaId, stage) and publish their recorded outputs at most once more (under dedupe keys), so the expected answer is
 * "nothing new": the event log, the stage state and the report stay as they were. Anything else is
 * reported, which is what makes this a check of idempotency as well as a recovery tool.
 */

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
const MEDIA_ID = /^[0-9a-z]{26}$/;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export interface ReplayedDelivery {
  seq: number;
  type: string;
  route: string;
  stage: string;
  /** How the replayed delivery ended: done, dead (failed on every attempt), or pending (timed out). */
  status: string;
  error?: string;
}

export interface ReplayReport {
  mediaId: string;
  events: { before: number; after: number };
  replayed: ReplayedDelivery[];
  /** Dead-lettered deliveries are left to `dlq redrive`, which also marks their dead letters. */
  skippedDead: Array<{ seq: number; route: string }>;
  /** Events the replay added to this media item's log (expected: none). */
  produced: Array<{ seq: number; type: string }>;
  /** Stages whose recorded state the replay changed (expected: none). */
  stagesChanged: Array<{ stage: string; before: unknown; after: unknown }>;
  /** The latest report document, and whether the replay left its bytes as they were. */
  report: { key: string; unchanged: boolean } | null;
  /** Every replayed delivery left `pending` within the time limit. */
  settled: boolean;
}

/** The media item's media id is unknown here: no event of it is in the log. */
export class UnknownMediaError extends Error {
  override name = "UnknownMediaError";
}

function stageRows(runtime: LocalRuntime, mediaId: string): Map<string, string> {
  const rows = runtime.store.stages.snapshot(mediaId);
  return new Map(rows.map((r) => [String(r.stage), JSON.stringify(r)]));
}

function reportOf(runtime: LocalRuntime, mediaId: string): { ref: ObjectRef; sha256: string | null } | null {
  const event = runtime.store.events.latest(mediaId, ["Analysis Completed"]);
  if (!event) return null;
  const ref = (event.detail as { report: ObjectRef }).report;
  try {
    return { ref, sha256: createHash("sha256").update(readFileSync(runtime.objects.pathOf(ref))).digest("hex") };
  } catch {
    return { ref, sha256: null };
  }
}

/**
 * Re-delivers every event of `mediaId` to every route it matches and waits until they settle (or
 * `timeoutMs` passes). Deliveries are made pending again in the durable table, so a replay cut short
 * by a crash finishes on the next start like any other pending work.
 */
export async function replayMedia(
  runtime: LocalRuntime,
  mediaId: string,
  options: { timeoutMs?: number; onDelivery?: (n: DeliveryNotice) => void } = {},
): Promise<ReplayReport> {
  const { store, bus } = runtime;
  const rows = store.events.ofMedia(mediaId);
  if (rows.length === 0) throw new UnknownMediaError(`No events of media ${mediaId} in this data dir`);
  const compiled = routes.map((route) => ({ route, pattern: compilePattern(route.pattern) }));
  const stagesBefore = stageRows(runtime, mediaId);
  const reportBefore = reportOf(runtime, mediaId);
  const lastSeq = store.events.lastSeq();

  const targets: Array<{ seq: number; type: string; route: string; stage: string }> = [];
  const skippedDead: ReplayReport["skippedDead"] = [];
  const statusOf = (seq: number, route: string) => store.deliveries.status(seq, route)?.status;
  // One transaction: the bus sees all of them pending at once, and dispatches them in log order.
  store.atomically(() => {
    const now = Date.now();
    for (const row of rows) {
      const event = JSON.parse(row.body) as AnyPipelineEvent;
      for (const { route, pattern } of compiled) {
        if (!pattern.match(event)) continue;
        const current = statusOf(row.seq, route.name);
        if (current === "dead") {
          skippedDead.push({ seq: row.seq, route: route.name });
          continue;
        }
        // A delivery still pending is owed already; it runs once, as it would have.
        if (current !== "pending") store.deliveries.replay(row.seq, route.name, now);
        targets.push({ seq: row.seq, type: event["detail-type"], route: route.name, stage: route.stage });
      }
    }
  });

  const isSettled = () => targets.every((t) => statusOf(t.seq, t.route) !== "pending") && bus.pendingCount(mediaId) === 0;
  const settled = await new Promise<boolean>((resolve) => {
    const finish = (ok: boolean) => {
      clearInterval(poll);
      clearTimeout(limit);
      bus.off("delivery", onDelivery);
      resolve(ok);
    };
    const onDelivery = (n: DeliveryNotice) => {
      options.onDelivery?.(n);
      if ((n.status === "done" || n.status === "dead") && isSettled()) finish(true);
    };
    // Deliveries that end without a notice (none do today) are caught by the poll.
    const poll = setInterval(() => isSettled() && finish(true), 250);
    const limit = setTimeout(() => finish(isSettled()), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    bus.on("delivery", onDelivery);
    bus.wake();
    if (targets.length === 0) finish(true);
  });
  // The search index is no route, so the replayed deliveries miss it: its part for this media is rebuilt from the log.
  await reindexMedia(runtime, mediaId);

  const replayed = targets.map((t) => {
    const row = store.deliveries.status(t.seq, t.route)!;
    return { ...t, status: row.status, ...(row.status !== "done" && row.lastError ? { error: row.lastError } : {}) };
  });
  const produced = store.events.typesAfter(mediaId, lastSeq);
  const stagesAfter = stageRows(runtime, mediaId);
  const stagesChanged: ReplayReport["stagesChanged"] = [];
  for (const stage of new Set([...stagesBefore.keys(), ...stagesAfter.keys()])) {
    const before = stagesBefore.get(stage);
    const after = stagesAfter.get(stage);
    if (before !== after) stagesChanged.push({ stage, before: before ? JSON.parse(before) : null, after: after ? JSON.parse(after) : null });
  }
  const reportAfter = reportOf(runtime, mediaId);
  return {
    mediaId,
    events: { before: rows.length, after: rows.length + produced.length },
    replayed, skippedDead, produced, stagesChanged,
    report: reportAfter ? { key: reportAfter.ref.key, unchanged: reportBefore?.sha256 === reportAfter.sha256 && reportAfter.sha256 !== null } : null,
    settled,
  };
}

/** The report for people. */
export function formatReplay(r: ReplayReport): string {
  const lines: string[] = [];
  const events = new Set(r.replayed.map((d) => d.seq)).size;
  const notDone = r.replayed.filter((d) => d.status !== "done");
  lines.push(`Replayed ${r.replayed.length} deliver${r.replayed.length === 1 ? "y" : "ies"} of ${events} event${events === 1 ? "" : "s"} for ${r.mediaId}: ${notDone.length === 0 ? "all done" : `${notDone.length} not done`}.`);
  for (const d of notDone) lines.push(`  ${d.type} → ${d.route} (${d.stage}): ${d.status}${d.error ? `: ${clean(d.error).slice(0, 300)}` : ""}`);
  if (r.skippedDead.length > 0) lines.push(`Skipped ${r.skippedDead.length} dead-lettered deliver${r.skippedDead.length === 1 ? "y" : "ies"}: \`media-pipeline dlq redrive\` runs those.`);
  if (r.produced.length === 0) lines.push(`Produced nothing new: the log still has ${r.events.after} events for this media (every stage output is deduplicated).`);
  else lines.push(`Produced ${r.produced.length} new event${r.produced.length === 1 ? "" : "s"}: ${r.produced.map((e) => `#${e.seq} ${e.type}`).join(", ")}.`);
  lines.push(r.stagesChanged.length === 0 ? "Stage state unchanged." : `Stage state changed: ${r.stagesChanged.map((s) => s.stage).join(", ")}.`);
  if (r.report) lines.push(`Report ${r.report.unchanged ? "unchanged" : "CHANGED"}: ${r.report.key}`);
  if (!r.settled) lines.push("Timed out before every replayed delivery settled; the rest stay pending and run on the next start.");
  return `${lines.join("\n")}\n`;
}

export async function runReplay(mediaId: string, o: { flags: ConfigFlags; json?: boolean; timeoutSeconds?: string | number }): Promise<number> {
  if (!MEDIA_ID.test(mediaId)) {
    process.stderr.write(`A media id is 26 lower-case letters and digits (a ULID), got "${clean(mediaId).slice(0, 40)}"\n`);
    return EXIT.usage;
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (o.timeoutSeconds !== undefined) {
    const s = Number(o.timeoutSeconds);
    if (!(Number.isFinite(s) && s > 0)) {
      process.stderr.write(`--timeout must be a number of seconds above 0, got "${clean(o.timeoutSeconds)}"\n`);
      return EXIT.usage;
    }
    timeoutMs = s * 1000;
  }
  let runtime: LocalRuntime;
  try {
    runtime = await openLocalRuntime(loadConfig(o.flags));
  } catch (error) {
    if (!(error instanceof RuntimeLockedError)) throw error;
    process.stderr.write(`Cannot replay: ${error.message}. A replay runs the deliveries itself, so it needs the data dir to itself.\n`);
    return EXIT.failed;
  }
  try {
    let report: ReplayReport;
    try {
      report = await replayMedia(runtime, mediaId, { timeoutMs });
    } catch (error) {
      if (!(error instanceof UnknownMediaError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatReplay(report));
    return report.settled && report.replayed.every((d) => d.status === "done") ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
  }
}
