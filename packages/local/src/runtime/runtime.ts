import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  createCompleteAnalysis, createDetectLabels, createFinalizeAnalysis, createDetectShots, createExtractAudio, createModerate, createPrepareVideo,
  createProbe, createRequestReview, createSummarizeScenes, createTranscribe, MediaPipelineError, routes as defaultRoutes, uploadKey,
  type AnyPipelineEvent, type EngineCallOptions, type PipelineEvent, type Route, type StageHandler, type StageName, type StateStore,
} from "@media-pipeline/core";
import { createLocalEngines, type LocalEngines } from "../engines/index.js";
import { createPassThroughPreparer } from "@media-pipeline/media";
import { currentDeliverySignal, DurableBus } from "./bus.js";
import { stageTimeoutMs, type LocalConfig } from "./config.js";
import { openDb, type Db } from "./db.js";
import { newMediaId } from "./ids.js";
import { LocalObjectStore } from "./object-store.js";
import { ReviewService } from "../review/service.js";
import { createSqliteReviewQueue } from "./review-queue.js";
import { SqliteStateStore } from "./state-store.js";

/** Another live process holds this data directory. */
export class RuntimeLockedError extends MediaPipelineError {}

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

/** Dead letters, oldest first; by default only those not yet redriven. Reads only: safe beside a running server. */
export function listDeadLetters(db: Db, options: { all?: boolean; routes?: readonly Route[] } = {}): DeadLetter[] {
  const stageOf = new Map((options.routes ?? defaultRoutes).map((r) => [r.name, r.stage]));
  const rows = db.prepare(
    `SELECT d.id, d.event_seq, d.route, d.attempts, d.error, d.created_at, d.redriven_at, e.media_id, e.detail_type
     FROM dead_letters d JOIN events e ON e.seq = d.event_seq ${options.all ? "" : "WHERE d.redriven_at IS NULL"} ORDER BY d.id`,
  ).all() as Array<{
    id: number; event_seq: number; route: string; attempts: number; error: string; created_at: number; redriven_at: number | null;
    media_id: string | null; detail_type: string;
  }>;
  return rows.map((r) => ({
    id: r.id, time: new Date(r.created_at).toISOString(), mediaId: r.media_id, eventSeq: r.event_seq, detailType: r.detail_type,
    route: r.route, stage: stageOf.get(r.route) ?? null, attempts: r.attempts, error: r.error,
    redrivenAt: r.redriven_at === null ? null : new Date(r.redriven_at).toISOString(),
  }));
}

/** How one media item's flow ended. */
export type Outcome =
  | { kind: "completed"; event: PipelineEvent<"Analysis Completed"> }
  | { kind: "rejected"; event: PipelineEvent<"Media Rejected"> }
  | { kind: "stalled"; reason: string };

