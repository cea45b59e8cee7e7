import { readFileSync } from "node:fs";
import type { PutEventsCommand, PutEventsCommandOutput, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { catalog, EventValidationError, RetryableError } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { createEventBridgePublish, type EventBridgeSender } from "./adapters/eventbridge-publish.js";
import { createIngestHandler } from "./ingest.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));

/** Records every PutEvents entry; answers like EventBridge, optionally failing the entries. */
function fakeEventBridge(failWith?: { ErrorCode: string; ErrorMessage: string }) {
  const entries: PutEventsRequestEntry[] = [];
  const client: EventBridgeSender = {
    async send(command: PutEventsCommand): Promise<PutEventsCommandOutput> {
      const sent = command.input.Entries ?? [];
      entries.push(...sent);
      return {
        $metadata: { httpStatusCode: 200 },
        FailedEntryCount: failWith ? sent.length : 0,
        Entries: sent.map((_, i) => (failWith ? { ...failWith } : { EventId: `event-${i}` })),
      };
    },
  };
  return { client, entries };
}

function ingestWith(fake: ReturnType<typeof fakeEventBridge>) {
  return createIngestHandler({ publish: createEventBridgePublish({ client: fake.client, eventBusName: "media-bus" }) });
}

describe("ingest", () => {
  it("publishes Media Received on the media bus for an upload", async () => {
    const fake = fakeEventBridge();
    await ingestWith(fake)(fixture("s3-object-created"));

    expect(fake.entries).toHaveLength(1);
    const [entry] = fake.entries;
    expect(entry).toMatchObject({ EventBusName: "media-bus", Source: "media-pipeline", DetailType: "Media Received" });
    const detail = JSON.parse(entry.Detail!);
    expect(detail).toEqual({
      version: 1,
      mediaId: "01jd8x7k2m4n6p8q0r2s4t6v8w",
      correlationId: "01jd8x7k2m4n6p8q0r2s4t6v8w",
      source: { bucket: "media-bucket", key: "media/01jd8x7k2m4n6p8q0r2s4t6v8w/talk.mp4" },
      filename: "talk.mp4",
      sizeBytes: 472565,
    });
    expect(catalog["Media Received"].detail.safeParse(detail).success).toBe(true);
  });

  it("takes a multipart upload's size and filename from the key", async () => {
    const fake = fakeEventBridge();
    const detail = await ingestWith(fake)(fixture("s3-object-created-multipart"));
    expect(detail).toMatchObject({ mediaId: "01jd8y0a1b2c3d4e5f6g7h8j9k", filename: "interview.mov", sizeBytes: 2147483648 });
  });

  it("refuses a key outside media/<mediaId>/<filename> without publishing", async () => {
    const fake = fakeEventBridge();
    await expect(ingestWith(fake)(fixture("s3-object-created-foreign-key"))).rejects.toThrow(EventValidationError);
    expect(fake.entries).toHaveLength(0);
  });

  it("refuses an event that is not S3 Object Created", async () => {
    const fake = fakeEventBridge();
    const notS3 = { ...(fixture("s3-object-created") as object), source: "aws.transcribe" };
    const error = await ingestWith(fake)(notS3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues).toContain('source: Invalid input: expected "aws.s3"');
    expect(fake.entries).toHaveLength(0);
  });

  it("throws a retryable error when PutEvents drops the entry", async () => {
    const fake = fakeEventBridge({ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" });
    const error = await ingestWith(fake)(fixture("s3-object-created")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/ThrottlingException Rate exceeded/);
  });
});
