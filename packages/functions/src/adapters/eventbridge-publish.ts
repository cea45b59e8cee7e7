import { PutEventsCommand, type PutEventsCommandOutput, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import {
  EVENT_SOURCE,
  NonRetryableError,
  RetryableError,
  validateDetail,
  type DetailType,
  type Publish,
} from "@media-pipeline/core";
import { isTransientAwsError } from "./aws-errors.js";

/**
 * The one call the publisher makes. `EventBridgeClient` satisfies it; tests pass a small fake that
 * records the command, or mock the client with aws-sdk-client-mock.
 */
export interface EventBridgeSender {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

/** How entries that PutEvents reports as failed are retried before giving up. */
export interface PutEventsRetryOptions {
  /** Calls per entry in all, the first included (default 3). */
  attempts?: number;
  /** First backoff; doubles per round, with full jitter (default 100 ms). */
  baseDelayMs?: number;
  /** Cap on one backoff (default 2 s). */
  maxDelayMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface EventBridgePublishOptions {
  client: EventBridgeSender;
  eventBusName: string;
  retry?: PutEventsRetryOptions;
}

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** PutEvents failed as a call in a way retrying will not fix (missing bus, access denied…). */
export class EventBridgePublishError extends NonRetryableError {}

/**
 * The `Publish` port on EventBridge: validates the detail against the catalog (so nothing malformed
 * reaches the bus), then PutEvents one entry.
 *
 * PutEvents can succeed as a call and still drop entries (`FailedEntryCount`, a per-entry
 * `ErrorCode`), for example on throttling or an internal error. Those entries are sent again with
 * backoff a bounded number of times, then a `RetryableError` naming the codes is thrown for the
 * platform to retry. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 *
 * `dedupeKey` is ignored: EventBridge has no deduplication, delivery is at least once, and consumers
 * dedupe on (mediaId, stage) in the state store.
 *
 * @example
 * const publish = createEventBridgePublish({ client: new EventBridgeClient({}), eventBusName });
 * await publish("Media Received", { version: 1, mediaId, correlationId, source, filename, sizeBytes });
 */
export function createEventBridgePublish({ client, eventBusName, retry }: EventBridgePublishOptions): Publish {
  const publishBatch = createEventBridgePublishBatch({ client, eventBusName, retry });
  return async (type, detail) => publishBatch([{ type, detail }]);
}

/**
 * Publishes several events (a stored StageOutput's, say) in as few PutEvents calls as the 10-entry
 * limit allows, each validated against the catalog first: one invalid detail publishes nothing.
 *
 * @example await publishBatch(output.events);
 */
export function createEventBridgePublishBatch({ client, eventBusName, retry }: EventBridgePublishOptions) {
  return async (events: ReadonlyArray<{ type: DetailType; detail: unknown }>): Promise<void> => {
    const entries = events.map(({ type, detail }): PutEventsRequestEntry => ({
      EventBusName: eventBusName,
      Source: EVENT_SOURCE,
      DetailType: type,
      Detail: JSON.stringify(validateDetail(type, detail)),
    }));
    await putEntries(client, entries, retry);
  };
}

/**
 * Sends entries in calls of at most 10, re-sending only the entries a call reports as failed (the
 * response's `Entries` line up with the request's), with exponential backoff and full jitter.
 *
 * Entries that succeeded stay published even if others finally fail; the platform's retry then
 * publishes them again, which at-least-once consumers already tolerate.
 */
export async function putEntries(
  client: EventBridgeSender,
  entries: readonly PutEventsRequestEntry[],
  retry: PutEventsRetryOptions = {},
): Promise<void> {
  const { attempts = 3, baseDelayMs = 100, maxDelayMs = 2_000, sleep = defaultSleep } = retry;
  let pending = [...entries];
  let failures: Array<{ entry: PutEventsRequestEntry; code: string; message?: string }> = [];
  for (let attempt = 1; pending.length > 0; attempt++) {
    failures = [];
    for (let i = 0; i < pending.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const batch = pending.slice(i, i + PUT_EVENTS_MAX_ENTRIES);
      const output = await send(client, batch);
      if (!output.FailedEntryCount) continue;
      batch.forEach((entry, j) => {
        const result = output.Entries?.[j];
        // A missing result for an entry counts as failed: the count says something was dropped.
        if (!result || result.ErrorCode || !result.EventId) {
          failures.push({ entry, code: result?.ErrorCode ?? "UnknownError", message: result?.ErrorMessage });
        }
      });
    }
    pending = failures.map((f) => f.entry);
    if (pending.length === 0 || attempt >= attempts) break;
    await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  }
  if (failures.length === 0) return;

  const codes = [...new Set(failures.map((f) => f.code))];
  const detail = failures
    .map((f) => `${f.entry.DetailType} for ${mediaIdOf(f.entry)}: ${`${f.code} ${f.message ?? ""}`.trim()}`)
    .join("; ");
  throw new RetryableError(
    `PutEvents dropped ${failures.length} of ${entries.length} entries after ${attempts} attempts (${codes.join(", ")}): ${detail}`,
  );
}

async function send(client: EventBridgeSender, batch: PutEventsRequestEntry[]): Promise<PutEventsCommandOutput> {
  try {
    return await client.send(new PutEventsCommand({ Entries: batch }));
  } catch (error) {
    const e = error as { name?: string; message?: string } | undefined;
    const message = `PutEvents failed for ${batch.length} entries: ${e?.name ?? "Error"}${e?.message ? ` ${e.message}` : ""}`;
    // The SDK has already retried throttling and 5xx itself (maxAttempts); what is left goes to the platform.
    if (isTransientAwsError(error)) throw new RetryableError(message, { cause: error });
    throw new EventBridgePublishError(message, { cause: error });
  }
}

function mediaIdOf(entry: PutEventsRequestEntry): string {
  try {
    return String((JSON.parse(entry.Detail ?? "{}") as { mediaId?: unknown }).mediaId ?? "?");
  } catch {
    return "?";
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
