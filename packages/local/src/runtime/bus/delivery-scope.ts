import { AsyncLocalStorage } from "node:async_hooks";
import { describeFault, DiskFullError, RetryableError } from "@media-pipeline/core";

const deliveryScope = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` as the delivery whose signal is `signal` (see currentDeliverySignal). */
export function inDelivery<T>(signal: AbortSignal, work: () => T): T {
  return deliveryScope.run(signal, work);
}

/**
 * The signal of the delivery this code runs in, if any: aborted once the delivery's handler returns
 * or throws (a stage that timed out gives up that way). Engine adapters that the stage code calls
 * without a signal read it here, so their child processes never outlive the delivery.
 */
export function currentDeliverySignal(): AbortSignal | undefined {
  return deliveryScope.getStore();
}

/**
 * SQLite reports a full disk and a held lock by code only; name them so the dead-letter table and the
 * progress lines say what a person can act on. Node's ENOSPC/EDQUOT are named by core.
 */
export function describeBusFault(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SQLITE_FULL") return new DiskFullError("disk full: the database cannot grow (SQLITE_FULL)", { cause: error });
  if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) {
    return new RetryableError(`database busy: another connection held the write lock longer than busy_timeout (${code})`, { cause: error });
  }
  return describeFault(error);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
