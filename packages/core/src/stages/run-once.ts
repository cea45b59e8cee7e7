import { briefEngine, briefMessage, DETAIL_MAX_BYTES, FACTS_MAX_BYTES, jsonBytes } from "../events/bounds.js";
import { catalog, type DetailInput, type DetailType } from "../events/catalog.js";
import { describeFault, isRetryable, OversizeOutputError, StageTimeoutError } from "../errors.js";
import type { EngineInfo } from "../results/common.js";
import type { ProgressFn, Publish, StageOutput, StateStore } from "../ports.js";
import type { StageName } from "../stage-names.js";

/** What the runtime tells a stage about this delivery. */
export interface StageContext {
  /** 1 for the first delivery attempt. */
  attempt: number;
  /** True when the runtime will not retry again: a retryable error now ends in `Stage Failed`. */
  finalAttempt: boolean;
  progress?: ProgressFn;
  /**
   * Aborted when the runtime gives up on this delivery (locally: as soon as its handler returns or
   * throws, so no engine process outlives the delivery that started it). The work's signal follows it.
   */
  signal?: AbortSignal;
  /**
   * This delivery's deadline for the stage's work (ms), e.g. scaled to the media's duration by the
   * runtime; wins over `StageDeps.timeoutMs`. Absent or 0: no deadline.
   */
  timeoutMs?: number;
  /**
   * True when `timeoutMs` is the runtime's hard limit rather than a guard against a stuck engine: in
   * Lambda, the invocation's remaining time less a margin, past which the platform kills the
   * function. A retry would meet the same wall, so a `StageTimeoutError` at this deadline settles the
   * stage as failed (`Stage Failed`, its reason naming the limit) and is not thrown for a retry.
   * Other retryable errors are still thrown. The local runtime leaves it unset: its deadlines guard
   * against stuck engines, which a retry often gets past.
   */
  deadlineIsFinal?: boolean;
  /**
   * What a final deadline is, in words, for the failure's reason: "detect-shots ran out of
   * <deadlineLabel>: stopped after 54 s; …".
   * @example "its Lambda time (60 s were left in the invocation; 6 s kept to record this failure)"
   */
  deadlineLabel?: string;
  /**
   * How long this delivery can hold the stage at most (ms): in Lambda, the invocation's remaining time,
   * after which the platform has stopped the function. A run killed there must not keep the stage
   * from the retry that follows (a join has no later trigger to try again), so the stage's lease ends
   * with it instead of lasting the default half hour. Absent: the lease of `StageDeps`.
   */
  holdMs?: number;
}

/** The ports every stage needs. */
export interface StageDeps {
  state: StateStore;
  publish: Publish;
  /** How long a started stage is protected from a concurrent duplicate (ms). */
  leaseMs?: number;
  /** The stage's deadline (ms) when a delivery brings none (`StageContext.timeoutMs`); absent: none. */
  timeoutMs?: number;
  /**
   * How long a delivery that finds its stage just settled but not yet published waits for the
   * delivery that settled it to record its publish, before publishing the stored events itself (ms).
   */
  publishWaitMs?: number;
}

/** An event a stage wants published, before version/mediaId/correlationId are filled in. */
export type Emit = { [T in DetailType]: { type: T; detail: DetailInput<T> } }[DetailType];

/**
 * What a stage's work returns: the events to publish and small facts for later joins. Both stay small
 * whatever the media's length (events/bounds.ts): an `engine` in a detail or in the facts is stored
 * and published in brief (`briefEngine`; the document keeps it whole), and a detail over
 * DETAIL_MAX_BYTES or facts over FACTS_MAX_BYTES fail the stage with `OversizeOutputError`.
 */
export interface WorkResult {
  emit: Emit[];
  facts?: Record<string, unknown>;
}

