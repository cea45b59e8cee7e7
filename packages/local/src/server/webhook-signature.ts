import { createHmac, timingSafeEqual } from "node:crypto";

/*
 * Webhook signatures. Each delivery is a POST of the event's JSON (the EventBridge-shaped envelope
 * exactly as stored in the log) with:
 *
 *   X-Media-Pipeline-Timestamp: <unix seconds when this attempt was sent>
 *   X-Media-Pipeline-Signature: sha256=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
 *   X-Media-Pipeline-Event-Id, X-Media-Pipeline-Seq, X-Media-Pipeline-Subscription, X-Media-Pipeline-Attempt
 *
 * The timestamp is inside the signed text, so it cannot be changed without breaking the signature:
 * a receiver recomputes the HMAC over the raw body bytes, compares in constant time, and refuses a
 * timestamp more than a few minutes from its clock (a replayed request). Delivery is at least once:
 * dedupe on the event id. `verifyWebhookSignature` below does the receiver's side.
 */

export const SIGNATURE_HEADER = "x-media-pipeline-signature";
export const TIMESTAMP_HEADER = "x-media-pipeline-timestamp";

/** The hex HMAC-SHA256 of `${timestamp}.${body}` with the subscription's secret. */
export function signWebhook(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

/**
 * The receiver's check: a valid signature over this body and timestamp, and a timestamp within
 * `toleranceSeconds` (default 300) of now.
 *
 * @example
 * verifyWebhookSignature({ secret, body: rawBody, timestamp: req.headers["x-media-pipeline-timestamp"],
 *   signature: req.headers["x-media-pipeline-signature"] });
 */
export function verifyWebhookSignature(input: {
  secret: string; body: string | Buffer; timestamp: string | string[] | undefined; signature: string | string[] | undefined;
  toleranceSeconds?: number; now?: number;
}): boolean {
  const { timestamp, signature } = input;
  if (typeof timestamp !== "string" || typeof signature !== "string" || !/^\d{1,12}$/.test(timestamp)) return false;
  const age = Math.abs((input.now ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(`sha256=${signWebhook(input.secret, timestamp, input.body)}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
