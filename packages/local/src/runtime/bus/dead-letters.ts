import { MediaPipelineError, routes as defaultRoutes, type Route, type StageName } from "@media-pipeline/core";
import type { Store } from "../../store/index.js";

/** A dead letter asked for by id that does not exist, or was already redriven. */
export class DeadLetterNotFoundError extends MediaPipelineError {}

/** A dead-lettered delivery as `dlq list` shows it. */
export interface DeadLetter {
  id: number;
  /** When it was dead-lettered (ISO). */
  time: string;
  mediaId: string | null;
  eventSeq: number;
  detailType: string;
  route: string;
  stage: StageName | null;
  attempts: number;
  error: string;
  redrivenAt: string | null;
}

/** A dead letter put back on the bus. */
export interface Redriven {
  id: number;
  eventSeq: number;
  route: string;
  stage: StageName | null;
  mediaId: string | null;
  /** The stage's failed record was reset so that the redriven delivery runs it again. */
  stageReset: boolean;
}

const stagesOf = (routes: readonly Route[]) => new Map(routes.map((r) => [r.name, r.stage]));

/** Dead letters, oldest first; by default only those not yet redriven. Reads only: safe beside a running server. */
export function listDeadLetters(store: Store, options: { all?: boolean; routes?: readonly Route[] } = {}): DeadLetter[] {
  const stageOf = stagesOf(options.routes ?? defaultRoutes);
  return store.deliveries.deadLetters({ all: Boolean(options.all) }).map((r) => ({
    id: r.id, time: new Date(r.created_at).toISOString(), mediaId: r.media_id, eventSeq: r.event_seq, detailType: r.detail_type,
    route: r.route, stage: stageOf.get(r.route) ?? null, attempts: r.attempts, error: r.error,
    redrivenAt: r.redriven_at === null ? null : new Date(r.redriven_at).toISOString(),
  }));
}

/**
 * Puts dead-lettered deliveries back as pending: the given ids, or every one not yet redriven, in one
 * transaction. Each delivery's attempts are reset, and a stage its failure settled as failed is given
 * back so that it runs again. Throws `DeadLetterNotFoundError` for an unknown or redriven id. The bus
 * dispatches them once woken (`DurableBus.redrive` does both).
 */
export function redriveDeadLetters(store: Store, routes: readonly Route[], ids?: readonly number[]): Redriven[] {
  const stageOf = stagesOf(routes);
  const now = Date.now();
  return store.atomically((): Redriven[] => {
    const letters = listDeadLetters(store, { all: ids !== undefined, routes });
    const chosen = ids === undefined ? letters : ids.map((id) => {
      const letter = letters.find((l) => l.id === id);
      if (!letter) throw new DeadLetterNotFoundError(`No dead letter ${id}: see \`media-pipeline dlq list\``);
      if (letter.redrivenAt) throw new DeadLetterNotFoundError(`Dead letter ${id} was already redriven at ${letter.redrivenAt}`);
      return letter;
    });
    return chosen.map((l) => {
      store.deliveries.redrive(l.id, l.eventSeq, l.route, now);
      const stage = stageOf.get(l.route) ?? null;
      // Failing on its last attempt settled the stage as failed; left so, the redriven delivery
      // would only re-publish that failure. Given back (as a retryable error does), it runs again.
      const reset = stage && l.mediaId ? store.stages.resetFailed(l.mediaId, stage) : false;
      return { id: l.id, eventSeq: l.eventSeq, route: l.route, stage, mediaId: l.mediaId, stageReset: reset };
    });
  });
}
