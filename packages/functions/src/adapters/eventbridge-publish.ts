import { PutEventsCommand, type PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE, RetryableError, validateDetail, type Publish } from "@media-pipeline/core";

/**
 * The one call the publisher makes. `EventBridgeClient` satisfies it; tests pass a small fake that
 * records the command instead of mocking the SDK.
 */
export interface EventBridgeSender {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

export interface EventBridgePublishOptions {
  client: EventBridgeSender;
  eventBusName: string;
}

/**
 * The `Publish` port on EventBridge: validates the detail against the catalog (so nothing malformed
 * reaches the bus), then PutEvents one entry.
 *
 * PutEvents can succeed as a call and still drop entries (`FailedEntryCount`), for example on
 * throttling or an internal error; that is a retryable failure, so it is thrown for the platform to
 * retry. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 *
 * `dedupeKey` is ignored: EventBridge has no deduplication, delivery is at least once, and consumers
 * dedupe on (mediaId, stage) in the state store.
 *
 * @example
 * const publish = createEventBridgePublish({ client: new EventBridgeClient({}), eventBusName });
 * await publish("Media Received", { version: 1, mediaId, correlationId, source, filename, sizeBytes });
 */
export function createEventBridgePublish({ client, eventBusName }: EventBridgePublishOptions): Publish {
  return async (type, detail) => {
    const valid = validateDetail(type, detail);
    const output = await client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: eventBusName, Source: EVENT_SOURCE, DetailType: type, Detail: JSON.stringify(valid) }],
      }),
    );
    if (output.FailedEntryCount) {
      const failed = output.Entries?.find((e) => e.ErrorCode);
      throw new RetryableError(
        `PutEvents dropped "${type}" for ${valid.mediaId}: ${failed?.ErrorCode ?? "unknown error"} ${failed?.ErrorMessage ?? ""}`.trim(),
      );
    }
  };
}
