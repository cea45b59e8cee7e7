import { parseEvent, type StageName } from "@media-pipeline/core";
import { createCloudStage } from "./cloud-stages.js";
import type { Cloud } from "./cloud.js";
import { stageContext, type LambdaContext } from "./lambda-deadline.js";

/**
 * A stage's Lambda entry point, called as Lambda calls it, `(event, context)`: validate the event
 * against the catalog, run the stage from core with the cloud adapters under the invocation's
 * deadline (lambda-deadline.ts), and free /tmp (a warm Lambda keeps it). The stage is built once per
 * cold start. Work that outlives the deadline ends in `Stage Failed` before Lambda's timeout, so the
 * joins and the report go on; other retryable errors propagate so Lambda's async retries and the
 * dead-letter queue take over.
 * @example export const handler = createStageHandler(createCloud(process.env), "probe")
 */
export function createStageHandler(cloud: Cloud, stage: StageName) {
  const run = createCloudStage(cloud, stage);
  return async (raw: unknown, context?: LambdaContext): Promise<void> => {
    const event = parseEvent(raw);
    const ctx = stageContext(context);
    console.info(JSON.stringify({
      message: "stage invoked", stage, detailType: event["detail-type"], mediaId: event.detail.mediaId, ...(ctx.timeoutMs ? { deadlineMs: ctx.timeoutMs } : {}),
    }));
    try {
      await run(event, ctx);
    } finally {
      await cloud.workspace.clear();
    }
  };
}
