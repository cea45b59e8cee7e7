import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh API token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Does the `Authorization` header carry the token? Both sides are hashed first so the comparison
 * takes the same time whatever the length or content of the guess (timingSafeEqual needs equal lengths).
 */
export function hasToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  const given = createHash("sha256").update(match?.[1] ?? "").digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected) && match !== null;
}
