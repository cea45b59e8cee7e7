/*
 * How the Bedrock summarizers pace their Converse calls: a few at once (quotas are per minute), and
 * retries spread out in time.
 */

/** Runs `fn` on every item, at most `n` at a time, in order of the items. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * "Equal jitter": at least half the exponential delay for retry `attempt` (0-based), capped at
 * `maxDelayMs`, so retries spread out but never stampede.
 */
export function equalJitterBackoff(baseDelayMs: number, maxDelayMs: number, random: () => number): (attempt: number) => number {
  return (attempt) => {
    const d = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
    return Math.round(d / 2 + random() * (d / 2));
  };
}
