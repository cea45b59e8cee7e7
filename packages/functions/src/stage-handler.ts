import { parseEvent, type StageName } from "@media-pipeline/core";
import type { StageConfig } from "./config.js";
import { NotImplementedError } from "./errors.js";

/**
 * A stage's Lambda entry point: validate the event against the catalog, then run the stage.
 *
 * The stage logic lives in core and the AWS adapters it needs arrive with the cloud-wiring issue, so
 * after validation this throws `NotImplementedError` rather than pretending. An invalid event still
 * fails with core's `EventValidationError`, exactly as it will once the stage is real.
 *
 * @example export const handler = createStageHandler("probe", readConfig(StageConfig, process.env));
 */
export function createStageHandler(stage: StageName, _config: StageConfig) {
  return async (raw: unknown): Promise<never> => {
    const event = parseEvent(raw);
    console.info(
      JSON.stringify({ message: "stage invoked", stage, detailType: event["detail-type"], mediaId: event.detail.mediaId }),
    );
    throw new NotImplementedError(stage);
  };
}
