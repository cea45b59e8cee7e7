import { NonRetryableError } from "@media-pipeline/core";
import type { EngineCallOptions, EngineInfo, FrameModeration, ModerationDetector, ProgressFn, VisionInput } from "@media-pipeline/core";
import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs";
import type { NSFWJS } from "nsfwjs";
import type { FrameSource, PathOf } from "../../media/types.js";
import { analyzeFrames } from "./analyze.js";
import { fuseLayersModel } from "./fused-layers.js";
import { imageTensor, percent, serial, runtimeSettings, type RgbImage } from "./frames.js";
import { initTfjs, packageVersion, type Tf, type TfjsRuntime } from "./tfjs.js";
import { visionPool } from "./worker-pool.js";

/** The name moderation goes by as a consumer of the frame source's stream. */
export const MODERATION_CONSUMER = "moderation";

/** nsfwjs's output classes, in the order of its model's output vector. Checked against nsfwjs at load. */
export const NSFW_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;
export type NsfwClass = (typeof NSFW_CLASSES)[number];

/**
 * nsfwjs classes in Rekognition's two-level moderation taxonomy (`name` is the second level,
 * `parent` the top level). `null` means the class is not unsafe and emits nothing.
 *
 * | nsfwjs  | name                        | parent     | why |
 * |---------|-----------------------------|------------|-----|
 * | Porn    | Explicit Nudity             | Explicit   | Rekognition v7 L2 "Explicit Nudity" under L1 "Explicit" |
 * | Hentai  | Illustrated Explicit Nudity | Explicit   | Rekognition's label for drawn/animated explicit content |
 * | Sexy    | Revealing Clothes           | Suggestive | Rekognition's "Suggestive" category; v7 splits it into "Non-Explicit Nudity of Intimate parts and Kissing" and "Swimwear or Underwear", which nsfwjs cannot tell apart |
 * | Neutral | —                           | —          | safe |
 * | Drawing | —                           | —          | safe illustration (a drawing, not unsafe content) |
 *
 * nsfwjs knows nothing of violence, drugs, alcohol, gestures, gambling or hate symbols: those
 * Rekognition categories never appear locally.
 */
export const MODERATION_TAXONOMY: Readonly<Record<NsfwClass, { name: string; parent: string } | null>> = {
  Porn: { name: "Explicit Nudity", parent: "Explicit" },
  Hentai: { name: "Illustrated Explicit Nudity", parent: "Explicit" },
  Sexy: { name: "Revealing Clothes", parent: "Suggestive" },
  Neutral: null,
  Drawing: null,
};

export type NsfwModelName = "MobileNetV2" | "MobileNetV2Mid" | "InceptionV3";

/** Scores below this (0–100) are noise and dropped; everything above goes to core's policy. */
export const MIN_REPORTED_CONFIDENCE = 1;

export interface NsfwModerationDetectorOptions {
  frames: FrameSource;
  pathOf: PathOf;
  /** nsfwjs model: MobileNetV2 (~70 ms/frame, default), MobileNetV2Mid, InceptionV3 (~440 ms/frame). */
  model?: NsfwModelName;
  /** Frames per inference batch when reading the pass's JPEGs (streamed frames go one by one). Default 8. */
  batchSize?: number;
}

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

/** A frame's unsafe classes in the taxonomy, each at its probability × 100 (from 1 up). */
export function toModerationLabels(probabilities: readonly number[]): FrameModeration["labels"] {
  const labels: FrameModeration["labels"] = [];
  NSFW_CLASSES.forEach((cls, i) => {
    const mapped = MODERATION_TAXONOMY[cls];
    const confidence = percent(probabilities[i] ?? 0);
    if (mapped && confidence >= MIN_REPORTED_CONFIDENCE) labels.push({ ...mapped, confidence });
  });
  return labels.sort((a, b) => b.confidence - a.confidence);
}

/**
 * Moderation scores from the local nsfwjs classifier over the frames the shared frame source decoded.
 * Thresholds and the decision are core's: this reports every unsafe score of at least 1.
 * @example const moderation = createNsfwModerationDetector({ frames, pathOf }); await moderation.detect(input)
 */
export function createNsfwModerationDetector(options: NsfwModerationDetectorOptions): ModerationDetector {
  const model = options.model ?? "MobileNetV2";
  const batchSize = options.batchSize ?? 8;
  if (!["MobileNetV2", "MobileNetV2Mid", "InceptionV3"].includes(model)) throw new RangeError(`unknown nsfwjs model ${model}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);

  return {
    async detect(input: VisionInput, onProgress?: ProgressFn, call: EngineCallOptions = {}) {
      const pool = visionPool();
      // The model loads in its thread while the pass decodes the first frames.
      const loading = pool.call("nsfw.load", { model });
      loading.catch(() => undefined);
      const { set, results, computeMs } = await analyzeFrames({
        frames: options.frames,
        pathOf: options.pathOf,
        input,
        consumer: MODERATION_CONSUMER,
        batchSize,
        run: (files) => pool.call("nsfw.classify", { model, frames: files }),
        ...(onProgress ? { onProgress } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      const m = await loading;
      const frames: FrameModeration[] = set.frames.map((f, i) => ({
        timestampMs: Math.round(f.timestampMs),
        frame: f.frame,
        labels: toModerationLabels(results[i]),
      }));
      const engine: EngineInfo = {
        name: "nsfwjs",
        version: m.version,
        settings: {
          model,
          inputSize: m.inputSize,
          classes: [...NSFW_CLASSES],
          taxonomy: MODERATION_TAXONOMY,
          minReportedConfidence: MIN_REPORTED_CONFIDENCE,
          batchNormFolded: m.fused ?? false,
          batchSize,
          ...runtimeSettings(m, computeMs, set.frames.length),
        },
        note:
          "Local 5-class NSFW image classifier (Drawing, Hentai, Neutral, Porn, Sexy), much coarser than " +
          "Amazon Rekognition's moderation taxonomy: it only covers nudity and suggestive content (no " +
          "violence, drugs, alcohol, gestures, gambling or hate symbols) and scores whole frames, not regions.",
      };
      return { frames, engine };
    },
  };
}
