const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower-case

/**
 * A lower-case ULID (48-bit time, then 80 random bits) — core's `MediaId` format: sortable by creation
 * time and valid inside every AWS job-name rule the stages use (A2I's HumanLoopName is the strictest:
 * `^[a-z0-9](-*[a-z0-9])*$`). Pure: the caller supplies the clock and 16 random bytes, so both
 * runtimes use their own randomness and tests can fix it.
 * @example mediaIdFrom(Date.parse("2026-11-20T10:00:00Z"), crypto.getRandomValues(new Uint8Array(16)))
 */
export function mediaIdFrom(nowMs: number, random16: Uint8Array): string {
  if (random16.length < 16) throw new RangeError("mediaIdFrom needs 16 random bytes");
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  // One byte per character, its low 5 bits: 32 divides 256, so the characters are unbiased.
  let rand = "";
  for (let i = 0; i < 16; i++) rand += ALPHABET[random16[i]! & 31];
  return time + rand;
}
