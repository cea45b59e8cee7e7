/**
 * The emulated services' background work: jobs run a few at a time (the engines are CPU-bound and the
 * machine has 2 cores), in the order they were started, and `idle()` tells when nothing is queued or
 * running, so a harness can wait for every job to have finished and notified.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private outstanding = 0;
  private closed = false;

  constructor(private readonly concurrency: number) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`worker concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.outstanding;
  }

  /** Runs `task` when a worker is free; never rejects the queue itself (the task's promise does). */
  push<T>(task: () => Promise<T>): Promise<T> {
    this.outstanding += 1;
    const run = async () => {
      // A finishing task hands its slot straight to the next waiter, so a new push cannot slip past.
      if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
      else this.running += 1;
      try {
        if (this.closed) throw new Error("the emulators were stopped before this job ran");
        return await task();
      } finally {
        const next = this.waiting.shift();
        if (next) next();
        else this.running -= 1;
        this.outstanding -= 1;
        if (this.outstanding === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    };
    return run();
  }

  /** Runs nothing more: queued tasks are dropped (their promises reject); resolves when the running ones end. */
  close(): Promise<void> {
    this.closed = true;
    return this.idle();
  }

  /** Resolves when no task is queued or running. */
  idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
