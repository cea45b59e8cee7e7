import { parseEvent, type StageName } from "@media-pipeline/core";
import { createCloudStage } from "./cloud-stages.js";
import type { Cloud } from "./cloud.js";

/**
 * A stage's Lambda entry point: validate the event against the catalog, run the stage from core with
 * the cloud adapters, and free /tmp (a warm Lambda keeps it). The stage is built once per cold start.
 * Retryable errors propagate so Lambda's async retries and the dead-letter queue take over; the
 * Lambda runtime cannot tell us which attempt this is, so only the platform decides the last one.
 * @example export const handler = createStageHandler(createCloud(process.env), "probe")
 */
export function createStageHandler(cloud: Cloud, stage: StageName) {
  const run = createCloudStage(cloud, stage);
  return async (raw: unknown): Promise<void> => {
    const event = parseEvent(raw);
    console.info(JSON.stringify({ message: "stage invoked", stage, detailType: event["detail-type"], mediaId: event.detail.mediaId }));
    try {
      await run(event, { attempt: 1, finalAttempt: false });
    } finally {
      await cloud.workspace.clear();
    }
  };
}
