import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NonRetryableError } from "@media-pipeline/core";
import type { EngineInfo, FrameDetections, LabelDetector, LabelsDocument, ProgressFn, VisionInput } from "@media-pipeline/core";
import type { Config, Human, Result } from "@vladmandic/human";
import type { FrameSource, PathOf } from "../../media/types.js";
import { cocoLabel } from "./coco-taxonomy.js";
import { batches, readRgbFrame, serial, runtimeSettings, type RgbImage } from "./frames.js";
import { initTfjs, packageDir, packageVersion, requireHere, type TfjsRuntime } from "./tfjs.js";

/** Faces below this are dropped: lower, blazeface finds faces on cats and motorcycles. */
export const FACE_MIN_CONFIDENCE = 0.6;

/** The object model's own floor; `minConfidence` filters above it. */
const OBJECT_FLOOR = 0.1;

export interface HumanLabelDetectorOptions {
  frames: FrameSource;
  pathOf: PathOf;
  /** Lowest confidence (0–100) a detection needs to be reported. Default 40; at least 10. */
  minConfidence?: number;
  /** Frames decoded and held in memory at a time. Default 8. */
  batchSize?: number;
}

/** human with only what labels need: CenterNet objects, blazeface + facemesh faces. */
export interface HumanModels {
  human: Human;
  version: string;
  runtime: TfjsRuntime;
  /** Model load plus one inference, once per process. */
  warmupMs: number;
  /** Queue that keeps inferences one at a time. */
  run: <T>(task: () => Promise<T>) => Promise<T>;
}

let models: Promise<HumanModels> | undefined;
let loads = 0;

/** How many times this process loaded human's models (stays 1: they are memoized). */
export function humanModelLoadCount(): number {
  return loads;
}

/**
 * Loads human's models once per process from the files in node_modules; later calls share them.
 * @example const { human, warmupMs } = await loadHumanModels()
 */
export function loadHumanModels(): Promise<HumanModels> {
  models ??= loadOnce().catch((err: unknown) => {
    models = undefined;
    throw err instanceof NonRetryableError ? err : new NonRetryableError("human models failed to load", { cause: err });
  });
  return models;
}

async function loadOnce(): Promise<HumanModels> {
  const started = performance.now();
  const runtime = await initTfjs();
  const dir = packageDir("@vladmandic/human");
  // Its export map does not expose the wasm build to Node, so load the file directly.
  const { Human: HumanClass } = requireHere(join(dir, "dist", "human.node-wasm.js")) as typeof import("@vladmandic/human");
  const config: Partial<Config> = {
    backend: "wasm",
    wasmPath: runtime.wasmDir,
    // file:// URLs are served from disk by the router registered in tfjs.ts: nothing is fetched.
    modelBasePath: pathToFileURL(join(dir, "models")).href + "/",
    cacheModels: false,
    // Without this, a frame similar to the previous one returns the previous result.
    cacheSensitivity: 0,
    skipAllowed: false,
    warmup: "none",
    debug: false,
    filter: { enabled: false } as Config["filter"],
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 20, minConfidence: FACE_MIN_CONFIDENCE },
      // The mesh's own face score is what rejects cat and motorcycle "faces" the detector finds.
      mesh: { enabled: true },
      iris: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      attention: { enabled: false },
    } as Config["face"],
    body: { enabled: false } as Config["body"],
    hand: { enabled: false } as Config["hand"],
    gesture: { enabled: false },
    segmentation: { enabled: false } as Config["segmentation"],
    object: { enabled: true, modelPath: "centernet.json", minConfidence: OBJECT_FLOOR, maxDetected: 30 } as Config["object"],
  };
  const human = new HumanClass(config);
  await human.load();
  const loaded = human.models.loaded();
  for (const need of ["centernet", "blazeface", "facemesh"]) {
    if (!loaded.some((m) => m.toLowerCase().includes(need))) {
      throw new NonRetryableError(`human did not load its ${need} model (loaded: ${loaded.join(", ") || "none"})`);
    }
  }
  const { tf } = runtime;
  const blank = tf.fill([256, 256, 3], 128, "int32") as import("@tensorflow/tfjs").Tensor3D;
  try {
    await human.detect(blank);
  } finally {
    blank.dispose();
  }
  loads += 1;
  return { human, version: packageVersion("@vladmandic/human"), runtime, warmupMs: performance.now() - started, run: serial() };
}

/** One frame's objects and faces; boxes relative to the original frame. */
export interface HumanFrameResult {
  detections: FrameDetections["detections"];
  faces: number;
}

