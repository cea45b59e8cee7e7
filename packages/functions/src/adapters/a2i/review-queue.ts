import { StartHumanLoopCommand, type StartHumanLoopCommandOutput } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { NonRetryableError, ReviewTask, type ObjectRef, type ReviewQueue } from "@media-pipeline/core";
import { ConfigurationError } from "../../errors.js";
import { isTransientAwsError } from "../aws-errors.js";
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
  /** A URL the worker's browser can load the media from (presigned GET); the task's player plays it without CORS. */
  mediaUrl: (source: ObjectRef) => Promise<string>;
  /** A URL for a segment's keyframe image; defaults to `mediaUrl`, which presigns any object. */
  keyframeUrl?: (ref: ObjectRef) => Promise<string>;
  /** For tests of the trimming; defaults to A2I's 3,145,728. */
  maxInputChars?: number;
}

/** What `start` did: the loop's name, and whether this call started it (false: it already existed). */
export interface HumanLoopStart {
  humanLoopName: string;
  started: boolean;
}

const OPTION_KEYS = new Set(["client", "flowDefinitionArn", "mediaUrl", "keyframeUrl", "maxInputChars"]);
/** StartHumanLoop's documented pattern for FlowDefinitionArn. */
const FLOW_DEFINITION_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:flow-definition\/.+$/;

function validate(o: A2iReviewQueueOptions): void {
  const issues: string[] = [];
  // Catches a leftover `loadModeration` (the task now carries everything) as loudly as a typo.
  const unknown = Object.keys(o).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) issues.push(`unknown option(s): ${unknown.join(", ")}`);
  if (typeof o.client?.send !== "function") issues.push("client must have send()");
  if (typeof o.flowDefinitionArn !== "string" || !FLOW_DEFINITION_ARN.test(o.flowDefinitionArn) || o.flowDefinitionArn.length > 1024) {
    issues.push(`flowDefinitionArn must be a flow definition ARN (arn:aws:sagemaker:<region>:<account>:flow-definition/<name>), got ${String(o.flowDefinitionArn)}`);
  }
  for (const k of ["mediaUrl", "keyframeUrl"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "function") issues.push(`${k} must be a function`);
  }
  if (typeof o.mediaUrl !== "function") issues.push("mediaUrl is required");
  if (issues.length) throw new ConfigurationError(`Invalid A2I review queue options: ${issues.join("; ")}`, issues);
}

/**
 * `ReviewQueue` on Amazon A2I with a custom task type (Rekognition's built-in A2I integration covers
 * images only). `open` takes core's review task (built and stored by request-review), presigns the
 * media and keyframes, builds the task input (trimmed to A2I's input limit), and starts a human loop
 * named deterministically from the task id. `start` does the same for a later attempt: the review
 * completion re-queues a failed loop under the next name (see requeue.ts), from the stored task.
 *
 * Idempotent on (task id, attempt): a second start gets `ConflictException` ("same name as another
 * active human loop but different input data"), which always happens here because presigned URLs
 * differ on every call, and is taken as "already started". Throttling, quota, internal and network
 * errors are `HumanLoopBusyError` (retryable); a refused request is `HumanLoopRequestError`.
 * https://docs.aws.amazon.com/augmented-ai/2019-11-07/APIReference/API_StartHumanLoop.html
 *
 * @example
 * const queue = createA2iReviewQueue({
 *   client: new SageMakerA2IRuntimeClient({}), flowDefinitionArn: process.env.FLOW_DEFINITION_ARN!,
 *   mediaUrl: (ref) => presignGet(ref, 12 * 3600),
 * });
 * await queue.open(task); // attempt 1
 * await queue.start(task, 2); // the re-queued loop `<taskId>-2`
 */
export function createA2iReviewQueue(options: A2iReviewQueueOptions): ReviewQueue & {
  /** Starts attempt `attempt` (1, 2, …) of the task's human loop. */
  start(task: ReviewTask, attempt: number): Promise<HumanLoopStart>;
  /** The human loop name `start` uses for a task id and attempt. */
  humanLoopName(taskId: string, attempt?: number): string;
} {
  validate(options);
  const keyframeUrl = options.keyframeUrl ?? options.mediaUrl;

  async function start(raw: ReviewTask, attempt: number): Promise<HumanLoopStart> {
    const parsed = ReviewTask.safeParse(raw);
    if (!parsed.success) {
      throw new NonRetryableError(
        `Not a review task: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        { cause: parsed.error },
      );
    }
    const task = parsed.data;
    const keyframeUrls = new Map<number, string>();
    await Promise.all(
      task.segments.map(async (s) => {
        if (s.keyframe) keyframeUrls.set(s.index, await keyframeUrl(s.keyframe));
      }),
    );
    let json: string;
    try {
      ({ json } = buildTaskInput({
        task, mediaUrl: await options.mediaUrl(task.source), keyframeUrls,
        ...(options.maxInputChars ? { maxChars: options.maxInputChars } : {}),
      }));
    } catch (cause) {
      if (cause instanceof RangeError) throw new HumanLoopRequestError("InputTooLarge", cause.message, { cause });
      throw cause;
    }
    const name = humanLoopNameFor(task.taskId, attempt);
    try {
      await options.client.send(
        new StartHumanLoopCommand({
          HumanLoopName: name,
          FlowDefinitionArn: options.flowDefinitionArn,
          HumanLoopInput: { InputContent: json },
        }),
      );
      return { humanLoopName: name, started: true };
    } catch (error) {
      const code = (error as { name?: string }).name ?? "";
      if (code === "ConflictException") return { humanLoopName: name, started: false }; // already started
      const message = `StartHumanLoop ${name} for ${task.mediaId}: ${code} ${(error as Error).message}`;
      // Busy or refused as the one AWS error classifier says (aws-errors.ts).
      if (isTransientAwsError(error)) throw new HumanLoopBusyError(code, message, { cause: error });
      throw new HumanLoopRequestError(code, message, { cause: error });
    }
  }

  return {
    humanLoopName: humanLoopNameFor,
    start,
    async open(task) {
      await start(task, 1);
    },
  };
}
