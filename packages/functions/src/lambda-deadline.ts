import { formatSeconds, type StageContext } from "@media-pipeline/core";
import type { Context } from "aws-lambda";

/** What a stage needs of Lambda's context object: the time left before the platform stops the function. */
export type LambdaContext = Pick<Context, "getRemainingTimeInMillis">;

/** The least time kept back from a stage's work to settle it (see settleMarginMs). */
export const SETTLE_MARGIN_MIN_MS = 5_000;
/** The share of the remaining time kept back instead, when that is more (see settleMarginMs). */
export const SETTLE_MARGIN_SHARE = 0.1;

/**
 * How much of an invocation's remaining time a stage keeps back from its work, to settle itself if the
 * work runs out of time: record the failure (one DynamoDB UpdateItem), publish `Stage Failed` (one
 * EventBridge PutEvents) and clear /tmp. Each call answers in well under a second; 5 s leaves room
 * for the SDK to retry one that is throttled, on the slow CPU of a small function (512 MB gets about
 * a third of a vCPU). A long invocation keeps 10 % instead, because the deadline's timer fires only
 * when the event loop is free: work that blocks it (parsing a large result, hashing) delays the timer
 * by as long as it blocks, and long work tends to block in larger pieces. With less than twice the
 * margin left, the time is split evenly between the work and settling it.
 * @example settleMarginMs(900_000) // 90_000; settleMarginMs(60_000) // 6_000; settleMarginMs(1_500) // 750
 */
export function settleMarginMs(remainingMs: number): number {
  return Math.round(Math.min(Math.max(SETTLE_MARGIN_MIN_MS, remainingMs * SETTLE_MARGIN_SHARE), remainingMs / 2));
}

/**
 * The StageContext of one Lambda invocation. Lambda stops a function at its timeout without a word,
 * so the stage's deadline is the time left less the settle margin, and it is final: a retry would
 * meet the same timeout, so core settles the stage as failed (`Stage Failed` naming the Lambda time)
 * instead of handing it back. Read when the stage starts, so a second record in one batch gets what
 * the first left. Without a context (a test calling `handler(event)`) there is no deadline. Lambda
 * cannot say which attempt an invocation is, so only the platform decides the last one.
 * @example await run(event, stageContext(context))
 */
export function stageContext(context?: LambdaContext): StageContext {
  const ctx: StageContext = { attempt: 1, finalAttempt: false };
  if (typeof context?.getRemainingTimeInMillis !== "function") return ctx;
  const remaining = context.getRemainingTimeInMillis();
  if (!Number.isFinite(remaining)) return ctx;
  const margin = settleMarginMs(Math.max(0, remaining));
  return {
    ...ctx,
    // At least 1 ms: 0 would mean "no deadline" to core, and this one has run out.
    timeoutMs: Math.max(1, Math.floor(remaining - margin)),
    deadlineIsFinal: true,
    // The run cannot outlive the invocation: once Lambda has stopped it, a retry may take the stage over.
    holdMs: Math.max(1, Math.ceil(remaining)),
    deadlineLabel: `its Lambda time (${formatSeconds(Math.max(0, remaining))} were left in the invocation; ${formatSeconds(margin)} kept to record this failure)`,
  };
}
