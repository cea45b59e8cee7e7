import { EventValidationError } from "../errors.js";
import type { AnyPipelineEvent, DetailType, PipelineEvent } from "../events/catalog.js";
import type { ObjectRef } from "../results/common.js";
import { derivedKey } from "../keys.js";
import type { StageContext } from "./run-once.js";

/** A stage as the runtimes call it: one delivery of one event. */
export type StageHandler = (event: AnyPipelineEvent, ctx: StageContext) => Promise<void>;

/** Narrows an event to the detail-types a stage accepts; anything else is a wiring bug. */
export function expectEvent<T extends DetailType>(event: AnyPipelineEvent, stage: string, ...types: T[]): PipelineEvent<T> {
  if (!(types as DetailType[]).includes(event["detail-type"])) {
    throw new EventValidationError(`${stage} cannot handle "${event["detail-type"]}"`, [`detail-type: expected ${types.join(" | ")}`]);
  }
  return event as unknown as PipelineEvent<T>;
}

/** Where a stage's derived artifacts live, beside the source in the same bucket. */
export function derivedRef(source: ObjectRef, mediaId: string, name: string): ObjectRef {
  return { bucket: source.bucket, key: derivedKey(mediaId, name) };
}
