import type { ReviewDecision, ReviewSegment } from "@media-pipeline/core";
import type { AuditEntry, ReviewTaskView, TaskStatus } from "../review/service.js";

/*
 * What `media-pipeline review` prints for people. Filenames, comments and categories come from
 * uploaders and reviewers, so every such string is stripped of control characters before it reaches
 * a terminal (an escape sequence in a filename could otherwise rewrite the screen).
 */

/** A segment as the API answers it: the stored keyframe ref replaced by a link (server) or a file path (data dir). */
export type SegmentJson = Omit<ReviewSegment, "keyframe"> & { keyframeUrl?: string; keyframePath?: string };

/** A task as the API answers it (`GET /reviews/:id`); the data-dir mode gives file paths instead of links. */
export type TaskJson = Omit<ReviewTaskView, "segments"> & {
  segmentCount: number;
  segments: SegmentJson[];
  mediaUrl?: string;
  mediaPath?: string;
  audit?: AuditEntry[];
};

export interface ListJson {
  tasks: TaskJson[];
  counts: Record<TaskStatus, number>;
}

/** The final `Analysis Completed` a verdict led to (data-dir mode only: a server finishes it on its own). */
export interface FinalAnalysis {
  decision: string | null;
  decidedBy: string;
  status: string;
  final: boolean;
  reportPath?: string;
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Makes untrusted text safe to print: no control or bidi-override characters. */
export function clean(value: unknown): string {
  return String(value ?? "").replace(UNSAFE, "?");
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** `mm:ss.s`, minutes unbounded (75:03.2 for a long video). */
export function formatTime(ms: number): string {
  const tenths = Math.round(ms / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = (tenths % 600) / 10;
  return `${String(minutes).padStart(2, "0")}:${seconds.toFixed(1).padStart(4, "0")}`;
}

/** An ISO time to the second, UTC: short, sortable and the same for every reader. */
function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace("T", " ")}Z` : "";
}

const pct = (confidence: number) => `${confidence.toFixed(1)}%`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

function statusText(task: TaskJson): string {
  if (task.status === "decided" && task.decision) return `decided: ${task.decision.verdict} by ${clean(task.decision.reviewer)}`;
  if (task.status === "claimed") return `claimed by ${clean(task.claimedBy)} until ${when(task.claimExpiresAt)}`;
  return task.status;
}

function topSegment(task: TaskJson): SegmentJson | undefined {
  return task.segments.reduce<SegmentJson | undefined>((top, s) => (!top || s.confidence > top.confidence ? s : top), undefined);
}

export function formatCounts(counts: ListJson["counts"]): string {
  return `${counts.open} open, ${counts.claimed} claimed, ${counts.decided} decided\n`;
}

/** The queue: one row per task in the order given (oldest first for open ones), then the counts. */
export function formatList(list: ListJson, status: string): string {
  if (list.tasks.length === 0) return `No ${status === "all" ? "" : `${status} `}review tasks.\n${formatCounts(list.counts)}`;
  const rows = list.tasks.map((t) => {
    const top = topSegment(t);
    const inReview = t.segments.filter((s) => s.decision === "review").length;
    return [
      clean(t.taskId), clean(t.mediaId), clip(clean(t.filename ?? "—"), 32), when(t.createdAt),
      `${t.segmentCount}${inReview ? ` (${inReview} to review)` : ""}`,
      top ? `${clip(clean(top.category), 24)} ${pct(top.confidence)}` : "—",
      statusText(t),
    ];
  });
  return table(["TASK", "MEDIA", "FILE", "CREATED (UTC)", "SEGMENTS", "TOP", "STATUS"], rows) + formatCounts(list.counts);
}

function thresholdsText(t: TaskJson["thresholds"]): string {
  const base = `review from ${t.reviewMin}, flag from ${t.flagMin}`;
  const per = Object.entries(t.categories ?? {}).map(([c, v]) => `${clean(c)}: review from ${v.reviewMin}, flag from ${v.flagMin}`);
  return per.length ? `${base}; ${per.join("; ")}` : base;
}

function outcomeText(s: ReviewDecision["segments"][number]): string {
  return s.outcome === "wrong-category" ? `wrong-category → ${clean(s.category)}` : s.outcome;
}

/** The decision and its per-segment answers. */
export function formatDecision(d: ReviewDecision): string {
  const lines = [`${d.verdict} by ${clean(d.reviewer)} at ${when(d.decidedAt)}`];
  for (const s of d.segments) lines.push(`  segment ${s.index}: ${outcomeText(s)}`);
  if (d.comment) lines.push(`  comment: ${clean(d.comment)}`);
  return lines.join("\n") + "\n";
}

function auditText(e: AuditEntry): string {
  const d = e.detail ?? {};
  if (e.action === "claim") return `claimed${d.until ? ` until ${when(String(d.until))}` : ""}`;
  if (e.action === "release") return "released";
  const segments = Array.isArray(d.segments) ? d.segments.length : 0;
  return `decided ${clean(d.verdict)} (${segments} segment answer${segments === 1 ? "" : "s"})${d.comment ? `: ${clip(clean(d.comment), 80)}` : ""}`;
}

/** One task in full: media, model decision, thresholds, segments, claim, decision and audit log. */
export function formatTask(task: TaskJson, media: { link?: string }): string {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`${name.padEnd(11)}${value}`);
  field("Task", `${clean(task.taskId)} (${statusText(task)})`);
  field("Media", `${clean(task.mediaId)}  ${clean(task.filename ?? "")}`.trimEnd());
  if (media.link) field("", clean(media.link));
  field("Created", when(task.createdAt));
  field("Model", `${task.modelDecision} (thresholds: ${thresholdsText(task.thresholds)})`);
  field("Claim", task.claimedBy ? `${clean(task.claimedBy)} until ${when(task.claimExpiresAt)}` : "none");
  const answers = new Map((task.decision?.segments ?? []).map((s) => [s.index, s]));
  out.push("", `Segments (${task.segmentCount})`);
  const rows = task.segments.map((s) => {
    const answer = answers.get(s.index);
    const label = s.name && s.name !== s.category ? `${clean(s.category)} / ${clean(s.name)}` : clean(s.category);
    return [
      String(s.index), `${formatTime(s.startMs)}–${formatTime(s.endMs)}`, label, pct(s.confidence), s.decision,
      ...(task.decision ? [answer ? outcomeText(answer) : "—"] : []),
      clean(s.keyframePath ?? s.keyframeUrl ?? "—"),
    ];
  });
  const header = ["#", "TIME", "CATEGORY / NAME", "CONF", "MODEL", ...(task.decision ? ["REVIEWER SAID"] : []), "KEYFRAME"];
  out.push(table(header, rows).trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
  if (task.decision) out.push("", `Decision   ${formatDecision(task.decision).trimEnd()}`);
  if (task.audit) {
    out.push("", "Audit log");
    if (task.audit.length === 0) out.push("  (empty)");
    for (const e of task.audit) out.push(`  ${when(e.at)}  ${clean(e.reviewer)}  ${auditText(e)}`);
  }
  return out.join("\n") + "\n";
}

/** What `decide` prints: the decision, then where the final analysis landed when it is known. */
export function formatDecided(taskId: string, decision: ReviewDecision, final: FinalAnalysis | null | undefined): string {
  let text = `Decided ${clean(taskId)}: ${formatDecision(decision)}`;
  if (final) {
    text += `Final analysis: ${final.decision ?? "no decision"} (decided by ${final.decidedBy}), ${final.status}\n`;
    if (final.reportPath) text += `  report: ${final.reportPath}\n`;
  }
  return text;
}
