import type { BeginResult, StageOutput, StageRecord, StateStore } from "../ports.js";
import type { StageName } from "../stage-names.js";

/**
 * An in-memory StateStore with the same conditional semantics as the SQLite and DynamoDB ones; for
 * unit tests of stages and for embedding the stages in a single short-lived process.
 */
export class MemoryStateStore implements StateStore {
  private readonly rows = new Map<string, StageRecord & { leaseUntil?: number }>();
  constructor(private readonly now: () => number = () => Date.now()) {}

  async begin(mediaId: string, stage: StageName, leaseMs: number): Promise<BeginResult> {
    const key = `${mediaId}/${stage}`;
    const row = this.rows.get(key);
    const published = row?.published === true;
    if (row?.status === "done" || row?.status === "skipped") return { status: "done", output: row.output ?? { events: [] }, published };
    if (row?.status === "failed") return { status: "failed", output: row.output ?? { events: [] }, published };
    if (row?.status === "running" && (row.leaseUntil ?? 0) > this.now()) return { status: "busy" };
    const attempts = (row?.attempts ?? 0) + 1;
    this.rows.set(key, { stage, status: "running", attempts, startedAt: new Date(this.now()).toISOString(), leaseUntil: this.now() + leaseMs });
    return { status: "started", attempt: attempts };
  }

  async finish(mediaId: string, stage: StageName, output: StageOutput): Promise<void> {
    this.settle(mediaId, stage, { status: "done", output });
  }

  async fail(mediaId: string, stage: StageName, error: { name: string; message: string }, output: StageOutput): Promise<void> {
    this.settle(mediaId, stage, { status: "failed", output, error });
  }

  async markPublished(mediaId: string, stage: StageName): Promise<void> {
    const row = this.rows.get(`${mediaId}/${stage}`);
    if (row && row.status !== "running") row.published = true;
  }

  async release(mediaId: string, stage: StageName): Promise<void> {
    const row = this.rows.get(`${mediaId}/${stage}`);
    if (row?.status === "running") row.leaseUntil = 0;
  }

  async list(mediaId: string): Promise<StageRecord[]> {
    return [...this.rows.entries()].filter(([k]) => k.startsWith(`${mediaId}/`)).map(([, { leaseUntil: _, ...r }]) => r);
  }

  private settle(mediaId: string, stage: StageName, patch: Partial<StageRecord>) {
    const row = this.rows.get(`${mediaId}/${stage}`);
    if (!row) throw new Error(`${stage} for ${mediaId} was never started`);
    Object.assign(row, patch, { finishedAt: new Date(this.now()).toISOString(), leaseUntil: undefined, published: false });
  }
}
