import { Worker } from "node:worker_threads";
import { sourceWorkerUrl } from "../vision/worker-source.js";
import type { PreparedFrame, PrepReply, PrepRequest } from "./prep-protocol.js";

/**
 * The thread that finds and crops the probable text lines of each frame (prep-worker.ts). One for the
 * process, started on first use; it does not keep the process alive while idle. A thread that dies
 * fails its calls as retryable (a new one starts on the next call); an aborted call stops waiting at
 * once, its answer is dropped.
 */
export class PrepThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: PreparedFrame) => void; reject: (e: Error) => void }>();

  cropLines(framePath: string, cropPrefix: string, signal?: AbortSignal): Promise<PreparedFrame> {
    signal?.throwIfAborted();
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<PreparedFrame>((resolve, reject) => {
      const onAbort = () => {
        this.settle(id);
        reject(signal?.reason instanceof Error ? signal.reason : new Error("text preparation aborted", { cause: signal?.reason }));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      });
      worker.ref();
      worker.postMessage({ id, framePath, cropPrefix } satisfies PrepRequest);
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const here = import.meta.url;
    const url = here.endsWith(".ts") ? sourceWorkerUrl(new URL("./prep-worker.ts", here)) : new URL("./prep-worker.js", here);
    const worker = new Worker(url, { name: "text-prep" });
    worker.unref();
    worker.on("message", (reply: PrepReply) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.settle(reply.id);
      if (reply.ok) return call.resolve(reply.value);
      const error = new Error(`text preparation failed: ${reply.error.message}`);
      if (reply.error.stack) error.stack = `${error.message}\n    in text-prep:\n${reply.error.stack}`;
      call.reject(error);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      const calls = [...this.pending.values()];
      this.pending.clear();
      // A dead thread is a passing fault: a retry starts a new one.
      for (const c of calls) c.reject(new Error(`text-prep thread stopped: ${error.message}`, { cause: error }));
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

let shared: PrepThread | undefined;

/** The process's text-preparation thread, created on first use. */
export function prepThread(): PrepThread {
  return (shared ??= new PrepThread());
}

/** Stops it (tests; a long-lived process that wants its memory back). */
export async function stopTextPrepThread(): Promise<void> {
  await shared?.stop();
}
