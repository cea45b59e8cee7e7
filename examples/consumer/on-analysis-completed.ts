import { parseEvent } from "@media-pipeline/core";

/**
 * Validates the event against the pipeline's catalog (a consumer in another repository would use the
 * JSON Schemas in the schema registry instead) and logs the report's location. Events arrive at least
 * once: anything this does must be idempotent on `mediaId`.
 */
export const handler = async (event: unknown): Promise<void> => {
  const parsed = parseEvent(event);
  if (parsed["detail-type"] !== "Analysis Completed") return;
  const { mediaId, status, report } = parsed.detail;
  console.log(JSON.stringify({ message: "analysis completed", mediaId, status, report: `s3://${report.bucket}/${report.key}` }));
};