export interface RunOnceArgs {
  mediaId: string;
  correlationId: string;
  stage: StageName;
  trigger: DetailType;
  ctx: StageContext;
  /**
   * The stage's work. `signal` aborts when the deadline passes or the runtime gives up on the
   * delivery: an engine that runs a child process kills it then. Work that ignores it is abandoned.
   */
  work: (signal: AbortSignal) => Promise<WorkResult>;
}

const DEFAULT_LEASE_MS = 30 * 60_000;

/**
 * A started stage is protected from a concurrent duplicate for its lease; a deadline longer than the
 * default lease stretches it, so a long but healthy run is never taken over while it still may finish.
 */
function leaseFor(deps: StageDeps, ctx: StageContext): number {
  if (ctx.holdMs !== undefined && ctx.holdMs > 0) return ctx.holdMs;
  const timeout = ctx.timeoutMs ?? deps.timeoutMs ?? 0;
  return Math.max(deps.leaseMs ?? DEFAULT_LEASE_MS, timeout > 0 ? timeout + 60_000 : 0);
}

function dedupeKey(mediaId: string, stage: StageName, type: DetailType): string {
  return `${mediaId}/${stage}/${type}`;
}

/**
 * Publishes a settled stage's stored events, then records that it did. The record is best effort: an
 * event bus (EventBridge) delivers at least once anyway, and failing the delivery here would only make
 * its retry publish the same events again.
 */
async function publishAll(deps: StageDeps, mediaId: string, stage: StageName, output: StageOutput): Promise<void> {
  for (const e of output.events) {
    await deps.publish(e.type, e.detail as never, { dedupeKey: dedupeKey(mediaId, stage, e.type) });
  }
  await deps.state.markPublished(mediaId, stage).catch(() => undefined);
}

/**
 * A delivery that finds its stage settled: publishes the stored events only if the delivery that
 * settled it stopped before publishing them (a crash, or Lambda's timeout, between the state write
 * and PutEvents). Otherwise a trigger delivered twice, a retried invocation, or a join's second
 * trigger would put every event on the bus again for consumers to see twice.
 */
async function mendUnpublished(deps: StageDeps, args: Omit<RunOnceArgs, "work">, settled: { output: StageOutput; published: boolean }): Promise<void> {
  const { mediaId, stage, ctx } = args;
  if (settled.published) return;
  // Never longer than half the delivery's own deadline: a Lambda must still have time to publish.
  const waitMs = Math.min(deps.publishWaitMs ?? DEFAULT_PUBLISH_WAIT_MS, ctx.timeoutMs && ctx.timeoutMs > 0 ? ctx.timeoutMs / 2 : Number.POSITIVE_INFINITY);
  if (await publishedMeanwhile(deps, mediaId, stage, waitMs)) return;
  await publishAll(deps, mediaId, stage, settled.output);
}

const DEFAULT_PUBLISH_WAIT_MS = 10_000;
const PUBLISH_POLL_MS = 200;

/**
 * Whether the delivery that settled the stage records its publish within the wait. A stage settled
 * moments ago and not yet published is most often being published right now (a join's two last
 * triggers arrive together; EventBridge delivers an event twice at once): publishing too would put
 * every event on the bus twice. A stage settled longer ago than the wait has lost its publisher.
 */
async function publishedMeanwhile(deps: StageDeps, mediaId: string, stage: StageName, waitMs: number): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    const record = (await deps.state.list(mediaId)).find((r) => r.stage === stage);
    if (!record) return false;
    if (record.published) return true;
    const settledAt = record.finishedAt ? Date.parse(record.finishedAt) : Number.NaN;
    if (!(Math.abs(Date.now() - settledAt) < waitMs) || Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, PUBLISH_POLL_MS));
  }
}

function fill(e: Emit, mediaId: string, correlationId: string): StageOutput["events"][number] {
  return { type: e.type, detail: { version: catalog[e.type].version, mediaId, correlationId, ...e.detail } };
}