export interface LocalRuntime {
  readonly config: LocalConfig;
  readonly bus: DurableBus;
  readonly state: SqliteStateStore;
  readonly objects: LocalObjectStore;
  readonly db: Db;
  /** Human review tasks: claim, decide, audit. */
  readonly reviews: ReviewService;
  /** Stores a file as an upload would and publishes `Media Received`. */
  ingest(file: string, options?: { filename?: string; contentType?: string }): Promise<string>;
  /** Resolves when the media's flow ends: report written, media rejected, or nothing left to run. */
  outcome(mediaId: string): Promise<Outcome>;
  /** Media items whose flow has not ended (for `resume`). */
  unfinished(): string[];
  /**
   * Puts dead-lettered deliveries back on the bus: the given ids, or every one not yet redriven. Each
   * delivery becomes pending with its attempts reset, and a stage its failure settled as failed is
   * given back so that it runs again. Throws `DeadLetterNotFoundError` for an unknown or redriven id.
   */
  redrive(ids?: readonly number[]): Redriven[];
  close(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One runtime per data directory: a second live process would run stages twice. */
function lock(dataDir: string): () => void {
  const file = path.join(dataDir, "runtime.lock");
  try {
    const pid = Number(readFileSync(file, "utf8"));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new RuntimeLockedError(`Another media-pipeline process (pid ${pid}) is using ${dataDir}; stop it or use another --data-dir`);
    }
  } catch (error) {
    if (error instanceof RuntimeLockedError) throw error;
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

/**
 * The media's duration for a stage's deadline: from the event when it says (Media Probed, Audio
 * Extracted), else from the probe's stored facts; undefined before the probe.
 */
function mediaDuration(db: Db): (event: AnyPipelineEvent) => number | undefined {
  // Prepared once: this runs for every delivery.
  const probed = db.prepare("SELECT output FROM stage_state WHERE media_id = ? AND stage = 'probe' AND status = 'done'");
  return (event) => {
    const inEvent = (event.detail as { durationMs?: unknown }).durationMs;
    if (typeof inEvent === "number") return inEvent;
    const row = probed.get(event.detail.mediaId) as { output: string | null } | undefined;
    const facts = row?.output ? (JSON.parse(row.output) as { facts?: { durationMs?: unknown } }).facts : undefined;
    return typeof facts?.durationMs === "number" ? facts.durationMs : undefined;
  };
}

/**
 * Hands engines the signal of the delivery they run in when the stage code passes none, so a stage
 * that gives up (its timeout) also stops the engine's child process.
 */
function withDeliverySignal(engines: LocalEngines): LocalEngines {
  const call = (given: EngineCallOptions | undefined): EngineCallOptions => {
    const signal = given?.signal ?? currentDeliverySignal();
    return signal ? { ...given, signal } : { ...given };
  };
  return {
    ...engines,
    extractor: { extract: (source, target, onProgress, options) => engines.extractor.extract(source, target, onProgress, call(options)) },
    transcriber: { transcribe: (input, onProgress, options) => engines.transcriber.transcribe(input, onProgress, call(options)) },
  };
}

/**
 * The state store as the stages see it. A stage claims (mediaId, stage) under this runtime's owner
 * id; if recording its result then fails and giving the claim back fails too (a full disk, a lock
 * held past busy_timeout), the claim stays `running` under a live lease and every retry would find it
 * "busy" and do nothing: the media would stall. The runtime knows which claims a run in this process
 * still holds, so a busy claim that none holds is an orphan, given back and claimed anew.
 */
function reclaimOrphans(state: StateStore): StateStore {
  const holding = new Map<string, number>();
  const key = (mediaId: string, stage: StageName) => `${mediaId}/${stage}`;
  const hold = (k: string, by: number) => holding.set(k, (holding.get(k) ?? 0) + by);
  const settle = async <T>(k: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      // Settled or not, the run that held the claim is over.
      if ((holding.get(k) ?? 0) > 0) hold(k, -1);
    }
  };
  return {
    async begin(mediaId, stage, leaseMs) {
      const k = key(mediaId, stage);
      let claim = await state.begin(mediaId, stage, leaseMs);
      if (claim.status === "busy" && !(holding.get(k) ?? 0)) {
        await state.release(mediaId, stage);
        claim = await state.begin(mediaId, stage, leaseMs);
      }
      if (claim.status === "started") hold(k, 1);
      return claim;
    },
    finish: (mediaId, stage, output) => settle(key(mediaId, stage), () => state.finish(mediaId, stage, output)),
    fail: (mediaId, stage, error, output) => settle(key(mediaId, stage), () => state.fail(mediaId, stage, error, output)),
    release: (mediaId, stage) => settle(key(mediaId, stage), () => state.release(mediaId, stage)),
    markPublished: (mediaId, stage) => state.markPublished(mediaId, stage),
    list: (mediaId) => state.list(mediaId),
  };
}

/** Wires the route table to the stages, the stages to the local engines, and starts the bus. */
export async function openLocalRuntime(
  config: LocalConfig,
  options: { engines?: Partial<LocalEngines>; routes?: readonly Route[]; maxAttempts?: number; baseBackoffMs?: number } = {},
): Promise<LocalRuntime> {
  // Owner-only: it holds uploads, reports, the signing key and webhook secrets.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const unlock = lock(config.dataDir);
  const db = openDb(path.join(config.dataDir, "pipeline.db"));
  const objects = new LocalObjectStore(config.dataDir);
  const state = new SqliteStateStore(db, randomUUID());
  const engines = withDeliverySignal({ ...createLocalEngines(config, objects.pathOf), ...options.engines });
  const handlers: Partial<Record<StageName, StageHandler>> = {};
  const routes = options.routes ?? defaultRoutes;
  const durationOf = mediaDuration(db);
  const bus = new DurableBus({
    db, routes, handlers, workers: config.workers,
    timeoutFor: (stage, event) => stageTimeoutMs(config, stage, durationOf(event)),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.baseBackoffMs ? { baseBackoffMs: options.baseBackoffMs } : {}),
  });
  const deps = { state: reclaimOrphans(state), publish: bus.publish };
  const reportDeps = { ...deps, blobs: objects, now: () => new Date(), keyframeUri: (ref: { key: string }) => `keyframes/${path.posix.basename(ref.key)}` };
  Object.assign(handlers, {
    probe: createProbe({ ...deps, prober: engines.prober, blobs: objects, limits: config.limits }),
    "prepare-video": createPrepareVideo({ ...deps, preparer: createPassThroughPreparer() }),
    "extract-audio": createExtractAudio({ ...deps, extractor: engines.extractor }),
    "detect-shots": createDetectShots({ ...deps, detector: engines.shots, blobs: objects }),
    "detect-labels": createDetectLabels({ ...deps, detector: engines.labels, blobs: objects }),
    moderate: createModerate({ ...deps, detector: engines.moderation, blobs: objects, thresholds: config.thresholds }),
    transcribe: createTranscribe({ ...deps, transcriber: engines.transcriber, blobs: objects, maxSpeakers: config.maxSpeakers, language: config.language }),
    "summarize-scenes": createSummarizeScenes({ ...deps, blobs: objects, summarizer: engines.summarizer }),
    "request-review": createRequestReview({ ...deps, queue: createSqliteReviewQueue(db), blobs: objects, now: () => new Date() }),
    "complete-analysis": createCompleteAnalysis(reportDeps),
    "finalize-analysis": createFinalizeAnalysis(reportDeps),
  } satisfies Record<StageName, StageHandler>);
  const reviews = new ReviewService({ db, blobs: objects, publish: bus.publish });
  bus.start();
  // A verdict committed just before a crash is announced now (its event is keyed, so never twice).
  await reviews.announceDecided();

  const terminal = (mediaId: string): Outcome | undefined => {
    const row = db
      .prepare("SELECT body FROM events WHERE media_id = ? AND detail_type IN ('Analysis Completed', 'Media Rejected') ORDER BY seq LIMIT 1")
      .get(mediaId) as { body: string } | undefined;
    if (!row) return undefined;
    const event = JSON.parse(row.body) as AnyPipelineEvent;
    return event["detail-type"] === "Analysis Completed"
      ? { kind: "completed", event: event as PipelineEvent<"Analysis Completed"> }
      : { kind: "rejected", event: event as PipelineEvent<"Media Rejected"> };
  };

  return {
    config, bus, state, objects, db, reviews,
    async ingest(file, opts = {}) {
      const mediaId = newMediaId();
      const filename = (opts.filename ?? path.basename(file)).slice(0, 255) || "upload";
      const source = { bucket: config.bucket, key: uploadKey(mediaId, filename) };
      const sizeBytes = await objects.putFile(source, file);
      db.prepare("INSERT INTO media (media_id, filename, source_key, created_at) VALUES (?, ?, ?, ?)").run(mediaId, filename, source.key, Date.now());
      await bus.publish("Media Received", {
        version: 1, mediaId, correlationId: mediaId, source, filename, sizeBytes,
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
      });
      return mediaId;
    },
    outcome(mediaId) {
      return new Promise((resolve) => {
        const check = () => {
          const done = terminal(mediaId);
          if (done) return finish(done);
          if (bus.pendingCount(mediaId) === 0) {
            const dead = db.prepare(
              "SELECT d.route, d.last_error FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.media_id = ? AND d.status = 'dead' LIMIT 1",
            ).get(mediaId) as { route: string; last_error: string } | undefined;
            return finish({ kind: "stalled", reason: dead ? `delivery to ${dead.route} failed: ${dead.last_error}` : "no work left and no result" });
          }
        };
        const onDelivery = (n: { mediaId: string; status: string }) => {
          if (n.mediaId === mediaId && (n.status === "done" || n.status === "dead")) check();
        };
        const finish = (o: Outcome) => {
          bus.off("delivery", onDelivery);
          resolve(o);
        };
        bus.on("delivery", onDelivery);
        check();
      });
    },
    unfinished() {
      const rows = db.prepare(
        `SELECT m.media_id FROM media m WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.media_id = m.media_id
           AND e.detail_type IN ('Analysis Completed', 'Media Rejected')) ORDER BY m.created_at`,
      ).all() as Array<{ media_id: string }>;
      return rows.map((r) => r.media_id);
    },
    redrive(ids) {
      const stageOf = new Map(routes.map((r) => [r.name, r.stage]));
      const now = Date.now();
      const redriven = db.transaction((): Redriven[] => {
        const letters = listDeadLetters(db, { all: ids !== undefined, routes });
        const chosen = ids === undefined ? letters : ids.map((id) => {
          const letter = letters.find((l) => l.id === id);
          if (!letter) throw new DeadLetterNotFoundError(`No dead letter ${id}: see \`media-pipeline dlq list\``);
          if (letter.redrivenAt) throw new DeadLetterNotFoundError(`Dead letter ${id} was already redriven at ${letter.redrivenAt}`);
          return letter;
        });
        return chosen.map((l) => {
          db.prepare("UPDATE deliveries SET status = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE event_seq = ? AND route = ?")
            .run(now, now, l.eventSeq, l.route);
          db.prepare("UPDATE dead_letters SET redriven_at = ? WHERE id = ?").run(now, l.id);
          const stage = stageOf.get(l.route) ?? null;
          // Failing on its last attempt settled the stage as failed; left so, the redriven delivery
          // would only re-publish that failure. Given back (as a retryable error does), it runs again.
          const reset = stage && l.mediaId
            ? db.prepare(
                "UPDATE stage_state SET status = 'running', lease_until = 0, owner = NULL, output = NULL, error = NULL, finished_at = NULL WHERE media_id = ? AND stage = ? AND status = 'failed'",
              ).run(l.mediaId, stage).changes > 0
            : false;
          return { id: l.id, eventSeq: l.eventSeq, route: l.route, stage, mediaId: l.mediaId, stageReset: reset };
        });
      })();
      bus.wake();
      return redriven;
    },
    async close() {
      await bus.stop();
      db.close();
      unlock();
    },
  };
}
