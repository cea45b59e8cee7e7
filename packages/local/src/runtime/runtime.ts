import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ReviewService } from "../review/service.js";
import { startSearchIndexer } from "../search/indexer.js";
import { openDb, storeFor, SqliteStateStore, type Db, type Store } from "../store/index.js";
import type { DurableBus, Redriven } from "./bus/index.js";
import type { LocalConfig } from "./config.js";
import { ingestFile, type IngestOptions } from "./ingest.js";
import { lockDataDir } from "./lock.js";
import { LocalObjectStore } from "./object-store.js";
import { watchOutcome, type Outcome } from "./outcome.js";
import { wireBus, type WiringOptions } from "./wiring.js";

// What opening can throw, and what `outcome` resolves to, are part of the runtime's API.
export { RuntimeLockedError } from "./lock.js";
export type { Outcome } from "./outcome.js";

export interface LocalRuntime {
  readonly config: LocalConfig;
  readonly bus: DurableBus;
  readonly state: SqliteStateStore;
  readonly objects: LocalObjectStore;
  /** Every table, through its methods: what the CLI and the server read and write. */
  readonly store: Store;
  /** The connection itself, for tests that inspect or break the file; product code goes through `store`. */
  readonly db: Db;
  /** Human review tasks: claim, decide, audit. */
  readonly reviews: ReviewService;
  /** Stores a file as an upload would and publishes `Media Received`. */
  ingest(file: string, options?: IngestOptions): Promise<string>;
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

/**
 * Opens the data directory (taking its lock), wires the route table to the stages and the stages to
 * the local engines, and starts the bus, which resumes whatever a previous process left undelivered.
 */
export async function openLocalRuntime(config: LocalConfig, options: WiringOptions = {}): Promise<LocalRuntime> {
  // Owner-only: it holds uploads, reports, the signing key and webhook secrets.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(config.dataDir);
  const db = openDb(path.join(config.dataDir, "pipeline.db"));
  const store = storeFor(db);
  const objects = new LocalObjectStore(config.dataDir);
  const state = new SqliteStateStore(db, randomUUID());
  const bus = wireBus({ config, db, store, objects, state }, options);
  const reviews = new ReviewService({ store, blobs: objects, publish: bus.publish });
  bus.start();
  const search = startSearchIndexer({ store, objects, bus });
  // A verdict committed just before a crash is announced now (its event is keyed, so never twice).
  await reviews.announceDecided();

  return {
    config, bus, state, objects, store, db, reviews,
    ingest: (file, opts) => ingestFile({ config, objects, store, publish: bus.publish }, file, opts),
    outcome: (mediaId) => watchOutcome(bus, store, mediaId),
    unfinished: () => store.media.unfinished(),
    redrive: (ids) => bus.redrive(ids),
    async close() {
      await bus.stop();
      await search.stop();
      db.close();
      unlock();
    },
  };
}