/** An `engine` field replaced by its brief; anything else unchanged. */
function withBriefEngine<T extends Record<string, unknown>>(fields: T): T {
  const engine = fields.engine as EngineInfo | undefined;
  if (typeof engine !== "object" || engine === null || typeof engine.name !== "string") return fields;
  return { ...fields, engine: briefEngine(engine) };
}

/** The output runOnce stores and publishes: engines in brief, and within the bounds or refused. */
function boundedOutput(stage: StageName, result: WorkResult, mediaId: string, correlationId: string): StageOutput {
  const events = result.emit.map((e) => {
    const filled = fill(e, mediaId, correlationId);
    return { type: filled.type, detail: withBriefEngine(filled.detail) };
  });
  for (const e of events) {
    const bytes = jsonBytes(e.detail);
    if (bytes > DETAIL_MAX_BYTES) {
      throw new OversizeOutputError(`${stage} produced a ${e.type} detail of ${bytes} bytes, over the ${DETAIL_MAX_BYTES} an event may carry`);
    }
  }
  const facts = result.facts && withBriefEngine(result.facts);
  const factBytes = jsonBytes(facts);
  if (factBytes > FACTS_MAX_BYTES) {
    throw new OversizeOutputError(`${stage} produced ${factBytes} bytes of facts, over the ${FACTS_MAX_BYTES} a state record keeps`);
  }
  return { events, facts };
}

/** The deadline a delivery runs under: the runtime's (`ctx`) if it gave one, else the stage's own. */
interface Deadline { ms: number | undefined; final: boolean; label?: string }

function deadlineOf(deps: StageDeps, ctx: StageContext): Deadline {
  if (ctx.timeoutMs === undefined) return { ms: deps.timeoutMs, final: false };
  return { ms: ctx.timeoutMs, final: ctx.deadlineIsFinal === true, ...(ctx.deadlineLabel ? { label: ctx.deadlineLabel } : {}) };
}

/**
 * Runs a stage's work at most once per (mediaId, stage), however often its trigger is delivered.
 *
 * The state store is written before events are published, and publishing is keyed and then recorded,
 * so a crash between the two is mended by the next delivery publishing the stored events (the local
 * bus drops a duplicate by its key; EventBridge consumers see at-least-once delivery, as AWS
 * documents), and a delivery after a complete publish adds nothing.
 * Retryable errors give the stage back and are thrown for the platform to retry; non-retryable
 * ones (and retryable ones on the final attempt) settle the stage as failed with `Stage Failed`.
 */
export async function runOnce(deps: StageDeps, args: RunOnceArgs): Promise<void> {
  const claim = await deps.state.begin(args.mediaId, args.stage, leaseFor(deps, args.ctx));
  if (claim.status === "done" || claim.status === "failed") {
    await mendUnpublished(deps, args, claim);
    return;
  }
  // Another delivery holds the lease and will publish; doing the work twice is what we avoid.
  if (claim.status === "busy") return;
  await execute(deps, args, claim.attempt);
}

/**
 * Completes a stage that an earlier delivery started and handed to an asynchronous job (a
 * Rekognition video job, a Transcribe job): the job's completion notice runs `work`. A duplicate
 * notice finds the stage settled and does not redo it (it publishes the stored events only if they
 * never were).
 */
export async function completeOnce(deps: StageDeps, args: RunOnceArgs): Promise<void> {
  const record = (await deps.state.list(args.mediaId)).find((r) => r.stage === args.stage);
  if (record && (record.status === "done" || record.status === "failed") && record.output) {
    await mendUnpublished(deps, args, { output: record.output, published: record.published === true });
    return;
  }
  await execute(deps, args, record?.attempts ?? 1);
}

/**
 * Starts a stage whose work an asynchronous job does (a Rekognition video job, a Transcribe job):
 * `start` submits it under a deterministic name, and the stage stays running until `completeOnce`
 * is called from the job's completion notice. A duplicate trigger finds the stage running and
 * leaves it; the job APIs' idempotency tokens cover a restart after the lease ran out.
 */
