import { NonRetryableError } from "@media-pipeline/core";
import { RekognitionLimitError } from "./errors.js";

/**
 * Where starts wait while Rekognition runs its 20 concurrent video jobs (the default quota per
 * account). FIFO: `push` appends, `shift` takes the oldest. `unshift`, when the store has it, puts
 * an item back at the front so a release that hit the limit again keeps its place; without it the
 * item goes to the back. The DynamoDB store implements the same port.
 * https://docs.aws.amazon.com/rekognition/latest/dg/limits.html
 * @example
 * const backlog = createInMemoryBacklog<VideoJobRequest>();
 * await backlog.push(request);
 * const next = await backlog.shift();
 */
export interface BacklogPort<T> {
  push(item: T): void | Promise<void>;
  shift(): T | undefined | Promise<T | undefined>;
  unshift?(item: T): void | Promise<void>;
}

/** Starts one job; throws `RekognitionLimitError` when the concurrent-job limit is reached. */
export type StartJob<T> = (item: T) => Promise<{ jobId: string }>;

export type StartOrBacklogResult = { started: string } | { backlogged: true };

/**
 * Starts the job, or puts it in the backlog when Rekognition is at its concurrent-job limit.
 * Any other error is thrown unchanged for the stage's retry or `Stage Failed` handling.
 */
export async function startOrBacklog<T>(start: StartJob<T>, backlog: BacklogPort<T>, item: T): Promise<StartOrBacklogResult> {
  try {
    const { jobId } = await start(item);
    return { started: jobId };
  } catch (error) {
    if (!(error instanceof RekognitionLimitError)) throw error;
    await backlog.push(item);
    return { backlogged: true };
  }
}

export type ReleaseResult<T> =
  | { started: string; item: T }
  | { backlogged: true; item: T }
  | { failed: NonRetryableError; item: T }
  | { empty: true };

/**
 * Called once per job completion (each frees one slot): starts the oldest waiting item. If the
 * limit is hit again (another start took the slot first) the item stays queued. An item that can
 * never start (a non-retryable error) leaves the queue and is returned as `failed` so the caller
 * can emit `Stage Failed` for its media; a passing error puts it back and is thrown for a retry.
 */
export async function releaseOne<T>(start: StartJob<T>, backlog: BacklogPort<T>): Promise<ReleaseResult<T>> {
  const item = await backlog.shift();
  if (item === undefined) return { empty: true };
  try {
    const { jobId } = await start(item);
    return { started: jobId, item };
  } catch (error) {
    if (error instanceof NonRetryableError) return { failed: error, item };
    await putBack(backlog, item);
    if (error instanceof RekognitionLimitError) return { backlogged: true, item };
    throw error;
  }
}

async function putBack<T>(backlog: BacklogPort<T>, item: T): Promise<void> {
  if (backlog.unshift) await backlog.unshift(item);
  else await backlog.push(item);
}

/** An in-memory backlog for tests and single-process use. */
export function createInMemoryBacklog<T>(initial: readonly T[] = []): BacklogPort<T> & { readonly items: readonly T[]; readonly size: number } {
  const items = [...initial];
  return {
    push: (item) => void items.push(item),
    shift: () => items.shift(),
    unshift: (item) => void items.unshift(item),
    get items() {
      return [...items];
    },
    get size() {
      return items.length;
    },
  };
}
