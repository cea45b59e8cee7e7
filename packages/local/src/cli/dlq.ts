import { existsSync } from "node:fs";
import path from "node:path";
import { DeadLetterNotFoundError, listDeadLetters, type DeadLetter, type DeliveryNotice, type Redriven } from "../runtime/bus/index.js";
import { loadConfig, type ConfigFlags } from "../runtime/config.js";
import { openLocalRuntime, RuntimeLockedError, type LocalRuntime, type Outcome } from "../runtime/runtime.js";
import { openStoreReadOnly } from "../store/index.js";
import { exportReport } from "./export.js";
import { clean } from "./review-format.js";

/*
 * `media-pipeline dlq list | redrive [<id>]`: the local dead-letter table. `list` only reads the
 * database, so it works beside a running server; `redrive` runs the redriven deliveries itself, as
 * `resume` does, so it needs the data dir to itself.
 */

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface DlqListOptions {
  flags: ConfigFlags;
  json?: boolean;
  /** Include dead letters already redriven. */
  all?: boolean;
}

export interface DlqRedriveOptions {
  flags: ConfigFlags;
  json?: boolean;
  /** Also write each completed media item's report to `<out>/<mediaId>/`, as `resume` does. */
  out?: string;
}

function clip(value: string, max: number): string {
  const line = clean(value.replace(/\s*\n\s*/g, " "));
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** The list for people: one line per dead letter, the error cut to one line (`--json` has it whole). */
export function formatDeadLetters(letters: DeadLetter[], all: boolean): string {
  if (letters.length === 0) return all ? "No dead letters.\n" : "No dead letters waiting to be redriven.\n";
  const rows = letters.map((l) => [
    String(l.id),
    `${l.time.slice(0, 19).replace("T", " ")}Z`,
    l.mediaId ?? "-",
    l.stage ? `${l.route} (${l.stage})` : l.route,
    String(l.attempts),
    ...(all ? [l.redrivenAt ? `${l.redrivenAt.slice(0, 19).replace("T", " ")}Z` : "-"] : []),
    clip(l.error, 160),
  ]);
  const header = ["id", "time", "media", "route (stage)", "attempts", ...(all ? ["redriven"] : []), "error"];
  const waiting = letters.filter((l) => !l.redrivenAt).length;
  const hint = waiting > 0 ? `${waiting} waiting: \`media-pipeline dlq redrive <id>\` redrives one, \`media-pipeline dlq redrive\` all of them.\n` : "";
  return table(header, rows) + hint;
}

export async function runDlqList(o: DlqListOptions): Promise<number> {
  const config = loadConfig(o.flags);
  const file = path.join(config.dataDir, "pipeline.db");
  if (!existsSync(file)) {
    if (o.json) process.stdout.write("[]\n");
    else process.stderr.write(`No database in ${config.dataDir}: nothing has run there.\n`);
    return EXIT.ok;
  }
  // Read-only, beside whatever process may be writing: WAL lets a reader in without taking the lock.
  const store = openStoreReadOnly(file);
  try {
    const letters = listDeadLetters(store, { all: Boolean(o.all) });
    process.stdout.write(o.json ? `${JSON.stringify(letters)}\n` : formatDeadLetters(letters, Boolean(o.all)));
    return EXIT.ok;
  } finally {
    store.close();
  }
}

/** Resolves once every redriven delivery has left `pending` and its media items owe no deliveries. */
function settled(runtime: LocalRuntime, redriven: Redriven[]): Promise<void> {
  const media = [...new Set(redriven.map((r) => r.mediaId).filter((m): m is string => m !== null))];
  const done = () =>
    redriven.every((r) => runtime.store.deliveries.status(r.eventSeq, r.route)?.status !== "pending") &&
    media.every((m) => runtime.bus.pendingCount(m) === 0);
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      runtime.bus.off("delivery", check);
      resolve();
    };
    runtime.bus.on("delivery", check);
    check();
  });
}

interface DeliveryResult { id: number; route: string; stage: string | null; mediaId: string | null; status: string; error?: string }
interface MediaResult { mediaId: string; outcome: Outcome["kind"]; status?: string; reason?: string; report?: string; reportWrittenBefore?: boolean }

