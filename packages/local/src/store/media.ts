import { statements, type Db } from "./db.js";

/** A media item the runtime took in (an ingested file or a finished upload). */
export interface MediaRow { media_id: string; filename: string; source_key: string; created_at: number }

/** The media items (`media`): one row per item whose source is in the object store. */
export class MediaItems {
  private readonly sql;
  constructor(db: Db) {
    this.sql = statements(db, {
      insert: "INSERT INTO media (media_id, filename, source_key, created_at) VALUES (?, ?, ?, ?)",
      insertIfAbsent: "INSERT OR IGNORE INTO media (media_id, filename, source_key, created_at) VALUES (?, ?, ?, ?)",
      get: "SELECT media_id, filename, source_key, created_at FROM media WHERE media_id = ?",
      unfinished: `SELECT m.media_id FROM media m WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.media_id = m.media_id
        AND e.detail_type IN ('Analysis Completed', 'Media Rejected')) ORDER BY m.created_at`,
    });
  }

  /** Records a new media item; a second insert of one id fails. */
  insert(mediaId: string, filename: string, sourceKey: string, createdAt = Date.now()): void {
    this.sql.insert.run(mediaId, filename, sourceKey, createdAt);
  }

  /** Records the media item unless it is recorded already (an upload finished twice). */
  insertIfAbsent(mediaId: string, filename: string, sourceKey: string, createdAt = Date.now()): void {
    this.sql.insertIfAbsent.run(mediaId, filename, sourceKey, createdAt);
  }

  get(mediaId: string): MediaRow | undefined {
    return this.sql.get.get(mediaId) as MediaRow | undefined;
  }

  /** Media items whose flow has not ended (no report and no rejection in the log), oldest first. */
  unfinished(): string[] {
    return (this.sql.unfinished.all() as Array<{ media_id: string }>).map((r) => r.media_id);
  }
}
