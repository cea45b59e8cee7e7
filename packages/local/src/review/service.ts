import {
  checkVerdict, DEFAULT_CLAIM_MS, holdConflict, MediaPipelineError, recordReviewDecision, REVIEWER_NAME, ReviewDecision, ReviewNotFoundError,
  ReviewTask, ReviewVerdict, ReviewVerdictError, taskView, type AuditEntry, type BlobStore, type Publish, type ReviewTaskView, type TaskHold,
  type TaskStatus,
} from "@media-pipeline/core";
import type { ReviewTaskRow, Store } from "../store/index.js";

/*
 * Local human review: the tasks request-review opened (review_tasks), claimed and decided by named
 * reviewers, with an audit log. The server's /review page and /reviews API and the `review` CLI all
 * go through this one service, so a claim taken on the page holds against the CLI too.
 */

/** A stored decision that could not be announced. */
export class ReviewAnnounceError extends MediaPipelineError {}

// The board's rules and shapes are core's (review/board.ts), shared with the cloud's review table.
export { DEFAULT_CLAIM_MS, ReviewConflictError, ReviewNotFoundError, type AuditEntry, type ReviewTaskView, type TaskStatus } from "@media-pipeline/core";

export interface ReviewServiceOptions {
  store: Store;
  blobs: BlobStore;
  publish: Publish;
  now?: () => Date;
  /** Problems that must not stop the caller (an undeliverable stored decision); stderr by default. */
  onError?: (error: Error) => void;
  /** How long a claim holds without renewal (default 30 minutes): an abandoned claim frees itself. */
  claimMs?: number;
}

export class ReviewService {
  private readonly store: Store;
  private readonly now: () => Date;
  private readonly claimMs: number;

  constructor(private readonly options: ReviewServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.claimMs = options.claimMs ?? DEFAULT_CLAIM_MS;
    this.options.onError ??= (error) => process.stderr.write(`${error.message}: ${String((error.cause as Error | undefined)?.message ?? "")}\n`);
  }

  private view(row: ReviewTaskRow, nowMs = this.now().getTime()): ReviewTaskView {
    return taskView(ReviewTask.parse(JSON.parse(row.input)), hold(row), row.filename, nowMs);
  }

  private row(taskId: string): ReviewTaskRow {
    const row = this.store.reviews.get(taskId);
    if (!row) throw new ReviewNotFoundError(`No review task ${taskId}`);
    return row;
  }

  /**
   * Tasks oldest first. `open` means not yet decided (claimed ones included: the queue shows who
   * holds them); `claimed` only those held right now; `decided` newest decision first.
   */
  list(filter: { status?: TaskStatus | "all" } = {}): { tasks: ReviewTaskView[]; counts: Record<TaskStatus, number> } {
    const status = filter.status ?? "open";
    const rows = this.store.reviews.list(status === "decided" || status === "all" ? status : "open");
    const nowMs = this.now().getTime();
    // A row that no longer parses (written by an older version) is left out rather than failing the queue.
    const all = rows.flatMap((r) => {
      try {
        return [this.view(r, nowMs)];
      } catch {
        return [];
      }
    });
    // The local runtime never ends a task undecided, so nothing is ever expired here.
    const tasks = status === "expired" ? [] : status === "claimed" ? all.filter((t) => t.status === "claimed") : all;
    const counts: Record<TaskStatus, number> = { open: 0, claimed: 0, decided: 0, expired: 0 };
    for (const { s, n } of this.store.reviews.counts(nowMs)) counts[s] = n;
    return { tasks, counts };
  }

  get(taskId: string): ReviewTaskView {
    return this.view(this.row(taskId));
  }

  audit(taskId: string): AuditEntry[] {
    this.row(taskId);
    return this.store.reviews.audit(taskId).map((r) => ({ at: new Date(r.at).toISOString(), reviewer: r.reviewer, action: r.action, detail: r.detail ? JSON.parse(r.detail) : null }));
  }

  private record(taskId: string, reviewer: string, action: Exclude<AuditEntry["action"], "expire">, atMs: number, detail?: unknown): void {
    this.store.reviews.recordAudit(taskId, reviewer, action, atMs, detail === undefined ? null : JSON.stringify(detail));
  }

  /** Throws the conflict that keeps `reviewer` from acting on the task, if any. */
  private checkFree(row: ReviewTaskRow, reviewer: string, nowMs: number): void {
    const conflict = holdConflict(hold(row), reviewer, nowMs);
    if (conflict) throw conflict;
  }

