import type Database from "better-sqlite3";

type Db = Database.Database;

/**
 * One step of the schema: brings a database from `PRAGMA user_version` i to i + 1 (run in one
 * transaction with the version bump). A step that may meet what it creates already (databases made
 * before versioning, or tables an older media-pipeline created at run time) checks before it adds.
 */
export interface Migration {
  /** What the step brings, for people reading the list. */
  readonly name: string;
  up(db: Db): void;
}

const sql = (name: string, text: string): Migration => ({ name, up: (db) => void db.exec(text) });

/** Adds a column unless the table has it (SQLite's ADD COLUMN has no IF NOT EXISTS). */
function addColumn(db: Db, table: string, column: string, type: string): void {
  const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

/**
 * The schema, oldest step first; never edit a step that has shipped, add one. Every table of the
 * local runtime is created here and nowhere else.
 */
export const MIGRATIONS: readonly Migration[] = [
  // Written with IF NOT EXISTS because databases made before versioning (user_version 0) already have these tables.
  sql("event log, deliveries, dead letters, stage state, media, review tasks, webhooks", `
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
`),
  // Whether a settled stage's events reached the bus, so a redelivery publishes them only if not.
  // Rows settled before this column existed were published when they settled.
  sql("stage_state.published", `ALTER TABLE stage_state ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
UPDATE stage_state SET published = 1 WHERE status <> 'running';`),
  // The server created these itself when it started, before they were part of the schema: IF NOT EXISTS.
  sql("server upload sessions and their parts", `
CREATE TABLE IF NOT EXISTS server_uploads (
  media_id TEXT PRIMARY KEY,
  upload_id TEXT NOT NULL UNIQUE,
  key TEXT NOT NULL UNIQUE,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  part_size INTEGER,
  part_count INTEGER,
  status TEXT NOT NULL CHECK (status IN ('pending','receiving','completing','completed','aborted')),
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS server_upload_parts (
  media_id TEXT NOT NULL REFERENCES server_uploads(media_id),
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (media_id, part_number)
);
`),
  {
    // The review service added these when it started, before they were part of the schema: each
    // column only if missing, the rest IF NOT EXISTS.
    name: "review claims, decisions and audit log",
    up(db) {
      addColumn(db, "review_tasks", "claimed_by", "TEXT");
      addColumn(db, "review_tasks", "claim_expires_at", "INTEGER");
      addColumn(db, "review_tasks", "decided_by", "TEXT");
      addColumn(db, "review_tasks", "decided_at", "INTEGER");
      addColumn(db, "review_tasks", "decision", "TEXT");
      db.exec(`
CREATE INDEX IF NOT EXISTS review_tasks_queue ON review_tasks(status, created_at);
CREATE TABLE IF NOT EXISTS review_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL REFERENCES review_tasks(task_id),
  at INTEGER NOT NULL,
  reviewer TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('claim','release','decide')),
  detail TEXT
);
CREATE INDEX IF NOT EXISTS review_audit_task ON review_audit(task_id, id);
`);
    },
  },
  // Derived from the event log, so it starts empty and the indexer fills it from seq 0 on its first
  // run. Two FTS5 indexes over one content table: porter stemming lets "dogs" find "dog", but it stems
  // a typed prefix too ("runn*" never reaches the stored "run"), so prefix terms go to an index of the
  // tokens as written. remove_diacritics 2 folds "café" to "cafe" for every code point (1 misses some).
  // full_text (title and body) is what every entry is ranked on alike; `title` alone is only a bonus:
  // most entries have none, so bm25's length normalisation would sink a ranking made on titles.
  sql("search index", `
CREATE TABLE search_entries (
  id INTEGER PRIMARY KEY,
  media_id TEXT NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('transcript','text','label','chapter','summary','scene')),
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  extra TEXT,
  full_text TEXT GENERATED ALWAYS AS (CASE WHEN title = '' THEN body WHEN body = '' THEN title ELSE title || ' — ' || body END) VIRTUAL
);
CREATE INDEX search_entries_source ON search_entries(media_id, source);
CREATE VIRTUAL TABLE search_fts USING fts5(title, full_text, content='search_entries', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_prefix USING fts5(title, full_text, content='search_entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
CREATE TRIGGER search_entries_insert AFTER INSERT ON search_entries BEGIN
  INSERT INTO search_fts (rowid, title, full_text) VALUES (new.id, new.title, new.full_text);
  INSERT INTO search_prefix (rowid, title, full_text) VALUES (new.id, new.title, new.full_text);
END;
CREATE TRIGGER search_entries_delete AFTER DELETE ON search_entries BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, full_text) VALUES ('delete', old.id, old.title, old.full_text);
  INSERT INTO search_prefix (search_prefix, rowid, title, full_text) VALUES ('delete', old.id, old.title, old.full_text);
END;
CREATE TRIGGER search_entries_update AFTER UPDATE ON search_entries BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, full_text) VALUES ('delete', old.id, old.title, old.full_text);
  INSERT INTO search_prefix (search_prefix, rowid, title, full_text) VALUES ('delete', old.id, old.title, old.full_text);
  INSERT INTO search_fts (rowid, title, full_text) VALUES (new.id, new.title, new.full_text);
  INSERT INTO search_prefix (rowid, title, full_text) VALUES (new.id, new.title, new.full_text);
END;
CREATE TABLE search_sources (
  media_id TEXT NOT NULL,
  source TEXT NOT NULL,
  event_seq INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL,
  PRIMARY KEY (media_id, source)
);
CREATE TABLE search_media (
  media_id TEXT PRIMARY KEY,
  filename TEXT,
  filename_seq INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'processing',
  status_seq INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER
);
CREATE TABLE search_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
`),
];
