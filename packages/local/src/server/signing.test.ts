import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hasToken } from "./auth.js";
import { signGrant, verifyGrant, type UploadGrant } from "./signing.js";

const key = randomBytes(32);
const grant: UploadGrant = { key: "media/01jd0000000000000000000000/a.mp4", maxBytes: 1000, expires: 2_000_000_000, contentType: "video/mp4" };
const now = 1_900_000_000_000;

describe("upload URL signing", () => {
  it("accepts the grant it signed until it expires", () => {
    const sig = signGrant(key, grant);
    expect(verifyGrant(key, grant, sig, now)).toEqual({ ok: true });
    expect(verifyGrant(key, grant, sig, grant.expires * 1000)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses the signature for any other key, size, expiry, content type, part or signing key", () => {
    const sig = signGrant(key, grant);
    for (const other of [
      { ...grant, key: "media/01jd0000000000000000000001/a.mp4" },
      { ...grant, maxBytes: 1001 },
      { ...grant, expires: grant.expires + 1 },
      { ...grant, contentType: "video/webm" },
      { ...grant, contentType: undefined, uploadId: "u", partNumber: 1 },
    ]) {
      expect(verifyGrant(key, other, sig, now)).toEqual({ ok: false, reason: "signature" });
    }
    expect(verifyGrant(randomBytes(32), grant, sig, now)).toEqual({ ok: false, reason: "signature" });
    expect(verifyGrant(key, grant, null, now)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyGrant(key, grant, "short", now)).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("API token check", () => {
  it("accepts exactly `Bearer <token>`", () => {
    const token = "s3cret-token-0123456789";
    expect(hasToken(`Bearer ${token}`, token)).toBe(true);
    expect(hasToken(`bearer ${token}`, token)).toBe(true);
    expect(hasToken(undefined, token)).toBe(false);
    expect(hasToken(token, token)).toBe(false);
    expect(hasToken(`Bearer ${token}x`, token)).toBe(false);
    expect(hasToken(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(hasToken("Bearer ", token)).toBe(false);
  });
});
