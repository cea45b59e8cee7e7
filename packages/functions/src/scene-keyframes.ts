import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ShotsDocument, type BlobStore, type ObjectRef, type SceneInput, type SceneSummarizer, type StateStore } from "@media-pipeline/core";
import { MAX_IMAGES_PER_SCENE } from "./adapters/bedrock/index.js";

/**
 * The keyframes of one media item's scenes, for a vision model: a scene's images are the keyframes of
 * its shots, taken from the shots document the detect-shots stage stored (found through that stage's
 * state record, `output.facts.ref`). The document is read at most once per loader, on the first
 * scene that asks; each keyframe is one S3 GetObject, read whole (keyframes are small JPEGs under
 * derived/frames/). At most `perScene` per scene, spread over the scene's shots (first and last for
 * two). A media item without a shots document (audio only, or detect-shots failed) has no keyframes.
 * Errors propagate: the Bedrock summarizer then summarises that scene from text and notes why.
 * @example const load = createSceneKeyframes({ state, blobs, s3, mediaId }); await load(scene.shotIndexes)
 */
export function createSceneKeyframes(deps: {
  state: StateStore;
  blobs: BlobStore;
  s3: Pick<S3Client, "send">;
  mediaId: string;
  perScene?: number;
}): (shotIndexes: readonly number[]) => Promise<Uint8Array[]> {
  const perScene = deps.perScene ?? MAX_IMAGES_PER_SCENE;
  let keyframes: Promise<Map<number, ObjectRef>> | undefined;

  const loadKeyframes = async (): Promise<Map<number, ObjectRef>> => {
    const rec = (await deps.state.list(deps.mediaId)).find((r) => r.stage === "detect-shots");
    const ref = rec?.status === "done" ? (rec.output?.facts?.ref as ObjectRef | undefined) : undefined;
    if (!ref) return new Map();
    const doc = ShotsDocument.parse(await deps.blobs.getJson(ref));
    return new Map(doc.shots.map((s) => [s.index, s.keyframe]));
  };

  const read = async (ref: ObjectRef): Promise<Uint8Array> => {
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    if (!out.Body) throw new Error(`GetObject returned no body for s3://${ref.bucket}/${ref.key}`);
    return out.Body.transformToByteArray();
  };

  return async (shotIndexes) => {
    if (shotIndexes.length === 0 || perScene < 1) return [];
    // Cached per loader; a failed read is not cached, so the next scene tries again.
    const byShot = await (keyframes ??= loadKeyframes().catch((error: unknown) => {
      keyframes = undefined;
      throw error;
    }));
    const refs = spread(shotIndexes, perScene).map((i) => byShot.get(i)).filter((r): r is ObjectRef => r !== undefined);
    return Promise.all(refs.map(read));
  };
}

/** Up to `n` items spread evenly over the list, first and last included. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  if (n === 1) return [items[0]!];
  const picks = new Set<number>();
  for (let k = 0; k < n; k++) picks.add(Math.round((k * (items.length - 1)) / (n - 1)));
  return [...picks].map((i) => items[i]!);
}

/**
 * A SceneSummarizer for one invocation of one media item. `SceneSummarizer.summarize(scenes)` gets
 * scenes without the mediaId and the Bedrock adapter asks for keyframes by scene index, so the
 * summarize-scenes handler builds this per event (it knows the mediaId): `build` receives a
 * `keyframes(sceneIndex)` that maps the index to that scene's `shotIndexes` and loads them.
 */
export function withSceneKeyframes(
  load: (shotIndexes: readonly number[]) => Promise<Uint8Array[]>,
  build: (keyframes: (sceneIndex: number) => Promise<Uint8Array[]>) => SceneSummarizer,
): SceneSummarizer {
  return {
    summarize(scenes: SceneInput[]) {
      const shotsOf = new Map(scenes.map((s) => [s.index, s.shotIndexes]));
      return build(async (sceneIndex) => load(shotsOf.get(sceneIndex) ?? [])).summarize(scenes);
    },
  };
}
