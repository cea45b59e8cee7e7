import type { StageName, StateStore } from "@media-pipeline/core";

/**
 * The state store as the stages see it. A stage claims (mediaId, stage) under this runtime's owner
 * id; if recording its result then fails and giving the claim back fails too (a full disk, a lock
 * held past busy_timeout), the claim stays `running` under a live lease and every retry would find it
 * "busy" and do nothing: the media would stall. The runtime knows which claims a run in this process
 * still holds, so a busy claim that none holds is an orphan, given back and claimed anew.
 */
export function reclaimOrphans(state: StateStore): StateStore {
  const holding = new Map<string, number>();
  const key = (mediaId: string, stage: StageName) => `${mediaId}/${stage}`;
  const hold = (k: string, by: number) => holding.set(k, (holding.get(k) ?? 0) + by);
  const settle = async <T>(k: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      // Settled or not, the run that held the claim is over.
      if ((holding.get(k) ?? 0) > 0) hold(k, -1);
    }
  };
  return {
    async begin(mediaId, stage, leaseMs) {
      const k = key(mediaId, stage);
      let claim = await state.begin(mediaId, stage, leaseMs);
      if (claim.status === "busy" && !(holding.get(k) ?? 0)) {
        await state.release(mediaId, stage);
        claim = await state.begin(mediaId, stage, leaseMs);
      }
      if (claim.status === "started") hold(k, 1);
      return claim;
    },
    finish: (mediaId, stage, output) => settle(key(mediaId, stage), () => state.finish(mediaId, stage, output)),
    fail: (mediaId, stage, error, output) => settle(key(mediaId, stage), () => state.fail(mediaId, stage, error, output)),
    release: (mediaId, stage) => settle(key(mediaId, stage), () => state.release(mediaId, stage)),
    markPublished: (mediaId, stage) => state.markPublished(mediaId, stage),
    list: (mediaId) => state.list(mediaId),
  };
}
