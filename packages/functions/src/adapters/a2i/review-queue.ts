import { StartHumanLoopCommand, type StartHumanLoopCommandOutput } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { ModerationDocument, NonRetryableError, type ObjectRef, type ReviewQueue } from "@media-pipeline/core";
import { ConfigurationError } from "../../errors.js";
import { HumanLoopBusyError, HumanLoopRequestError } from "./errors.js";
import { humanLoopNameFor } from "./human-loop-name.js";
import { buildTaskInput } from "./task-input.js";

/** The one call the queue makes. `SageMakerA2IRuntimeClient` satisfies it. */
export interface StartHumanLoopSender {
  send(command: StartHumanLoopCommand): Promise<StartHumanLoopCommandOutput>;
}

export interface A2iReviewQueueOptions {
  client: StartHumanLoopSender;
  /** The flow definition with our custom task UI, work team and output path. */
  flowDefinitionArn: string;
  /** A URL the worker's browser can load the media from (presigned GET); the bucket needs CORS for the portal. */
  mediaUrl: (source: ObjectRef) => Promise<string>;
  /** Reads the moderation document the task is about (the S3 blob store's getJson, in the handler). */
  loadModeration: (ref: ObjectRef) => Promise<unknown>;
  /** A URL for a segment's keyframe image; defaults to `mediaUrl`, which presigns any object. */
  keyframeUrl?: (ref: ObjectRef) => Promise<string>;
  /** For tests of the trimming; defaults to A2I's 3,145,728. */
  maxInputChars?: number;
}

const OPTION_KEYS = new Set(["client", "flowDefinitionArn", "mediaUrl", "loadModeration", "keyframeUrl", "maxInputChars"]);
/** StartHumanLoop's documented pattern for FlowDefinitionArn. */
const FLOW_DEFINITION_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:flow-definition\/.+$/;
const BUSY = new Set(["ThrottlingException", "ServiceQuotaExceededException", "InternalServerException"]);
const REFUSED = new Set(["ValidationException", "ResourceNotFoundException", "AccessDeniedException"]);

function validate(o: A2iReviewQueueOptions): void {
  const issues: string[] = [];
  const unknown = Object.keys(o).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) issues.push(`unknown option(s): ${unknown.join(", ")}`);
  if (typeof o.client?.send !== "function") issues.push("client must have send()");
  if (typeof o.flowDefinitionArn !== "string" || !FLOW_DEFINITION_ARN.test(o.flowDefinitionArn) || o.flowDefinitionArn.length > 1024) {
    issues.push(`flowDefinitionArn must be a flow definition ARN (arn:aws:sagemaker:<region>:<account>:flow-definition/<name>), got ${String(o.flowDefinitionArn)}`);
  }
  for (const k of ["mediaUrl", "loadModeration", "keyframeUrl"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "function") issues.push(`${k} must be a function`);
  }
  if (typeof o.mediaUrl !== "function") issues.push("mediaUrl is required");
  if (typeof o.loadModeration !== "function") issues.push("loadModeration is required");
  if (issues.length) throw new ConfigurationError(`Invalid A2I review queue options: ${issues.join("; ")}`, issues);
}

/**
 * `ReviewQueue` on Amazon A2I with a custom task type (Rekognition's built-in A2I integration covers
 * images only). `open` loads the moderation document, builds the task input (trimmed to A2I's input
 * limit), and starts a human loop named deterministically from the task id.
 *
 * Idempotent on the task id: a second `open` gets `ConflictException` ("same name as another active
 * human loop but different input data"), which always happens here because presigned URLs differ on
 * every call, and is taken as "already started". Throttling, quota and internal errors are
 * `HumanLoopBusyError` (retryable); a refused request is `HumanLoopRequestError`.
 * https://docs.aws.amazon.com/augmented-ai/2019-11-07/APIReference/API_StartHumanLoop.html
 *
 * @example
 * const queue = createA2iReviewQueue({
 *   client: new SageMakerA2IRuntimeClient({}), flowDefinitionArn: process.env.FLOW_DEFINITION_ARN!,
 *   mediaUrl: (ref) => presignGet(ref, 7 * 24 * 3600), loadModeration: (ref) => blobs.getJson(ref),
 * });
 */
export function createA2iReviewQueue(options: A2iReviewQueueOptions): ReviewQueue & {
  /** The human loop name `open` uses for a task id. */
  humanLoopName(taskId: string): string;
} {
  validate(options);
  const keyframeUrl = options.keyframeUrl ?? options.mediaUrl;
  return {
    humanLoopName: humanLoopNameFor,
    async open(task) {
      const parsed = ModerationDocument.safeParse(await options.loadModeration(task.moderation));
      if (!parsed.success) {
        throw new NonRetryableError(
          `The moderation document s3://${task.moderation.bucket}/${task.moderation.key} is not a moderation document: ${parsed.error.issues
            .slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        );
      }
      const doc = parsed.data;
      const keyframeUrls = new Map<number, string>();
      await Promise.all(
        doc.segments.map(async (s, i) => {
          if (s.keyframe) keyframeUrls.set(i, await keyframeUrl(s.keyframe));
        }),
      );
      let json: string;
      try {
        ({ json } = buildTaskInput({
          taskId: task.taskId, mediaId: task.mediaId, source: task.source, mediaUrl: await options.mediaUrl(task.source),
          moderation: doc, keyframeUrls, ...(options.maxInputChars ? { maxChars: options.maxInputChars } : {}),
        }));
      } catch (cause) {
        if (cause instanceof RangeError) throw new HumanLoopRequestError("InputTooLarge", cause.message, { cause });
        throw cause;
      }
      const name = humanLoopNameFor(task.taskId);
      try {
        await options.client.send(
          new StartHumanLoopCommand({
            HumanLoopName: name,
            FlowDefinitionArn: options.flowDefinitionArn,
            HumanLoopInput: { InputContent: json },
          }),
        );
      } catch (error) {
        const code = (error as { name?: string }).name ?? "";
        if (code === "ConflictException") return; // already started for this task
        const message = `StartHumanLoop ${name} for ${task.mediaId}: ${code} ${(error as Error).message}`;
        if (BUSY.has(code)) throw new HumanLoopBusyError(code, message, { cause: error });
        if (REFUSED.has(code)) throw new HumanLoopRequestError(code, message, { cause: error });
        throw error;
      }
    },
  };
}
