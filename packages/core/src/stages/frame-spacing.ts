/**
 * The spacing of sampled frames, read from the frames themselves so that time ranges stay right
 * whatever sampling the engine used.
 */
export function frameSpacingMs(timestamps: readonly number[], fallback = 1000): number {
  const t = [...new Set(timestamps)].sort((a, b) => a - b);
  const gaps = t.slice(1).map((x, i) => x - t[i]!).filter((g) => g > 0).sort((a, b) => a - b);
  return gaps.length ? gaps[Math.floor(gaps.length / 2)]! : fallback;
}
