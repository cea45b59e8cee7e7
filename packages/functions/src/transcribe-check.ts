import { SendMessageCommand, type SendMessageRequest, type SQSClient } from "@aws-sdk/client-sqs";
import { EventValidationError, MediaId } from "@media-pipeline/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { z } from "zod";
import { settings, type Cloud } from "./cloud.js";
import { parseTranscriptionJobName } from "./adapters/transcribe/job-name.js";
import { createSettleTranscription, failStage } from "./completions.js";
import { ConfigurationError } from "./errors.js";
import { stageContext, type LambdaContext } from "./lambda-deadline.js";

/*
 * The transcribe stage's timeout. Transcribe's "Transcribe Job State Change" event is best effort, so
 * starting a job also queues a delayed check: it looks the job up with GetTranscriptionJob and settles
 * the stage as the event would, asks again later while the job runs, and fails the stage once the job
 * has run longer than the maximum age. Whichever of event and check comes second finds the stage
 * settled (completeOnce in the event path, the state store here) and does nothing more.
 */

/**
 * The check message (SQS body, JSON). `startedAt` is when the stage started the job; `attempt` counts
 * checks, 1 for the first.
 * @example { "mediaId": "01jd8x7k2m4n6p8q0r2s4t6v8w", "jobName": "media-pipeline.prod.01jd8x7k2m4n6p8q0r2s4t6v8w-transcript", "attempt": 1, "startedAt": "2026-11-20T10:00:00.000Z" }
 */
export const TranscribeCheckMessage = z.object({
  mediaId: MediaId,
  jobName: z.string().regex(/^[0-9a-zA-Z._-]{1,200}$/),
  attempt: z.number().int().min(1),
  startedAt: z.iso.datetime({ offset: true }),
});
export type TranscribeCheckMessage = z.infer<typeof TranscribeCheckMessage>;

function sqsOf(cloud: Cloud): Pick<SQSClient, "send"> {
  if (!cloud.clients.sqs) throw new ConfigurationError("The transcribe check needs an SQS client", ["sqs: missing client"]);
  return cloud.clients.sqs;
}

/** The exact SendMessage request for a check (exported so the request is reviewable and testable). */
export function transcribeCheckRequest(queueUrl: string, message: TranscribeCheckMessage, delaySeconds: number): SendMessageRequest {
  return { QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds };
}

/**
 * Queues a check of a transcription job after the configured delay. The queue URL is read when the
 * sender is built, so a function without `TRANSCRIBE_CHECK_QUEUE_URL` fails at cold start.
 * @example await createTranscribeCheckSender(cloud)({ mediaId, jobName, attempt: 1, startedAt: new Date().toISOString() })
 */
export function createTranscribeCheckSender(cloud: Cloud) {
  const queueUrl = cloud.require("TRANSCRIBE_CHECK_QUEUE_URL");
  const delaySeconds = settings.transcribeCheckDelaySeconds(cloud);
  const sqs = sqsOf(cloud);
  return async (message: TranscribeCheckMessage, delay = delaySeconds): Promise<void> => {
    await sqs.send(new SendMessageCommand(transcribeCheckRequest(queueUrl, message, delay)));
  };
}

function parseMessage(body: string): TranscribeCheckMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new EventValidationError("Transcribe check message is not JSON", ["(root): not JSON"], { cause });
  }
  const parsed = TranscribeCheckMessage.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new EventValidationError(`Not a transcribe check message: ${issues.join("; ")}`, issues, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * The consumer of the check queue (SQS event source with `reportBatchItemFailures`). Per message: a
 * settled stage → nothing; a finished job → the stage completes (or fails) as with the event; a job
 * still running → checked again later, until the maximum age, then `Stage Failed` ("timed out").
 * A message that fails (malformed, or an AWS error) is reported alone and redelivered by SQS; after
 * the queue's maxReceiveCount it lands in the dead-letter queue.
 * @example export const handler = createTranscribeCheck(createCloud(process.env))
 */
export function createTranscribeCheck(cloud: Cloud, options: { now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  const settle = createSettleTranscription(cloud);
  const send = createTranscribeCheckSender(cloud);
  const maxAgeMs = settings.transcribeCheckMaxAgeMs(cloud);
  const delaySeconds = settings.transcribeCheckDelaySeconds(cloud);
  const jobNamePrefix = settings.transcribeJobPrefix(cloud);

  const check = async (message: TranscribeCheckMessage, context: LambdaContext | undefined): Promise<string> => {
    const { mediaId, jobName } = message;
    // Only our stage sends here, so this is a second guard: a job named for another deployment (or
    // another media item) is never looked up nor settled, and the message is not redelivered.
    if (parseTranscriptionJobName(jobName, jobNamePrefix) !== mediaId) {
      console.warn(JSON.stringify({ message: "transcribe check for a job not of this deployment ignored", mediaId, jobName, jobNamePrefix }));
      return "ignored";
    }
    // The state store first: once the event (or an earlier check) settled the stage, no S3 or
    // Transcribe call is needed.
    const record = (await cloud.state.list(mediaId)).find((r) => r.stage === "transcribe");
    if (record?.status === "done" || record?.status === "failed" || record?.status === "skipped") return "settled";
    const result = await settle(mediaId, jobName, context);
    if (result.status !== "in-progress") return result.status;
    const ageMs = now().getTime() - Date.parse(message.startedAt);
    if (ageMs >= maxAgeMs) {
      const hours = (maxAgeMs / 3600_000).toFixed(1).replace(/\.0$/, "");
      await failStage(cloud, mediaId, "transcribe",
        `Transcribe job ${jobName} timed out: still ${result.jobStatus} ${Math.round(ageMs / 60_000)} min after it started (limit ${hours} h, ${message.attempt} checks)`,
        stageContext(context));
      return "timed-out";
    }
    // The last check falls on the maximum age rather than up to one delay past it.
    const delay = Math.max(0, Math.min(delaySeconds, Math.ceil((maxAgeMs - ageMs) / 1000)));
    await send({ ...message, attempt: message.attempt + 1 }, delay);
    return "rechecking";
  };

  return async (event: SQSEvent, context?: LambdaContext): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    for (const record of event.Records ?? []) {
      try {
        const message = parseMessage(record.body);
        const outcome = await check(message, context);
        console.info(JSON.stringify({ message: "transcribe check", mediaId: message.mediaId, jobName: message.jobName, attempt: message.attempt, outcome }));
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        console.error(JSON.stringify({ message: "transcribe check failed", messageId: record.messageId, error: { name: err.name, message: err.message } }));
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
