import Database from "better-sqlite3";
import { MIGRATIONS } from "./schema.js";

export type Db = Database.Database;
export type Statement = Database.Statement;

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
    MIGRATIONS[version]!.up(db);
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
 * Opens (and creates) the runtime's SQLite database and brings its schema up to date. WAL lets
 * readers (the CLI, the server) run beside the writer; `synchronous = NORMAL` in WAL mode still never
 * corrupts the database on a crash and loses at most the last transactions on power loss, not on a
 * process kill.
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

/**
 * Opens an existing database to read only, beside whatever process may be writing it (WAL lets a
 * reader in without taking the lock); its schema is left as it is.
 */
export function openDbReadOnly(file: string): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}

/**
 * Statements prepared on first use and kept: preparing costs more than running on the hot paths, and
 * a statement is never prepared against a table that a read-only, older database lacks until asked.
 */
export function statements<K extends string>(db: Db, sql: Record<K, string>): Record<K, Statement> {
  const prepared = {} as Partial<Record<K, Statement>>;
  const out = {} as Record<K, Statement>;
  for (const key of Object.keys(sql) as K[]) {
    Object.defineProperty(out, key, { get: () => (prepared[key] ??= db.prepare(sql[key])) });
  }
  return out;
}

/** `?, ?, ?` for an IN list of `n` values. */
export const marks = (n: number): string => Array.from({ length: n }, () => "?").join(", ");
