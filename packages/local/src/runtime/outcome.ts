import type { PipelineEvent } from "@media-pipeline/core";
import type { Store } from "../store/index.js";
import type { DurableBus } from "./bus/index.js";

/** How one media item's flow ended. */
export type Outcome =
  | { kind: "completed"; event: PipelineEvent<"Analysis Completed"> }
  | { kind: "rejected"; event: PipelineEvent<"Media Rejected"> }
  | { kind: "stalled"; reason: string };

/** The media's first report or rejection in the log, if its flow has ended so. */
function ended(store: Store, mediaId: string): Outcome | undefined {
  const event = store.events.first(mediaId, ["Analysis Completed", "Media Rejected"]);
  if (!event) return undefined;
  return event["detail-type"] === "Analysis Completed"
    ? { kind: "completed", event: event as PipelineEvent<"Analysis Completed"> }
    : { kind: "rejected", event: event as PipelineEvent<"Media Rejected"> };
}

/** Resolves when the media's flow ends: report written, media rejected, or nothing left to run. */
export function watchOutcome(bus: DurableBus, store: Store, mediaId: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const check = () => {
      const done = ended(store, mediaId);
      if (done) return finish(done);
      if (bus.pendingCount(mediaId) === 0) {
        const dead = store.deliveries.anyDead(mediaId);
        return finish({ kind: "stalled", reason: dead ? `delivery to ${dead.route} failed: ${dead.lastError}` : "no work left and no result" });
      }
    };
    const onDelivery = (n: { mediaId: string; status: string }) => {
      if (n.mediaId === mediaId && (n.status === "done" || n.status === "dead")) check();
    };
    const finish = (o: Outcome) => {
      bus.off("delivery", onDelivery);
      resolve(o);
    };
    bus.on("delivery", onDelivery);
    check();
  });
}