export async function startOnce(deps: StageDeps, args: Omit<RunOnceArgs, "work"> & { start: () => Promise<void> }): Promise<void> {
  const claim = await deps.state.begin(args.mediaId, args.stage, deps.leaseMs ?? DEFAULT_LEASE_MS);
  if (claim.status === "done" || claim.status === "failed") {
    await mendUnpublished(deps, args, claim);
    return;
  }
  if (claim.status === "busy") return;
  try {
    // Under the deadline too: a start killed mid-call would leave the stage running for its job lease.
    await withDeadline(() => args.start(), args.stage, deadlineOf(deps, args.ctx), args.ctx.signal);
  } catch (error) {
    await settleFailure(deps, args, claim.attempt, describeFault(error));
  }
}

async function execute(deps: StageDeps, args: RunOnceArgs, attempt: number): Promise<void> {
  const { mediaId, correlationId, stage } = args;
  let output: StageOutput;
  try {
    const result = await withDeadline(args.work, stage, deadlineOf(deps, args.ctx), args.ctx.signal);
    output = boundedOutput(stage, result, mediaId, correlationId);
  } catch (error) {
    await settleFailure(deps, args, attempt, describeFault(error));
    return;
  }
  try {
    await deps.state.finish(mediaId, stage, output);
  } catch (error) {
    // A stage left running under this runtime's lease would look busy to the retry, which would
    // then do nothing: give it back (best effort: the store may be what failed) and retry.
    await deps.state.release(mediaId, stage).catch(() => undefined);
    throw describeFault(error);
  }
  await publishAll(deps, mediaId, stage, output);
}

/**
 * Runs the work under its deadline. At the deadline the work's signal is aborted (an engine kills its
 * child process) and the stage fails with `StageTimeoutError` at once, without waiting for the work
 * to notice: a stuck engine may not answer its signal either.
 */
async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>, stage: StageName, deadline: Deadline, outer: AbortSignal | undefined,
): Promise<T> {
  const timeoutMs = deadline.ms;
  const controller = new AbortController();
  const follow = () => controller.abort(outer?.reason);
  if (outer?.aborted) follow();
  else outer?.addEventListener("abort", follow, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const running = work(controller.signal);
    if (!timeoutMs || timeoutMs <= 0 || !Number.isFinite(timeoutMs)) return await running;
    // Past the deadline the work is abandoned; its late rejection is expected, not unhandled.
    running.catch(() => undefined);
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new StageTimeoutError(stage, timeoutMs, { final: deadline.final, ...(deadline.label ? { limit: deadline.label } : {}) });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    return await Promise.race([running, expiry]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", follow);
  }
}

/**
 * Retryable errors give the stage back and are rethrown for the platform to retry; the rest (and
 * retryable ones on the final attempt) settle it as failed with `Stage Failed`. A final deadline
 * (`StageContext.deadlineIsFinal`) is not retryable: a retry would meet the same limit.
 */
async function settleFailure(deps: StageDeps, args: Omit<RunOnceArgs, "work">, attempt: number, error: unknown): Promise<void> {
  const { mediaId, correlationId, stage, trigger, ctx } = args;
  const retryable = isRetryable(error) && !(error instanceof StageTimeoutError && error.final);
  if (retryable && !ctx.finalAttempt) {
    await deps.state.release(mediaId, stage);
    throw error;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  // The record keeps what the event says: an engine's whole stderr would not fit a state item.
  const reason = { name: err.name.slice(0, 200), message: briefMessage(err.message) };
  const failed = fill({ type: "Stage Failed", detail: { stage, error: reason, attempts: attempt, trigger } }, mediaId, correlationId);
  const output: StageOutput = { events: [failed] };
  await deps.state.fail(mediaId, stage, reason, output);
  await publishAll(deps, mediaId, stage, output);
  // A retryable error that ran out of attempts is also handed back so the runtime can dead-letter
  // the delivery for a later redrive.
  if (retryable) throw error;
}
