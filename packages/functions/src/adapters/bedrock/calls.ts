/*
 * How the Bedrock summarizers pace their Converse calls: a few at once (quotas are per minute), and
 * retries spread out in time.
 */

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
