import { marks, statements, type Db, type Statement } from "./db.js";

/** An upload the server has handed out URLs for; `receiving`/`completing` are claims that stop a second writer. */
export interface UploadRow {
  media_id: string;
  upload_id: string;
  key: string;
  filename: string;
  content_type: string;
  size: number;
  part_size: number | null;
  part_count: number | null;
  status: "pending" | "receiving" | "completing" | "completed" | "aborted";
  created_at: number;
}

export interface PartRow { part_number: number; etag: string; size: number }

/** The server's upload sessions (`server_uploads`) and the parts received of multipart ones (`server_upload_parts`). */
export class UploadSessions {
  private readonly sql;
  private readonly transitions = new Map<number, Statement>();

  constructor(private readonly db: Db) {
    this.sql = statements(db, {
      insert: `INSERT INTO server_uploads (media_id, upload_id, key, filename, content_type, size, part_size, part_count, status, created_at)
        VALUES (@media_id, @upload_id, @key, @filename, @content_type, @size, @part_size, @part_count, @status, @created_at)`,
      get: "SELECT * FROM server_uploads WHERE media_id = ?",
      byKey: "SELECT * FROM server_uploads WHERE key = ?",
      releaseClaims: "UPDATE server_uploads SET status = 'pending' WHERE status IN ('receiving', 'completing')",
      completed: "UPDATE server_uploads SET status = 'completed' WHERE media_id = ?",
      parts: "SELECT part_number, etag, size FROM server_upload_parts WHERE media_id = ? ORDER BY part_number",
      putPart: "INSERT INTO server_upload_parts (media_id, part_number, etag, size) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET etag = excluded.etag, size = excluded.size",
      deleteParts: "DELETE FROM server_upload_parts WHERE media_id = ?",
    });
  }

  create(row: UploadRow): void {
    this.sql.insert.run(row);
  }

  get(mediaId: string): UploadRow | undefined {
    return this.sql.get.get(mediaId) as UploadRow | undefined;
  }

  byKey(key: string): UploadRow | undefined {
    return this.sql.byKey.get(key) as UploadRow | undefined;
  }

  /** Moves `from` → `to` only if the row is still in `from`: the loser of a race learns it here. */
  transition(mediaId: string, from: readonly UploadRow["status"][], to: UploadRow["status"]): boolean {
    let statement = this.transitions.get(from.length);
    if (!statement) {
      statement = this.db.prepare(`UPDATE server_uploads SET status = ? WHERE media_id = ? AND status IN (${marks(from.length)})`);
      this.transitions.set(from.length, statement);
    }
    return statement.run(to, mediaId, ...from).changes === 1;
  }

  markCompleted(mediaId: string): void {
    this.sql.completed.run(mediaId);
  }

  /** Claims left by a process that died mid-upload would block the upload forever: back to pending. */
  releaseClaims(): void {
    this.sql.releaseClaims.run();
  }

  parts(mediaId: string): PartRow[] {
    return this.sql.parts.all(mediaId) as PartRow[];
  }

  putPart(mediaId: string, part: PartRow): void {
    this.sql.putPart.run(mediaId, part.part_number, part.etag, part.size);
  }

  deleteParts(mediaId: string): void {
    this.sql.deleteParts.run(mediaId);
  }
}