export async function runDlqRedrive(id: string | undefined, o: DlqRedriveOptions): Promise<number> {
  let ids: number[] | undefined;
  if (id !== undefined) {
    const n = Number(id);
    if (!Number.isSafeInteger(n) || n <= 0) {
      process.stderr.write(`A dead letter id is a whole number from \`media-pipeline dlq list\`, got "${clean(id)}"\n`);
      return EXIT.usage;
    }
    ids = [n];
  }
  const config = loadConfig(o.flags);
  let runtime: LocalRuntime;
  try {
    runtime = await openLocalRuntime(config);
  } catch (error) {
    if (!(error instanceof RuntimeLockedError)) throw error;
    process.stderr.write(
      `Cannot redrive: ${error.message}. A redrive runs the deliveries itself, so it needs the data dir to itself: ` +
        "stop the server (or the run) using it, then redrive again. `media-pipeline dlq list` works while it runs.\n",
    );
    return EXIT.failed;
  }
  const log = (n: DeliveryNotice) => {
    if (!o.json && (n.status === "retry" || n.status === "dead")) {
      process.stderr.write(`${n.status === "dead" ? "dead-lettered" : "retrying"} ${n.stage} (attempt ${n.attempt}): ${clip(n.error ?? "", 200)}\n`);
    }
  };
  try {
    // A media item whose report already exists keeps it: the redriven stage runs, the report is not rewritten.
    const reportedBefore = (mediaId: string) => runtime.store.events.latest(mediaId, ["Analysis Completed"]) !== undefined;
    const letters = runtime.bus.deadLetters({ all: true });
    const before = new Set(letters.filter((l) => l.mediaId && reportedBefore(l.mediaId)).map((l) => l.mediaId!));
    let redriven: Redriven[];
    try {
      redriven = runtime.redrive(ids);
    } catch (error) {
      if (!(error instanceof DeadLetterNotFoundError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    if (redriven.length === 0) {
      if (o.json) process.stdout.write(`${JSON.stringify({ redriven: [], media: [] })}\n`);
      else process.stderr.write("Nothing to redrive: no dead letters are waiting.\n");
      return EXIT.ok;
    }
    if (!o.json) process.stderr.write(`Redriving ${redriven.length} dead letter${redriven.length === 1 ? "" : "s"}; waiting until they settle…\n`);
    runtime.bus.on("delivery", log);
    await settled(runtime, redriven);
    runtime.bus.off("delivery", log);

    const deliveries: DeliveryResult[] = redriven.map((r) => {
      const row = runtime.store.deliveries.status(r.eventSeq, r.route)!;
      return { id: r.id, route: r.route, stage: r.stage, mediaId: r.mediaId, status: row.status, ...(row.status === "dead" && row.lastError ? { error: row.lastError } : {}) };
    });
    const media: MediaResult[] = [];
    for (const mediaId of new Set(redriven.map((r) => r.mediaId).filter((m): m is string => m !== null))) {
      const outcome = await runtime.outcome(mediaId);
      const result: MediaResult = { mediaId, outcome: outcome.kind, ...(before.has(mediaId) ? { reportWrittenBefore: true } : {}) };
      if (outcome.kind === "completed") {
        result.status = outcome.event.detail.status;
        result.report = runtime.objects.pathOf(outcome.event.detail.report);
        if (o.out) result.report = (await exportReport(runtime, mediaId, outcome.event.detail.report, path.resolve(o.out, mediaId))).html;
      } else if (outcome.kind === "rejected") {
        result.reason = `${outcome.event.detail.reason}: ${outcome.event.detail.message}`;
      } else {
        result.reason = outcome.reason;
      }
      media.push(result);
    }
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ redriven: deliveries, media })}\n`);
    } else {
      for (const d of deliveries) {
        const what = d.stage ? `${d.route} (${d.stage})` : d.route;
        process.stdout.write(`#${d.id} ${what}${d.mediaId ? ` for ${d.mediaId}` : ""}: ${d.status === "done" ? "delivered" : `dead-lettered again: ${clip(d.error ?? "", 300)}`}\n`);
      }
      for (const m of media) {
        if (m.outcome === "completed") {
          process.stdout.write(`${m.mediaId} ${m.status}${m.reportWrittenBefore ? " (report written before this redrive; not rewritten)" : ""}\n  report: ${m.report}\n`);
        } else {
          process.stdout.write(`${m.mediaId} ${m.outcome}: ${clip(m.reason ?? "", 300)}\n`);
        }
      }
    }
    const failed = deliveries.some((d) => d.status !== "done") || media.some((m) => m.outcome === "stalled");
    return failed ? EXIT.failed : EXIT.ok;
  } finally {
    runtime.bus.off("delivery", log);
    await runtime.close();
  }
}
