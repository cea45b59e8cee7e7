import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { runOnce, type Publish } from "@media-pipeline/core";
import { openDb, SchemaTooNewError, SCHEMA_VERSION, type Db } from "./db.js";
import { SqliteStateStore } from "./stage-state.js";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";

const open: Db[] = [];
function connect(file: string): Db {
  const db = openDb(file);
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), "mp-db-"));
const dbFile = () => path.join(tempDir(), "pipeline.db");
const versionOf = (db: Db) => db.pragma("user_version", { simple: true }) as number;
const columnsOf = (db: Db, table: string) => (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);

/** A database as media-pipeline wrote it before the schema had versions: PRE_VERSIONING_SCHEMA, user_version 0. */
function preVersioningDb(file: string, fill: (db: Db) => void): void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(PRE_VERSIONING_SCHEMA);
  fill(db);
  expect(versionOf(db)).toBe(0);
  db.close();
}

describe("openDb schema versions", () => {
  it("brings a new database to SCHEMA_VERSION, stage_state.published included", () => {
    const db = connect(dbFile());
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
    expect(versionOf(db)).toBe(SCHEMA_VERSION);
    expect(columnsOf(db, "stage_state")).toContain("published");
    expect(columnsOf(db, "events")).toEqual(["seq", "id", "dedupe_key", "detail_type", "media_id", "body", "created_at"]);
  });

  it("migrates a pre-versioning database, counting stages settled before as published and a running one as not", async () => {
    const file = dbFile();
    const shots = { events: [{ type: "Shots Detected", detail: { version: 1, mediaId, correlationId: "c1", shotCount: 2 } }], facts: { shots: 2 } };
    const failed = { events: [{ type: "Stage Failed", detail: { version: 1, mediaId, correlationId: "c1", stage: "moderate" } }] };
    preVersioningDb(file, (db) => {
      const row = db.prepare(
        `INSERT INTO stage_state (media_id, stage, status, attempts, lease_until, owner, started_at, finished_at, output, error)
         VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
      );
      row.run(mediaId, "detect-shots", "done", null, null, "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:01.000Z", JSON.stringify(shots), null);
      row.run(mediaId, "moderate", "failed", null, null, "2024-01-01T00:00:02.000Z", "2024-01-01T00:00:03.000Z", JSON.stringify(failed), JSON.stringify({ name: "NonRetryableError", message: "bad" }));
      row.run(mediaId, "transcribe", "running", Date.now() + 3600_000, "old-runtime", "2024-01-01T00:00:04.000Z", null, null, null);
      db.prepare("INSERT INTO events (id, dedupe_key, detail_type, media_id, body, created_at) VALUES ('e1', 'k1', 'Shots Detected', ?, '{}', 1)").run(mediaId);
    });

    const db = connect(file);
    expect(versionOf(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT stage, published FROM stage_state ORDER BY stage").all()).toEqual([
      { stage: "detect-shots", published: 1 },
      { stage: "moderate", published: 1 },
      { stage: "transcribe", published: 0 },
    ]);
    expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 1 });

    const store = new SqliteStateStore(db, "new-runtime");
    expect(await store.begin(mediaId, "detect-shots", 60_000)).toEqual({ status: "done", output: shots, published: true });
    expect(await store.begin(mediaId, "moderate", 60_000)).toEqual({ status: "failed", output: failed, published: true });
    expect((await store.list(mediaId)).find((r) => r.stage === "transcribe")).not.toHaveProperty("published");

    // A redelivery after the upgrade publishes nothing for a stage that was published before it.
    const published: string[] = [];
    const publish: Publish = async (type) => void published.push(type);
    let calls = 0;
    await runOnce({ state: store, publish }, {
      mediaId, correlationId: "c1", stage: "detect-shots", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
      work: async () => { calls++; return { emit: [] }; },
    });
    expect({ calls, published }).toEqual({ calls: 0, published: [] });
  });

  it("refuses a database from a newer schema with SchemaTooNewError naming the file, and leaves it as it was", () => {
    const file = dbFile();
    const newer = new Database(file);
    newer.exec("CREATE TABLE from_the_future (x INTEGER)");
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();

    let error: unknown;
    try {
      connect(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect((error as Error).name).toBe("SchemaTooNewError");
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION + 1}`);

    const after = new Database(file, { readonly: true });
    expect(versionOf(after)).toBe(SCHEMA_VERSION + 1);
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: "from_the_future" }]);
    after.close();
  });

  it("opens one file twice in a row, and twice at once, without migrating it again", () => {
    const file = dbFile();
    const first = connect(file);
    first.prepare("INSERT INTO media (media_id, filename, source_key, created_at) VALUES ('m1', 'a.mp4', 'k', 1)").run();
    first.close();
    const second = connect(file);
    const third = connect(file);
    for (const db of [second, third]) {
      expect(versionOf(db)).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT media_id FROM media").all()).toEqual([{ media_id: "m1" }]);
    }
  });

  it("lets several processes create and open the same new file at the same moment", async () => {
    const dir = tempDir();
    const files = Array.from({ length: 60 }, (_, i) => path.join(dir, `race-${i}.db`));
    const script = path.join(dir, "open.mjs");
    // The compiled module (test/global-setup.ts builds it): a child process runs JavaScript.
    const dbModule = pathToFileURL(path.join(ROOT, "packages/local/dist/store/db.js")).href;
    // Every process opens file i at startAt + 15 ms * i (sleeping until then), so each file is
    // created by all of them at once: a lost race shows on some of the 60 in nearly every run.
    writeFileSync(script, `
import { openDb } from ${JSON.stringify(dbModule)};
const [startAt, ...files] = process.argv.slice(2);
const results = files.map((file, i) => {
  const wait = Number(startAt) + 15 * i - Date.now();
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
  try {
    const db = openDb(file);
    const opened = [db.pragma("user_version", { simple: true }), db.pragma("journal_mode", { simple: true })];
    db.close();
    return opened;
  } catch (error) {
    return error.code ?? error.message;
  }
});
process.stdout.write(JSON.stringify(results));
`);
    const startAt = String(Date.now() + 2000);
    const results = await Promise.all([1, 2, 3, 4].map(() => run(process.execPath, [script, startAt, ...files], { timeout: 60_000 })));
    for (const { stdout } of results) expect(JSON.parse(stdout)).toEqual(files.map(() => [SCHEMA_VERSION, "wal"]));
    for (const f of files.slice(0, 3)) expect(columnsOf(connect(f), "stage_state")).toContain("published");
  }, 90_000);
});

/**
 * The schema exactly as media-pipeline created it before versioning (its last commit without
 * `user_version`), kept frozen here: the migrations must take such a database forward.
 */
const PRE_VERSIONING_SCHEMA = `
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
`;
