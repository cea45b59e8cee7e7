import type Database from "better-sqlite3";

/**
 * What a data dir's durable log says about a run, in the shape tests assert on: gaps in the event
 * sequence, stage outputs published more than once, deliveries not done, dead letters, stages not
 * settled. The same checks serve the crash tests of `analyze` and of `serve`, and the load test.
 */
export interface LogAudit {
  events: number;
  /** Sequence numbers missing between the first and the last event (SSE ids must have none). */
  seqGaps: number[];
  /** Per media: its detail-types in bus order, and those that occur more than once when they may not. */
  media: Record<string, { types: string[]; duplicated: string[]; terminal: string | undefined }>;
  deliveriesNotDone: Array<{ event_seq: number; route: string; status: string; attempts: number; last_error: string | null }>;
  deadLetters: Array<{ event_seq: number; route: string; error: string }>;
  /** Stages left running (or failed) once everything has settled. */
  stagesNotSettled: Array<{ media_id: string; stage: string; status: string }>;
}

/**
 * A media item's `Analysis Completed` may occur twice by design (a first one with `final: false` while
 * a review is open, then the final one); any other repeated detail-type is a duplicated output.
 */
function duplicatedTypes(rows: Array<{ detail_type: string; body: string }>): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.detail_type, (counts.get(r.detail_type) ?? 0) + 1);
  const out: string[] = [];
  for (const [type, n] of counts) {
    if (n === 1) continue;
    if (type === "Analysis Completed" && n === 2) {
      const finals = rows.filter((r) => r.detail_type === type).map((r) => (JSON.parse(r.body) as { detail: { final?: boolean } }).detail.final);
      if (finals[0] === false && finals[1] === true) continue;
    }
    out.push(`${type} ×${n}`);
  }
  return out;
}

export function auditLog(db: Database.Database): LogAudit {
  const seqs = (db.prepare("SELECT seq FROM events ORDER BY seq").all() as Array<{ seq: number }>).map((r) => r.seq);
  const seqGaps: number[] = [];
  for (let i = 1; i < seqs.length; i++) for (let s = seqs[i - 1]! + 1; s < seqs[i]!; s++) seqGaps.push(s);
  const media: LogAudit["media"] = {};
  const ids = (db.prepare("SELECT DISTINCT media_id FROM events WHERE media_id IS NOT NULL").all() as Array<{ media_id: string }>).map((r) => r.media_id);
  const ofMedia = db.prepare("SELECT detail_type, body FROM events WHERE media_id = ? ORDER BY seq");
  for (const id of ids) {
    const rows = ofMedia.all(id) as Array<{ detail_type: string; body: string }>;
    const types = rows.map((r) => r.detail_type);
    media[id] = { types, duplicated: duplicatedTypes(rows), terminal: types.find((t) => t === "Analysis Completed" || t === "Media Rejected") };
  }
  return {
    events: seqs.length,
    seqGaps,
    media,
    deliveriesNotDone: db.prepare("SELECT event_seq, route, status, attempts, last_error FROM deliveries WHERE status != 'done'").all() as LogAudit["deliveriesNotDone"],
    deadLetters: db.prepare("SELECT event_seq, route, error FROM dead_letters").all() as LogAudit["deadLetters"],
    stagesNotSettled: db.prepare("SELECT media_id, stage, status FROM stage_state WHERE status NOT IN ('done', 'skipped')").all() as LogAudit["stagesNotSettled"],
  };
}

/** Rows of a table in a stable order, for before/after comparisons. */
export function snapshot(db: Database.Database, mediaId: string) {
  return {
    events: db.prepare("SELECT seq, id, dedupe_key, detail_type, body, created_at FROM events WHERE media_id = ? ORDER BY seq").all(mediaId),
    stages: db.prepare("SELECT * FROM stage_state WHERE media_id = ? ORDER BY stage").all(mediaId),
    deadLetters: (db.prepare("SELECT count(*) n FROM dead_letters").get() as { n: number }).n,
  };
}
