import type { BeginResult, StageName, StageOutput, StageRecord, StateStore } from "@media-pipeline/core";
import type { Db } from "./db.js";

interface Row {
  media_id: string; stage: string; status: StageRecord["status"]; attempts: number; lease_until: number | null;
  owner: string | null; started_at: string | null; finished_at: string | null; output: string | null; error: string | null;
  published: number;
}

/**
 * (mediaId, stage) state in SQLite. `begin` is one transaction (better-sqlite3 runs it
 * synchronously, so it is atomic within the process, and SQLite's lock makes it atomic across
 * processes); a `running` row owned by a dead runtime (another owner id) can be taken over.
 */
export class SqliteStateStore implements StateStore {
  private readonly beginTx;
  constructor(private readonly db: Db, private readonly owner: string, private readonly now = () => Date.now()) {
    this.beginTx = db.transaction((mediaId: string, stage: string, leaseMs: number): BeginResult => {
      const row = db.prepare("SELECT * FROM stage_state WHERE media_id = ? AND stage = ?").get(mediaId, stage) as Row | undefined;
      const t = this.now();
      const published = row?.published === 1;
      if (row?.status === "done" || row?.status === "skipped") return { status: "done", output: parse(row.output), published };
      if (row?.status === "failed") return { status: "failed", output: parse(row.output), published };
      if (row?.status === "running" && row.owner === this.owner && (row.lease_until ?? 0) > t) return { status: "busy" };
      const attempts = (row?.attempts ?? 0) + 1;
      db.prepare(
        `INSERT INTO stage_state (media_id, stage, status, attempts, lease_until, owner, started_at)
         VALUES (?, ?, 'running', ?, ?, ?, ?)
         ON CONFLICT (media_id, stage) DO UPDATE SET status = 'running', attempts = excluded.attempts,
           lease_until = excluded.lease_until, owner = excluded.owner, started_at = excluded.started_at`,
      ).run(mediaId, stage, attempts, t + leaseMs, this.owner, new Date(t).toISOString());
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
    this.db.prepare("UPDATE stage_state SET published = 1 WHERE media_id = ? AND stage = ? AND status <> 'running'").run(mediaId, stage);
  }

  async release(mediaId: string, stage: StageName): Promise<void> {
    this.db.prepare("UPDATE stage_state SET lease_until = 0, owner = NULL WHERE media_id = ? AND stage = ? AND status = 'running'").run(mediaId, stage);
  }

  async list(mediaId: string): Promise<StageRecord[]> {
    const rows = this.db.prepare("SELECT * FROM stage_state WHERE media_id = ? ORDER BY started_at").all(mediaId) as Row[];
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
    this.db.prepare(
      `UPDATE stage_state SET status = ?, output = ?, error = ?, finished_at = ?, lease_until = NULL, published = 0
       WHERE media_id = ? AND stage = ?`,
    ).run(status, JSON.stringify(output), error, new Date(this.now()).toISOString(), mediaId, stage);
  }
}

function parse(text: string | null): StageOutput {
  return text ? (JSON.parse(text) as StageOutput) : { events: [] };
}
