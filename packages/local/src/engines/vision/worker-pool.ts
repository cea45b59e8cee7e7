import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { NonRetryableError } from "@media-pipeline/core";
import type { WorkerCalls, WorkerOp, WorkerReply, WorkerStats } from "./protocol.js";
import { sourceWorkerUrl } from "./worker-source.js";

/**
 * One worker thread running TensorFlow.js. It loads each model on first use and answers requests
 * one at a time, in order. Threads start on first use, live for the process (their models load once)
 * and do not keep the process alive while idle. A thread that dies fails its calls as retryable and is
 * replaced on the next call.
 */
export class VisionWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** Models this thread has been asked to run (so has loaded, or is loading). */
  readonly models = new Set<string>();

  constructor(readonly name: string) {}

  /** Calls sent and not answered yet. */
  get load(): number {
    return this.pending.size;
  }

  call<K extends WorkerOp>(op: K, request: WorkerCalls[K]["request"]): Promise<WorkerCalls[K]["response"]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...request, id, op });
    });
  }

  /** Stops the thread (its models go with it); the next call starts a new one. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    this.models.clear();
    const here = import.meta.url;
    const url = here.endsWith(".ts") ? sourceWorkerUrl(new URL("./worker/vision-worker.ts", here)) : new URL("./worker/vision-worker.js", here);
    const worker = new Worker(url, { name: this.name });
    worker.unref();
    worker.on("message", (reply: WorkerReply) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) return call.resolve(reply.value);
      const error = reply.error.retryable ? new Error(reply.error.message) : new NonRetryableError(reply.error.message);
      if (reply.error.stack) error.stack = `${error.name}: ${reply.error.message}\n    in ${this.name}:\n${reply.error.stack}`;
      call.reject(error);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      const calls = [...this.pending.values()];
      this.pending.clear();
      // A thread that died (out of memory, a crash in WASM) is a passing fault: a retry starts a new one.
      for (const c of calls) c.reject(new Error(`${this.name} stopped: ${error.message}`, { cause: error }));
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** Requests a thread may hold beyond the one it is running: enough that it never waits for the next. */
const QUEUED_PER_THREAD = 2;

/**
 * The vision engines' CPU budget: a few worker threads, any of which runs any model, shared by every
 * detector of the process.
 *
 * Why threads: the WASM backend has no threads of its own in Node (see worker/tfjs.ts), so on the main thread
 * human and nsfwjs took turns on one core and blocked the bus while they ran. Why shared rather than a
 * thread per model: labels cost about three times what moderation does per frame, so a thread per model
 * left one core idle for the last third of a long video (labels 69 s, moderation 48 s on the 10-minute
 * bench); here each request goes to the least busy thread and neither core waits on the other. Each thread has its own TensorFlow.js engine, so the two libraries no
 * longer share one either.
 */
export class VisionPool {
  readonly threads: VisionWorker[];
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.threads = Array.from({ length: Math.max(1, Math.floor(size)) }, (_, i) => new VisionWorker(`vision-${i + 1}`));
  }

  /**
   * Runs a request on the least busy thread, waiting for one with room if all are busy. Between
   * equally busy threads, one that already runs the request's model goes first (a model a thread has
   * never run costs it a load).
   */
  async call<K extends WorkerOp>(op: K, request: WorkerCalls[K]["request"]): Promise<WorkerCalls[K]["response"]> {
    const model = op === "stats" ? undefined : op.startsWith("nsfw.") ? `nsfw-${(request as { model: string }).model}` : "human";
    let thread = this.pick(model);
    while (thread.load > QUEUED_PER_THREAD) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      thread = this.pick(model);
    }
    if (model) thread.models.add(model);
    try {
      return await thread.call(op, request);
    } finally {
      this.waiting.shift()?.();
    }
  }

  /** Asks every thread (tests: model loads and live tensors per thread). */
  stats(): Promise<WorkerStats[]> {
    return Promise.all(this.threads.map((t) => t.call("stats", {})));
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }

  private pick(model: string | undefined): VisionWorker {
    const least = this.threads.reduce((best, t) => (t.load < best.load ? t : best));
    return (model && this.threads.find((t) => t.load === least.load && t.models.has(model))) || least;
  }
}

/**
 * Threads in the process's pool: one per core, at most four — each holds its own copy of the models
 * and of TensorFlow.js, and one video's decode pass rarely feeds more.
 */
export const VISION_THREADS = Math.min(4, Math.max(1, availableParallelism()));

let pool: VisionPool | undefined;

/** The process's vision pool, created on first use. */
export function visionPool(): VisionPool {
  return (pool ??= new VisionPool(VISION_THREADS));
}

/** Stops the pool's threads (tests; a long-lived process that wants its memory back). */
export async function stopVisionWorkers(): Promise<void> {
  await pool?.stop();
}
