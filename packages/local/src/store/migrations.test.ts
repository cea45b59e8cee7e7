import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDb, SCHEMA_VERSION, type Db } from "./db.js";
import { storeFor } from "./index.js";
import { MIGRATIONS } from "./schema.js";

/*
 * The tables the server (uploads) and the review service (claims, decisions, audit) used to create
 * or alter themselves when they started are migrations 3 and 4 now. A database at version 2 may
 * already have them, all or in part, from that run-time creation: it must migrate without error and
 * keep its rows.
 */

const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});
const dbFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), "mp-migrate-")), "pipeline.db");
const connect = (file: string) => {
  const db = openDb(file);
  open.push(db);
  return db;
};
const versionOf = (db: Db) => db.pragma("user_version", { simple: true }) as number;
const columnsOf = (db: Db, table: string) => (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
const namesOf = (db: Db, type: "table" | "index") =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name").all(type) as Array<{ name: string }>).map((r) => r.name);

/** A database as media-pipeline left it at schema version 2, before anything ran at run time. */
function versionTwo(file: string, then: (db: Db) => void = () => {}): void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  for (const m of MIGRATIONS.slice(0, 2)) m.up(db);
  db.pragma("user_version = 2");
  then(db);
  db.close();
}

/** What the server ran on every start, before the upload tables were migrations (kept frozen here). */
const OLD_SERVER_UPLOAD_TABLES = `
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
`;

/** What the review service ran on every start, before its columns and audit log were migrations (kept frozen here). */
function oldReviewServiceColumns(db: Db, columns = ["claimed_by TEXT", "claim_expires_at INTEGER", "decided_by TEXT", "decided_at INTEGER", "decision TEXT"]): void {
  for (const column of columns) db.exec(`ALTER TABLE review_tasks ADD COLUMN ${column}`);
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
}

const REVIEW_COLUMNS = ["claimed_by", "claim_expires_at", "decided_by", "decided_at", "decision"];

describe("migrations 3 and 4: the upload and review tables", () => {
  it("gives a new database the upload sessions, review claims, decisions and audit log, at the current version", () => {
    const db = connect(dbFile());
    // Later steps (the search index is 5) come on top of these two.
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(4);
    expect(versionOf(db)).toBe(SCHEMA_VERSION);
    expect(namesOf(db, "table")).toEqual(expect.arrayContaining(["server_uploads", "server_upload_parts", "review_audit"]));
    expect(columnsOf(db, "review_tasks")).toEqual(["task_id", "media_id", "status", "input", "created_at", ...REVIEW_COLUMNS]);
    expect(namesOf(db, "index")).toEqual(expect.arrayContaining(["review_tasks_queue", "review_audit_task"]));
  });

  it("migrates a version-2 database that already has them from the old run-time creation, keeping its uploads, decisions and audit", () => {
    const file = dbFile();
    versionTwo(file, (db) => {
      db.exec(OLD_SERVER_UPLOAD_TABLES);
      oldReviewServiceColumns(db);
      db.prepare("INSERT INTO server_uploads VALUES ('m1', 'u1', 'uploads/m1/a.mp4', 'a.mp4', 'video/mp4', 10, 5, 2, 'receiving', 1)").run();
      db.prepare("INSERT INTO server_upload_parts VALUES ('m1', 1, '\"e1\"', 5)").run();
      db.prepare("INSERT INTO review_tasks VALUES ('t1', 'm1', 'decided', '{}', 1, 'alice', NULL, 'alice', 2, '{\"verdict\":\"approved\"}')").run();
      db.prepare("INSERT INTO review_audit (task_id, at, reviewer, action, detail) VALUES ('t1', 2, 'alice', 'decide', NULL)").run();
    });

    const db = connect(file);
    expect(versionOf(db)).toBe(SCHEMA_VERSION);
    const store = storeFor(db);
    expect(store.uploads.get("m1")).toMatchObject({ upload_id: "u1", status: "receiving", part_count: 2 });
    expect(store.uploads.parts("m1")).toEqual([{ part_number: 1, etag: '"e1"', size: 5 }]);
    expect(store.reviews.get("t1")).toMatchObject({ status: "decided", claimed_by: "alice", decision: '{"verdict":"approved"}' });
    expect(store.reviews.audit("t1")).toEqual([{ at: 2, reviewer: "alice", action: "decide", detail: null }]);
    expect(columnsOf(db, "review_tasks")).toEqual(["task_id", "media_id", "status", "input", "created_at", ...REVIEW_COLUMNS]);
  });

  it("adds only the review columns a version-2 database lacks, when the old run-time creation stopped part way", () => {
    const file = dbFile();
    versionTwo(file, (db) => {
      db.exec("ALTER TABLE review_tasks ADD COLUMN claimed_by TEXT; ALTER TABLE review_tasks ADD COLUMN claim_expires_at INTEGER");
      db.prepare("INSERT INTO review_tasks (task_id, media_id, status, input, created_at, claimed_by) VALUES ('t1', 'm1', 'open', '{}', 1, 'bob')").run();
    });
    const db = connect(file);
    expect(versionOf(db)).toBe(SCHEMA_VERSION);
    expect(columnsOf(db, "review_tasks")).toEqual(["task_id", "media_id", "status", "input", "created_at", ...REVIEW_COLUMNS]);
    expect(storeFor(db).reviews.get("t1")).toMatchObject({ claimed_by: "bob", decision: null });
  });

  it("migrates a version-2 database that never ran a server or a review", () => {
    const file = dbFile();
    versionTwo(file, (db) => void db.prepare("INSERT INTO review_tasks VALUES ('t1', 'm1', 'open', '{}', 1)").run());
    const db = connect(file);
    expect(versionOf(db)).toBe(SCHEMA_VERSION);
    const store = storeFor(db);
    expect(store.reviews.list("open").map((r) => [r.task_id, r.claimed_by, r.decision])).toEqual([["t1", null, null]]);
    expect(store.uploads.get("m1")).toBeUndefined();
  });
});