/**
 * Runs objects and faces on one RGB image. The image is letterboxed to a square first: CenterNet
 * takes a square input, and stretching a wide frame costs it real accuracy (on the skimage photos a
 * stretched cat scores "dog" 0.43, the letterboxed one "cat" 0.47; the motorcycle 0.48 → 0.70).
 */
export async function detectImage(m: HumanModels, img: RgbImage, minConfidence: number): Promise<HumanFrameResult> {
  const { tf } = m.runtime;
  const side = Math.max(img.width, img.height);
  const input = tf.tidy(() =>
    tf.pad(tf.tensor3d(img.data, [img.height, img.width, 3], "int32"), [
      [0, side - img.height],
      [0, side - img.width],
      [0, 0],
    ]),
  );
  let result: Result;
  try {
    result = await m.run(() => m.human.detect(input));
  } finally {
    input.dispose();
  }
  if (result.error) throw new NonRetryableError(`human failed on a frame: ${result.error}`);
  const sx = side / img.width;
  const sy = side / img.height;
  const detections: FrameDetections["detections"] = [];
  for (const o of result.object) {
    const confidence = Math.round(o.score * 10_000) / 100;
    if (confidence < minConfidence) continue;
    const { name, parents } = cocoLabel(o.label);
    const [x, y, w, h] = o.boxRaw;
    detections.push({ name, confidence, boundingBox: relativeBox(x * sx, y * sy, w * sx, h * sy), parents });
  }
  const faces = result.face.filter((f) => f.score >= FACE_MIN_CONFIDENCE).length;
  return { detections, faces };
}

/** Clamps a box to the frame, as Rekognition's boxes never leave it. */
function relativeBox(left: number, top: number, width: number, height: number) {
  const l = clamp01(left);
  const t = clamp01(top);
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    left: round(l),
    top: round(t),
    width: round(Math.max(0, Math.min(left + width, 1) - l)),
    height: round(Math.max(0, Math.min(top + height, 1) - t)),
  };
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/**
 * Labels from the local COCO-80 detector in human (MB3-CenterNet), with face counts from the same
 * library, over the frames the shared frame source decoded.
 * @example const labels = createHumanLabelDetector({ frames, pathOf }); await labels.detect({ mediaId, source, durationMs })
 */
export function createHumanLabelDetector(options: HumanLabelDetectorOptions): LabelDetector {
  const minConfidence = options.minConfidence ?? 40;
  const batchSize = options.batchSize ?? 8;
  if (!(minConfidence >= OBJECT_FLOOR * 100 && minConfidence <= 100)) {
    throw new RangeError(`minConfidence must be within ${OBJECT_FLOOR * 100}–100, got ${minConfidence}`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);

  return {
    async detect(input: VisionInput, onProgress?: ProgressFn) {
      const [set, m] = await Promise.all([
        options.frames.frames(input.mediaId, input.source, (f) => onProgress?.(0.2 * f, "decoding video")),
        loadHumanModels(),
      ]);
      const started = performance.now();
      const frames: FrameDetections[] = [];
      const faces: NonNullable<LabelsDocument["faces"]> = [];
      let done = 0;
      for (const batch of batches(set.frames, batchSize)) {
        const images = await Promise.all(batch.map((f) => readRgbFrame(f, options.pathOf)));
        for (const [i, frame] of batch.entries()) {
          const r = await detectImage(m, images[i], minConfidence);
          const timestampMs = Math.round(frame.timestampMs);
          frames.push({ timestampMs, detections: r.detections });
          faces.push({ timestampMs, count: r.faces });
          done += 1;
          onProgress?.(0.2 + (0.8 * done) / set.frames.length, `frame ${done}/${set.frames.length}`);
        }
      }
      if (set.frames.length === 0) onProgress?.(1, "no frames");
      const engine: EngineInfo = {
        name: "@vladmandic/human",
        version: m.version,
        settings: {
          model: "centernet (MB3-CenterNet, COCO 80 classes)",
          faceModel: "blazeface + facemesh",
          minConfidence,
          faceMinConfidence: FACE_MIN_CONFIDENCE * 100,
          letterbox: true,
          batchSize,
          ...runtimeSettings(m.runtime, m.warmupMs, started, set.frames.length),
        },
        note:
          "Local COCO-80 object detector: it knows 80 everyday object classes (people, vehicles, animals, " +
          "household items), while Amazon Rekognition recognises thousands of labels including scenes, " +
          "activities and concepts. Expect fewer, coarser labels and lower confidences.",
      };
      return { frames, faces, engine };
    },
  };
}
