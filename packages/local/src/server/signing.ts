import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * What a signed upload URL grants: a PUT of at most `maxBytes` to exactly `key`, until `expires`
 * (epoch seconds), with `contentType` when one is bound (multipart parts bind their upload and part
 * number instead). Every field is in the signed string, so changing any of them breaks the signature.
 */
export interface UploadGrant {
  key: string;
  maxBytes: number;
  expires: number;
  contentType?: string;
  uploadId?: string;
  partNumber?: number;
}

/** A versioned, newline-separated canonical string: no field can contain a newline (keys, MIME types, numbers). */
function canonical(g: UploadGrant): string {
  return ["mp-upload-v1", "PUT", g.key, String(g.maxBytes), String(g.expires), g.contentType ?? "", g.uploadId ?? "", g.partNumber ?? ""].join("\n");
}

export function signGrant(signingKey: Buffer, grant: UploadGrant): string {
  return createHmac("sha256", signingKey).update(canonical(grant)).digest("base64url");
}

/** The query string of a signed upload URL (`expires`, `maxBytes`, optional `uploadId`/`partNumber`, `sig`). */
export function signedQuery(signingKey: Buffer, grant: UploadGrant): string {
  const q = new URLSearchParams({ expires: String(grant.expires), maxBytes: String(grant.maxBytes) });
  if (grant.uploadId) q.set("uploadId", grant.uploadId);
  if (grant.partNumber !== undefined) q.set("partNumber", String(grant.partNumber));
  q.set("sig", signGrant(signingKey, grant));
  return q.toString();
}

/** Encodes a key for a URL path, segment by segment so its slashes stay path separators. */
export function keyPath(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

export type GrantCheck = { ok: true } | { ok: false; reason: "malformed" | "signature" | "expired" };

/** Checks the signature in constant time, then the expiry (which the signature covers, so it cannot be extended). */
export function verifyGrant(signingKey: Buffer, grant: UploadGrant, sig: string | null, nowMs: number): GrantCheck {
  if (!sig || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(signGrant(signingKey, grant), "base64url");
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "signature" };
  if (nowMs >= grant.expires * 1000) return { ok: false, reason: "expired" };
  return { ok: true };
}
