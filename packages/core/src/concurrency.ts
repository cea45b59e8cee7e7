/**
 * Runs `fn` over `items` with at most `limit` calls in flight, taken in the items' order. Rejects
 * with the first failure as soon as it happens; no new call starts after it (calls already running
 * finish on their own). For model calls per scene or chapter and job polls: a few at a time.
 * @example await forEachLimited(scenes, 4, async (scene, i) => { out[i] = await summarize(scene) })
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(Math.floor(limit) || 1, items.length)) }, worker));
}
