import type { BeginResult, StageName, StageOutput, StageRecord, StateStore } from "@media-pipeline/core";
import { statements, type Db } from "./db.js";

interface Row {
  media_id: string; stage: string; status: StageRecord["status"]; attempts: number; lease_until: number | null;
  owner: string | null; started_at: string | null; finished_at: string | null; output: string | null; error: string | null;
  published: number;
}

const STATE_SQL = {
  get: "SELECT * FROM stage_state WHERE media_id = ? AND stage = ?",
  claim: `INSERT INTO stage_state (media_id, stage, status, attempts, lease_until, owner, started_at)
    VALUES (?, ?, 'running', ?, ?, ?, ?)
    ON CONFLICT (media_id, stage) DO UPDATE SET status = 'running', attempts = excluded.attempts,
      lease_until = excluded.lease_until, owner = excluded.owner, started_at = excluded.started_at`,
  markPublished: "UPDATE stage_state SET published = 1 WHERE media_id = ? AND stage = ? AND status <> 'running'",
  release: "UPDATE stage_state SET lease_until = 0, owner = NULL WHERE media_id = ? AND stage = ? AND status = 'running'",
  list: "SELECT * FROM stage_state WHERE media_id = ? ORDER BY started_at",
  settle: `UPDATE stage_state SET status = ?, output = ?, error = ?, finished_at = ?, lease_until = NULL, published = 0
    WHERE media_id = ? AND stage = ?`,
};

/**
 * (mediaId, stage) state in SQLite: core's StateStore port. `begin` is one transaction (better-sqlite3
 * runs it synchronously, so it is atomic within the process, and SQLite's lock makes it atomic across
 * processes); a `running` row owned by a dead runtime (another owner id) can be taken over.
 */
export class SqliteStateStore implements StateStore {
  private readonly beginTx;
  private readonly sql;
  constructor(db: Db, private readonly owner: string, private readonly now = () => Date.now()) {
    this.sql = statements(db, STATE_SQL);
    this.beginTx = db.transaction((mediaId: string, stage: string, leaseMs: number): BeginResult => {
      const row = this.sql.get.get(mediaId, stage) as Row | undefined;
      const t = this.now();
      const published = row?.published === 1;
      if (row?.status === "done" || row?.status === "skipped") return { status: "done", output: parse(row.output), published };
      if (row?.status === "failed") return { status: "failed", output: parse(row.output), published };
      if (row?.status === "running" && row.owner === this.owner && (row.lease_until ?? 0) > t) return { status: "busy" };
      const attempts = (row?.attempts ?? 0) + 1;
      this.sql.claim.run(mediaId, stage, attempts, t + leaseMs, this.owner, new Date(t).toISOString());
      return { status: "started", attempt: attempts };
    });
  }

  async begin(mediaId: string, stage: StageName, leaseMs: number): Promise<BeginResult> {
    return this.beginTx.immediate(mediaId, stage, leaseMs);
  }

  async finish(mediaId: string, stage: StageName, output: StageOutput): Promise<void> {
    this.settle(mediaId, stage, "done", output, null);
  }

  async fail(mediaId: string, stage: StageName, error: { name: string; message: string }, output: StageOutput): Promise<void> {
    this.settle(mediaId, stage, "failed", output, JSON.stringify(error));
  }

  async markPublished(mediaId: string, stage: StageName): Promise<void> {
    this.sql.markPublished.run(mediaId, stage);
  }

  async release(mediaId: string, stage: StageName): Promise<void> {
    this.sql.release.run(mediaId, stage);
  }

  async list(mediaId: string): Promise<StageRecord[]> {
    const rows = this.sql.list.all(mediaId) as Row[];
    return rows.map((r) => ({
      stage: r.stage as StageName,
      status: r.status,
      attempts: r.attempts,
      ...(r.started_at ? { startedAt: r.started_at } : {}),
      ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
      ...(r.output ? { output: parse(r.output) } : {}),
      ...(r.error ? { error: JSON.parse(r.error) } : {}),
      ...(r.status !== "running" ? { published: r.published === 1 } : {}),
    }));
  }

  private settle(mediaId: string, stage: StageName, status: "done" | "failed", output: StageOutput, error: string | null) {
    this.sql.settle.run(status, JSON.stringify(output), error, new Date(this.now()).toISOString(), mediaId, stage);
  }
}

/** Stage state as the runtime and tools read it, whoever owns the claims. */
export class StageRecords {
  private readonly sql;
  constructor(db: Db) {
    this.sql = statements(db, {
      doneOutput: "SELECT output FROM stage_state WHERE media_id = ? AND stage = ? AND status = 'done'",
      snapshot: "SELECT stage, status, attempts, started_at, finished_at, output, error FROM stage_state WHERE media_id = ?",
      resetFailed: "UPDATE stage_state SET status = 'running', lease_until = 0, owner = NULL, output = NULL, error = NULL, finished_at = NULL WHERE media_id = ? AND stage = ? AND status = 'failed'",
    });
  }

  /** The stored output of a stage that finished (done), or undefined. */
  doneOutput(mediaId: string, stage: StageName): StageOutput | undefined {
    const row = this.sql.doneOutput.get(mediaId, stage) as { output: string | null } | undefined;
    return row?.output ? parse(row.output) : undefined;
  }

  /** Each stage's row as stored (no owner or lease), by stage: what a replay compares before and after. */
  snapshot(mediaId: string): Array<Record<string, unknown>> {
    return this.sql.snapshot.all(mediaId) as Array<Record<string, unknown>>;
  }

  /**
   * Gives a stage settled as failed back (as a retryable error does), so that its next delivery runs
   * it again; false when it is not failed.
   */
  resetFailed(mediaId: string, stage: StageName): boolean {
    return this.sql.resetFailed.run(mediaId, stage).changes > 0;
  }
}

function parse(text: string | null): StageOutput {
  return text ? (JSON.parse(text) as StageOutput) : { events: [] };
}
