import { EventValidationError } from "@media-pipeline/core";
import { z } from "zod";
import { ForeignTranscriptionJobError } from "./errors.js";
import { parseTranscriptionJobName, TRANSCRIPTION_JOB_SUFFIX } from "./job.js";

/**
 * Transcribe's "Transcribe Job State Change" as EventBridge delivers it on the default bus, and as the
 * forwarding rule passes it on to the media bus unchanged. Sent (best effort) when a job becomes
 * `COMPLETED` or `FAILED`; `FailureReason` is added for `FAILED`. Unknown fields are stripped.
 * https://docs.aws.amazon.com/transcribe/latest/dg/monitoring-events.html
 * @example see fixtures/state-change-completed.json
 */
export const TranscribeJobStateChange = z.object({
  version: z.literal("0"),
  id: z.string().min(1),
  "detail-type": z.literal("Transcribe Job State Change"),
  source: z.literal("aws.transcribe"),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    TranscriptionJobName: z.string().min(1).max(200),
    TranscriptionJobStatus: z.enum(["COMPLETED", "FAILED"]),
    FailureReason: z.string().optional(),
  }),
});
export type TranscribeJobStateChange = z.infer<typeof TranscribeJobStateChange>;

/** What the collector needs from a state change. */
export interface TranscriptionJobOutcome {
  jobName: string;
  mediaId: string;
  status: "COMPLETED" | "FAILED";
  failureReason?: string;
}

/**
 * Parses a forwarded state-change event. Throws `EventValidationError` listing every issue for a
 * malformed event, and `ForeignTranscriptionJobError` (a subclass, so equally never retried) for a job
 * name that is not `<jobNamePrefix><mediaId>-transcript`; a handler may log and drop the latter.
 * @example const { mediaId, status } = parseTranscribeStateChange(event)
 */
export function parseTranscribeStateChange(raw: unknown, options: { jobNamePrefix?: string } = {}): TranscriptionJobOutcome {
  const parsed = TranscribeJobStateChange.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new EventValidationError(`Not a "Transcribe Job State Change" event: ${issues.join("; ")}`, issues, {
      cause: parsed.error,
    });
  }
  const { TranscriptionJobName: jobName, TranscriptionJobStatus: status, FailureReason } = parsed.data.detail;
  const prefix = options.jobNamePrefix ?? "";
  const mediaId = parseTranscriptionJobName(jobName, prefix);
  if (!mediaId) throw new ForeignTranscriptionJobError(jobName, `${prefix}<mediaId>${TRANSCRIPTION_JOB_SUFFIX}`);
  return {
    jobName,
    mediaId,
    status,
    ...(status === "FAILED" ? { failureReason: FailureReason ?? "Transcribe gave no failure reason." } : {}),
  };
}
