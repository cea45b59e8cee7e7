import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * The schema as numbered migrations: migration i brings a database from `PRAGMA user_version` i to
 * i + 1, in one transaction with the version bump. The first is written with IF NOT EXISTS because
 * databases made before versioning (user_version 0) already have its tables.
 */
const MIGRATIONS: string[] = [`
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  dedupe_key TEXT UNIQUE,
  detail_type TEXT NOT NULL,
  media_id TEXT,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_media ON events(media_id, seq);
CREATE TABLE IF NOT EXISTS deliveries (
  event_seq INTEGER NOT NULL REFERENCES events(seq),
  route TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','done','dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (event_seq, route)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(status, next_at);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq INTEGER NOT NULL REFERENCES events(seq),
  route TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  redriven_at INTEGER
);
CREATE TABLE IF NOT EXISTS stage_state (
  media_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running','done','failed','skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER,
  owner TEXT,
  started_at TEXT,
  finished_at TEXT,
  output TEXT,
  error TEXT,
  PRIMARY KEY (media_id, stage)
);
CREATE TABLE IF NOT EXISTS media (
  media_id TEXT PRIMARY KEY,
  filename TEXT NOT NULL,
  source_key TEXT NOT NULL,
  sha256 TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS review_tasks (
  task_id TEXT PRIMARY KEY,
  media_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  pattern TEXT NOT NULL,
  secret TEXT NOT NULL,
  -- Events up to this seq have been matched against the pattern (and their deliveries queued); a
  -- restart scans on from here, so an event committed just before a crash is not missed.
  cursor_seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_seq INTEGER NOT NULL REFERENCES events(seq),
  status TEXT NOT NULL CHECK (status IN ('pending','done','dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (subscription_id, event_seq)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_queue ON webhook_deliveries(subscription_id, status, event_seq);
`,
  // Whether a settled stage's events reached the bus, so a redelivery publishes them only if not.
  // Rows settled before this column existed were published when they settled.
  `ALTER TABLE stage_state ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
UPDATE stage_state SET published = 1 WHERE status <> 'running';`,
];

/** The schema version this code writes; a database from a newer version is refused, not guessed at. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database was written by a newer media-pipeline than this one. */
export class SchemaTooNewError extends Error {
  override name = "SchemaTooNewError";
}

function migrate(db: Db, file: string): void {
  const versionOf = () => db.pragma("user_version", { simple: true }) as number;
  // Each step re-reads the version inside its write transaction: a CLI and a server opening the same
  // file at once must not both apply one migration.
  const step = db.transaction(() => {
    const version = versionOf();
    if (version > SCHEMA_VERSION) {
      throw new SchemaTooNewError(`${file} has schema version ${version}, newer than the ${SCHEMA_VERSION} this media-pipeline knows: upgrade media-pipeline to open it`);
    }
    if (version === SCHEMA_VERSION) return false;
    db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  while (step.immediate()) { /* next migration */ }
}

/**
 * Switching a new file to WAL takes a lock that SQLite does not wait for (it skips the busy handler
 * there to avoid a deadlock), so a second process creating the same file at that moment gets
 * SQLITE_BUSY at once: wait a little and try again, for as long as the busy timeout would have.
 */
function enableWal(db: Db): void {
  const until = Date.now() + 5_000;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== "SQLITE_BUSY" || Date.now() > until) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/**
 * Opens (and creates) the runtime's SQLite database. WAL lets readers (the CLI, the server) run
 * beside the writer; `synchronous = NORMAL` in WAL mode still never corrupts the database on a crash
 * and loses at most the last transactions on power loss, not on a process kill.
 */
export function openDb(file: string): Db {
  const db = new Database(file);
  enableWal(db);
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  try {
    migrate(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
