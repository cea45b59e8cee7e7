import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  createCompleteAnalysis, createDetectLabels, createFinalizeAnalysis, createDetectShots, createExtractAudio, createModerate, createProbe,
  createRequestReview, createSummarizeScenes, createTranscribe, MediaPipelineError, routes as defaultRoutes, uploadKey,
  type AnyPipelineEvent, type PipelineEvent, type Route, type StageHandler, type StageName,
} from "@media-pipeline/core";
import { createLocalEngines, type LocalEngines } from "../engines/index.js";
import { DurableBus } from "./bus.js";
import type { LocalConfig } from "./config.js";
import { openDb, type Db } from "./db.js";
import { newMediaId } from "./ids.js";
import { LocalObjectStore } from "./object-store.js";
import { ReviewService } from "../review/service.js";
import { createSqliteReviewQueue } from "./review-queue.js";
import { SqliteStateStore } from "./state-store.js";

/** Another live process holds this data directory. */
export class RuntimeLockedError extends MediaPipelineError {}

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

/** Wires the route table to the stages, the stages to the local engines, and starts the bus. */
export async function openLocalRuntime(
  config: LocalConfig,
  options: { engines?: Partial<LocalEngines>; routes?: readonly Route[]; maxAttempts?: number; baseBackoffMs?: number } = {},
): Promise<LocalRuntime> {
  mkdirSync(config.dataDir, { recursive: true });
  const unlock = lock(config.dataDir);
  const db = openDb(path.join(config.dataDir, "pipeline.db"));
  const objects = new LocalObjectStore(config.dataDir);
  const state = new SqliteStateStore(db, randomUUID());
  const engines = { ...createLocalEngines(config, objects.pathOf), ...options.engines };
  const handlers: Partial<Record<StageName, StageHandler>> = {};
  const bus = new DurableBus({
    db, routes: options.routes ?? defaultRoutes, handlers, workers: config.workers,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.baseBackoffMs ? { baseBackoffMs: options.baseBackoffMs } : {}),
  });
  const deps = { state, publish: bus.publish };
  const reportDeps = { ...deps, blobs: objects, now: () => new Date(), keyframeUri: (ref: { key: string }) => `keyframes/${path.posix.basename(ref.key)}` };
  Object.assign(handlers, {
    probe: createProbe({ ...deps, prober: engines.prober, blobs: objects, limits: config.limits }),
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
    async close() {
      await bus.stop();
      db.close();
      unlock();
    },
  };
}
