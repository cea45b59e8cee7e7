import { NonRetryableError } from "@media-pipeline/core";
import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs";
import type { NSFWJS } from "nsfwjs";
import { NSFW_CLASSES, type NsfwClass } from "../moderation-taxonomy.js";
import type { NsfwModelName } from "../protocol.js";
import { fuseLayersModel } from "./fused-layers.js";
import { imageTensor, type RgbImage } from "./frame-image.js";
import { initTfjs, packageVersion, serial, type Tf, type TfjsRuntime } from "./tfjs.js";

/**
 * The nsfwjs models inside a vision worker: loaded once per thread and model, run on batches of
 * decoded frames. The detector that asks for them lives on the main thread (../nsfw-moderation.ts).
 */

export interface NsfwModel {
  nsfw: NSFWJS;
  model: NsfwModelName;
  /** Square input side the model expects (224 or 299). */
  size: number;
  version: string;
  runtime: TfjsRuntime;
  /** Model load plus one inference, once per thread and model. */
  warmupMs: number;
  run: <T>(task: () => Promise<T>) => Promise<T>;
  /** The model's forward pass: with batch normalization folded (fused-layers.ts) when that checked out. */
  predict: (batch: Tensor4D) => Tensor;
  /** Whether `predict` is the folded one. */
  fused: boolean;
}

const models = new Map<NsfwModelName, Promise<NsfwModel>>();
const loads = new Map<NsfwModelName, number>();

/** How many times this process loaded a given nsfwjs model (stays 1: models are memoized). */
export function nsfwModelLoadCount(model: NsfwModelName = "MobileNetV2"): number {
  return loads.get(model) ?? 0;
}

/**
 * Loads an nsfwjs model once per thread. nsfwjs ships its weights as JS modules inside the package,
 * so nothing is fetched.
 */
export function loadNsfwModel(model: NsfwModelName = "MobileNetV2"): Promise<NsfwModel> {
  let p = models.get(model);
  if (!p) {
    p = loadOnce(model).catch((err: unknown) => {
      models.delete(model);
      throw err instanceof NonRetryableError ? err : new NonRetryableError(`nsfwjs ${model} failed to load`, { cause: err });
    });
    models.set(model, p);
  }
  return p;
}

/**
 * nsfwjs announces every bundled-model load on console.info ("You're using the model…", advice for
 * browsers about hosting models); in a CLI that is noise on every run, so it is held back while loading.
 */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const info = console.info;
  console.info = () => {};
  try {
    return await fn();
  } finally {
    console.info = info;
  }
}

async function loadOnce(model: NsfwModelName): Promise<NsfwModel> {
  const started = performance.now();
  // The backend must be set before nsfwjs creates any tensor, or it would start on another backend.
  const runtime = await initTfjs();
  const { load } = await import("nsfwjs");
  const nsfw = await quietly(() => load(model));
  const size = nsfw.model.inputs[0]?.shape?.[1];
  if (typeof size !== "number") throw new NonRetryableError(`nsfwjs ${model} has no fixed input size`);
  const { tf } = runtime;
  const own = (batch: Tensor4D) => nsfw.model.predict(batch) as Tensor;
  const m: NsfwModel = { nsfw, model, size, version: packageVersion("nsfwjs"), runtime, warmupMs: 0, run: serial(), predict: own, fused: false };
  const fused = "layers" in nsfw.model ? fuseLayersModel(tf, nsfw.model) : undefined;
  if (fused && agrees(tf, own, fused, size)) Object.assign(m, { predict: fused, fused: true });
  // One inference through nsfwjs's own classify and one through our batched path must agree: this
  // both warms the model and proves NSFW_CLASSES matches the model's output order.
  const img: RgbImage = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).map((_, i) => (i * 37) % 256) };
  const t = tf.tensor3d(img.data, [img.height, img.width, 3], "int32");
  const theirs = await nsfw.classify(t, NSFW_CLASSES.length).finally(() => t.dispose());
  const [ours] = await classifyBatch(m, [img]);
  for (const { className, probability } of theirs) {
    const i = NSFW_CLASSES.indexOf(className as NsfwClass);
    if (i < 0 || Math.abs(ours[i] - probability) > 1e-3) {
      throw new NonRetryableError(`nsfwjs class order is not ${NSFW_CLASSES.join(", ")} (${className})`);
    }
  }
  m.warmupMs = performance.now() - started;
  loads.set(model, (loads.get(model) ?? 0) + 1);
  return m;
}

/** The folded model gives the model's own answers (to float rounding) on a batch of random images. */
function agrees(tf: Tf, own: (b: Tensor4D) => Tensor, fused: (b: Tensor4D) => Tensor2D, size: number): boolean {
  return tf.tidy(() => {
    const batch = tf.randomUniform([2, size, size, 3], 0, 1, "float32", 7) as Tensor4D;
    return tf.max(tf.abs(tf.sub(own(batch), fused(batch)))).dataSync()[0]! < 1e-4;
  });
}

/**
 * Class probabilities for a batch of frames, one row per frame in NSFW_CLASSES order. Same
 * preprocessing as nsfwjs's `infer` (scale to 0–1, bilinear resize with aligned corners), but one
 * model call for the whole batch.
 */
export async function classifyBatch(m: NsfwModel, images: readonly RgbImage[]): Promise<number[][]> {
  if (images.length === 0) return [];
  const { tf } = m.runtime;
  return m.run(async () => {
    const out = tf.tidy(() => {
      const batch = tf.stack(
        images.map((img) =>
          tf.image.resizeBilinear(
            tf.div<Tensor3D>(imageTensor(tf, img), 255),
            [m.size, m.size],
            true,
          ),
        ),
      );
      return m.predict(batch as Tensor4D);
    });
    try {
      return (await out.array()) as number[][];
    } finally {
      out.dispose();
    }
  });
}