  /**
   * Takes (or renews) the claim: nobody else can decide the task while it holds. Atomic: SQLite runs
   * the check and the update in one transaction, so of two racing reviewers exactly one wins.
   */
  claim(taskId: string, reviewer: string): ReviewTaskView {
    return this.store.atomically(() => {
      const nowMs = this.now().getTime();
      const row = this.row(taskId);
      this.checkFree(row, reviewer, nowMs);
      const renewal = row.claimed_by === reviewer && (row.claim_expires_at ?? 0) > nowMs;
      this.store.reviews.setClaim(taskId, reviewer, nowMs + this.claimMs);
      // A renewal (the page renews while it is open) extends the claim without filling the audit log.
      if (!renewal) this.record(taskId, reviewer, "claim", nowMs, { until: new Date(nowMs + this.claimMs).toISOString() });
      return this.view(this.row(taskId), nowMs);
    });
  }

  /** Gives a claim back so another reviewer can take the task. */
  release(taskId: string, reviewer: string): ReviewTaskView {
    return this.store.atomically(() => {
      const nowMs = this.now().getTime();
      const row = this.row(taskId);
      this.checkFree(row, reviewer, nowMs);
      if (row.claimed_by === reviewer) {
        this.store.reviews.clearClaim(taskId);
        this.record(taskId, reviewer, "release", nowMs);
      }
      return this.view(this.row(taskId), nowMs);
    });
  }

  /**
   * Decides the task: checks the verdict against the task, stores it (an unclaimed task is claimed on
   * the way), then records the outcome and publishes `Review Completed`. A crash between the two is
   * repaired by `announceDecided` when the runtime opens again.
   */
  async decide(taskId: string, reviewer: string, verdict: ReviewVerdict): Promise<ReviewDecision> {
    // Checked here too, not only at the API: a stored decision that breaks the contract could never be announced.
    const shape = ReviewVerdict.safeParse(verdict);
    if (!shape.success) {
      const issues = shape.error.issues.map((i) => `${i.path.join(".") || "(verdict)"}: ${i.message}`);
      throw new ReviewVerdictError(`The verdict is malformed: ${issues.join("; ")}`, issues);
    }
    if (!REVIEWER_NAME.test(reviewer)) throw new ReviewVerdictError("The reviewer name must be 1–200 characters", ["reviewer"]);
    verdict = shape.data;
    const decision = this.store.atomically(() => {
      const now = this.now();
      const row = this.row(taskId);
      this.checkFree(row, reviewer, now.getTime());
      const task = ReviewTask.parse(JSON.parse(row.input));
      const checked = checkVerdict(task, verdict);
      const decision: ReviewDecision = { taskId, reviewer, decidedAt: now.toISOString(), ...checked, segments: checked.segments ?? [] };
      this.store.reviews.decide(taskId, JSON.stringify(decision), reviewer, now.getTime());
      this.record(taskId, reviewer, "decide", now.getTime(), {
        verdict: decision.verdict, segments: decision.segments, ...(decision.comment ? { comment: decision.comment } : {}),
      });
      return { decision, task };
    });
    await this.announce(decision.task, decision.decision);
    return decision.decision;
  }

  private announce(task: ReviewTask, decision: ReviewDecision): Promise<void> {
    return recordReviewDecision({ blobs: this.options.blobs, publish: this.options.publish }, { mediaId: task.mediaId, source: task.source }, decision);
  }

  /** Publishes `Review Completed` for decided tasks whose event never made it out (a crash after the commit). */
  async announceDecided(): Promise<number> {
    const rows = this.store.reviews.unannounced();
    let announced = 0;
    for (const r of rows) {
      // One unreadable row must not keep the runtime from opening: it is reported and skipped.
      try {
        await this.announce(ReviewTask.parse(JSON.parse(r.input)), ReviewDecision.parse(JSON.parse(r.decision)));
        announced++;
      } catch (error) {
        this.options.onError?.(new ReviewAnnounceError(`Could not announce the decided review of ${r.media_id}`, { cause: error }));
      }
    }
    return announced;
  }
}

/** A row as the board's rules read it. */
function hold(row: ReviewTaskRow): TaskHold {
  return {
    taskId: row.task_id,
    state: row.status === "decided" ? "decided" : "open",
    claimedBy: row.claimed_by,
    claimExpiresMs: row.claim_expires_at,
    decision: row.decision ? ReviewDecision.parse(JSON.parse(row.decision)) : null,
  };
}
