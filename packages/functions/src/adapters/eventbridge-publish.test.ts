import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  ResourceNotFoundException,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { catalog, EventValidationError, RetryableError, type DetailType } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createEventBridgePublish,
  createEventBridgePublishBatch,
  EventBridgePublishError,
  PUT_EVENTS_MAX_ENTRIES,
} from "./eventbridge-publish.js";

const client = new EventBridgeClient({ region: "eu-west-1" });
const eb = mockClient(client);
const sleeps: number[] = [];
const retry = { attempts: 3, baseDelayMs: 100, sleep: async (ms: number) => void sleeps.push(ms) };
const publish = createEventBridgePublish({ client, eventBusName: "media-bus", retry });
const publishBatch = createEventBridgePublishBatch({ client, eventBusName: "media-bus", retry });

const mediaIds = (n: number) => Array.from({ length: n }, (_, i) => `01jd8x7k2m4n6p8q0r2s4t6v${String(i).padStart(2, "0")}`);
const received = (mediaId: string) => ({ type: "Media Received" as DetailType, detail: { ...catalog["Media Received"].example, mediaId } });
const sent = () => eb.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
const mediaIdOf = (entry: PutEventsRequestEntry) => (JSON.parse(entry.Detail!) as { mediaId: string }).mediaId;
const ok = (entries: PutEventsRequestEntry[]) => ({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `id-${i}` })) });

beforeEach(() => {
  eb.reset();
  sleeps.length = 0;
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ok(input.Entries));
});

describe("EventBridge publish", () => {
  it("sends one validated entry on the media bus", async () => {
    const detail = catalog["Audio Extracted"].example;
    await publish("Audio Extracted", detail);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eb.commandCalls(PutEventsCommand)[0].args[0].input).toEqual({
      Entries: [{ EventBusName: "media-bus", Source: "media-pipeline", DetailType: "Audio Extracted", Detail: expect.any(String) }],
    });
    // What the catalog's schema keeps: the examples carry a `source` that this type does not declare.
    expect(JSON.parse(sent()[0][0].Detail!)).toEqual(catalog["Audio Extracted"].detail.parse(detail));
  });

  it("refuses an invalid detail without calling PutEvents", async () => {
    await expect(publish("Audio Extracted", { ...catalog["Audio Extracted"].example, sampleRate: -1 })).rejects.toThrow(EventValidationError);
    expect(eb).not.toHaveReceivedAnyCommand();
  });

  it("sends 23 events as batches of 10, 10 and 3, in order", async () => {
    const ids = mediaIds(23);
    await publishBatch(ids.map(received));
    expect(sent().map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(sent().flat().map(mediaIdOf)).toEqual(ids);
    expect(sent().every((entries) => entries.length <= PUT_EVENTS_MAX_ENTRIES)).toBe(true);
  });

  it("publishes nothing when one event of a batch is invalid", async () => {
    const events = [received(mediaIds(1)[0]), { type: "Media Received" as DetailType, detail: { version: 1 } }];
    await expect(publishBatch(events)).rejects.toThrow(EventValidationError);
    expect(eb).not.toHaveReceivedAnyCommand();
  });

  it("re-sends only the entries PutEvents reports as failed, after a backoff", async () => {
    const ids = mediaIds(12);
    eb.on(PutEventsCommand)
      .callsFakeOnce((input: { Entries: PutEventsRequestEntry[] }) => ({
        FailedEntryCount: 2,
        Entries: input.Entries.map((_, i) =>
          i === 3 ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }
          : i === 7 ? { ErrorCode: "InternalFailure", ErrorMessage: "Internal" }
          : { EventId: `id-${i}` }),
      }))
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => ok(input.Entries));
    await publishBatch(ids.map(received));
    expect(sent().map((entries) => entries.map(mediaIdOf))).toEqual([ids.slice(0, 10), ids.slice(10), [ids[3], ids[7]]]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
  });

  it("gives up after the bounded attempts with a RetryableError naming the codes", async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((_, i) => (i === 0 ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" } : { EventId: "x" })),
    }));
    const ids = mediaIds(2);
    const error = await publishBatch(ids.map(received)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe(
      `PutEvents dropped 1 of 2 entries after 3 attempts (ThrottlingException): Media Received for ${ids[0]}: ThrottlingException Rate exceeded`,
    );
    expect(sent().map((entries) => entries.length)).toEqual([2, 1, 1]);
    // Two backoffs between three attempts, each under its doubling cap.
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it("counts an entry with neither EventId nor ErrorCode as failed when the call reports failures", async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{}] });
    const error = await publish("Media Received", catalog["Media Received"].example).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/UnknownError/);
  });

  it("turns a throttled call into a RetryableError carrying the cause", async () => {
    const throttled = new EventBridgeServiceException({ name: "ThrottlingException", $fault: "client", $metadata: { httpStatusCode: 400 }, message: "Rate exceeded" });
    eb.on(PutEventsCommand).rejects(throttled);
    const error = await publish("Media Received", catalog["Media Received"].example).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).cause).toBe(throttled);
  });

  it("turns a missing bus into a non-retryable EventBridgePublishError", async () => {
    eb.on(PutEventsCommand).rejects(new ResourceNotFoundException({ message: "Event bus media-bus does not exist.", $metadata: {} }));
    const error = await publish("Media Received", catalog["Media Received"].example).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventBridgePublishError);
    expect((error as EventBridgePublishError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/ResourceNotFoundException Event bus media-bus does not exist/);
  });
});
