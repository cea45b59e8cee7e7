import { statements, type Db } from "./db.js";

/** A review task as stored, with its media's filename. `input` and `decision` are JSON. */
export interface ReviewTaskRow {
  task_id: string;
  media_id: string;
  status: string;
  input: string;
  created_at: number;
  claimed_by: string | null;
  claim_expires_at: number | null;
  decision: string | null;
  filename: string | null;
}

export interface ReviewAuditRow { at: number; reviewer: string; action: "claim" | "release" | "decide"; detail: string | null }

const SELECT = `SELECT t.task_id, t.media_id, t.status, t.input, t.created_at, t.claimed_by, t.claim_expires_at, t.decision, m.filename
  FROM review_tasks t LEFT JOIN media m ON m.media_id = t.media_id`;

/**
 * Human review tasks (`review_tasks`) and their audit log (`review_audit`). The review service holds
 * the rules (who may claim, what a verdict must say); this holds the rows.
 */
export class ReviewTasks {
  private readonly sql;
  constructor(db: Db) {
    this.sql = statements(db, {
      open: "INSERT OR IGNORE INTO review_tasks (task_id, media_id, status, input, created_at) VALUES (?, ?, 'open', ?, ?)",
      get: `${SELECT} WHERE t.task_id = ?`,
      listOpen: `${SELECT} WHERE t.status = 'open' ORDER BY t.created_at, t.task_id`,
      listDecided: `${SELECT} WHERE t.status = 'decided' ORDER BY t.decided_at DESC, t.task_id`,
      listAll: `${SELECT} ORDER BY t.created_at, t.task_id`,
      counts: `SELECT CASE WHEN status = 'decided' THEN 'decided' WHEN claimed_by IS NOT NULL AND claim_expires_at > ? THEN 'claimed' ELSE 'open' END AS s,
        COUNT(*) AS n FROM review_tasks GROUP BY s`,
      audit: "SELECT at, reviewer, action, detail FROM review_audit WHERE task_id = ? ORDER BY id",
      record: "INSERT INTO review_audit (task_id, at, reviewer, action, detail) VALUES (?, ?, ?, ?, ?)",
      claim: "UPDATE review_tasks SET claimed_by = ?, claim_expires_at = ? WHERE task_id = ?",
      release: "UPDATE review_tasks SET claimed_by = NULL, claim_expires_at = NULL WHERE task_id = ?",
      decide: "UPDATE review_tasks SET status = 'decided', decision = ?, decided_by = ?, decided_at = ?, claimed_by = ?, claim_expires_at = NULL WHERE task_id = ?",
      unannounced: `SELECT t.input, t.decision, t.media_id FROM review_tasks t WHERE t.status = 'decided'
        AND NOT EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key = t.media_id || '/review/Review Completed')`,
    });
  }

  /** Opens a task (its contract as JSON); opening one twice keeps the first. */
  open(taskId: string, mediaId: string, input: string, createdAt: number): void {
    this.sql.open.run(taskId, mediaId, input, createdAt);
  }

  get(taskId: string): ReviewTaskRow | undefined {
    return this.sql.get.get(taskId) as ReviewTaskRow | undefined;
  }

  /** `open`: not decided, oldest first; `decided`: newest decision first; `all`: oldest first. */
  list(status: "open" | "decided" | "all"): ReviewTaskRow[] {
    const statement = status === "decided" ? this.sql.listDecided : status === "all" ? this.sql.listAll : this.sql.listOpen;
    return statement.all() as ReviewTaskRow[];
  }

  /** How many tasks are decided, claimed (a claim live at `nowMs`) and open. */
  counts(nowMs: number): Array<{ s: "open" | "claimed" | "decided"; n: number }> {
    return this.sql.counts.all(nowMs) as Array<{ s: "open" | "claimed" | "decided"; n: number }>;
  }

  audit(taskId: string): ReviewAuditRow[] {
    return this.sql.audit.all(taskId) as ReviewAuditRow[];
  }

  recordAudit(taskId: string, reviewer: string, action: ReviewAuditRow["action"], atMs: number, detail: string | null): void {
    this.sql.record.run(taskId, atMs, reviewer, action, detail);
  }

  setClaim(taskId: string, reviewer: string, untilMs: number): void {
    this.sql.claim.run(reviewer, untilMs, taskId);
  }

  clearClaim(taskId: string): void {
    this.sql.release.run(taskId);
  }

  /** Stores the decision (JSON); the decider keeps the claim so the row says who decided. */
  decide(taskId: string, decision: string, reviewer: string, atMs: number): void {
    this.sql.decide.run(decision, reviewer, atMs, reviewer, taskId);
  }

  /** Decided tasks whose `Review Completed` is not in the event log (a crash after the commit). */
  unannounced(): Array<{ input: string; decision: string; media_id: string }> {
    return this.sql.unannounced.all() as Array<{ input: string; decision: string; media_id: string }>;
  }
}
