import { openDb, openDbReadOnly, type Db } from "./db.js";
import { Deliveries } from "./deliveries.js";
import { EventLog } from "./events.js";
import { MediaItems } from "./media.js";
import { ReviewTasks } from "./review-tasks.js";
import { SearchIndexTables } from "./search.js";
import { StageRecords } from "./stage-state.js";
import { UploadSessions } from "./uploads.js";
import { WebhookStore } from "./webhooks.js";

export * from "./db.js";
export * from "./deliveries.js";
export * from "./events.js";
export * from "./media.js";
export * from "./review-tasks.js";
export * from "./search.js";
export * from "./stage-state.js";
export * from "./uploads.js";
export * from "./webhooks.js";

/**
 * The local runtime's database: every table, one part per concern, over one connection. The rest of
 * the package calls these methods; no SQL lives anywhere else.
 */
export class Store {
  readonly events: EventLog;
  readonly deliveries: Deliveries;
  readonly stages: StageRecords;
  readonly media: MediaItems;
  readonly reviews: ReviewTasks;
  readonly uploads: UploadSessions;
  readonly webhooks: WebhookStore;
  readonly search: SearchIndexTables;

  constructor(private readonly db: Db) {
    this.events = new EventLog(db);
    this.deliveries = new Deliveries(db);
    this.stages = new StageRecords(db);
    this.media = new MediaItems(db);
    this.reviews = new ReviewTasks(db);
    this.uploads = new UploadSessions(db);
    this.webhooks = new WebhookStore(db);
    this.search = new SearchIndexTables(db);
  }

  /**
   * Runs `work` (calls of this store's methods) as one write transaction, taken at the start
   * (BEGIN IMMEDIATE) so that a read inside it cannot go stale before the write; nested calls
   * become savepoints. Throwing rolls it all back.
   */
  atomically<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  close(): void {
    this.db.close();
  }
}

const stores = new WeakMap<Db, Store>();

/** The one store over an open connection (the bus, the runtime and the services share it). */
export function storeFor(db: Db): Store {
  let store = stores.get(db);
  if (!store) {
    store = new Store(db);
    stores.set(db, store);
  }
  return store;
}

/** Opens (creating and migrating) the database file as a store. */
export function openStore(file: string): Store {
  return storeFor(openDb(file));
}

/** Opens an existing database to read only, beside a running writer; its schema is left as it is. */
export function openStoreReadOnly(file: string): Store {
  return storeFor(openDbReadOnly(file));
}
