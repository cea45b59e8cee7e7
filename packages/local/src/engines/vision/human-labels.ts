import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NonRetryableError } from "@media-pipeline/core";
import type { EngineCallOptions, EngineInfo, FrameDetections, LabelDetector, ProgressFn, VisionInput } from "@media-pipeline/core";
import type { Config, Human, Result } from "@vladmandic/human";
import type { FrameSource, PathOf } from "../../media/types.js";
import { analyzeFrames } from "./analyze.js";
import { CENTERNET_SIDE, loadCenterNet, type CenterNet } from "./centernet.js";
import { cocoLabel } from "./coco-taxonomy.js";
import { imageTensor, serial, runtimeSettings, type RgbImage } from "./frames.js";
import { initTfjs, packageDir, packageVersion, requireHere, type TfjsRuntime } from "./tfjs.js";
import { visionPool } from "./worker-pool.js";

/** Faces below this are dropped: lower, blazeface finds faces on cats and motorcycles. */
export const FACE_MIN_CONFIDENCE = 0.6;

/** The object model's own floor; `minConfidence` filters above it. */
const OBJECT_FLOOR = 0.1;

/**
 * The longer side objects are detected at (CenterNet's). The frame source scales the frames it streams
 * to fit it, so the model gets them at its own size straight from ffmpeg.
 */
export const HUMAN_INPUT_SIDE = CENTERNET_SIDE;

/** Most objects kept per frame (human's `object.maxDetected`). */
const MAX_OBJECTS = 30;

/** Faces are looked for on frames where CenterNet finds this class at this score or more (see detectImage). */
const FACE_GATE_CLASS = "person";
const FACE_GATE_SCORE = 0.2;

/** The name labels go by as a consumer of the frame source's stream. */
export const LABELS_CONSUMER = "labels";

export interface HumanLabelDetectorOptions {
  frames: FrameSource;
  pathOf: PathOf;
  /** Lowest confidence (0–100) a detection needs to be reported. Default 40; at least 10. */
  minConfidence?: number;
  /** Frames per request to a vision thread when reading the pass's JPEGs. Default 8. */
  batchSize?: number;
}

/** What labels need: human's CenterNet objects (run by centernet.ts), and human's blazeface + facemesh faces. */
export interface HumanModels {
  human: Human;
  objects: CenterNet;
  version: string;
  runtime: TfjsRuntime;
  /** Model load plus one inference, once per thread. */
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
 * Loads human's models once per thread from the files in node_modules; later calls share them.
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
    // Objects run through centernet.ts, at the frame's aspect ratio rather than human's square.
    object: { enabled: false } as Config["object"],
  };
  const human = new HumanClass(config);
  await human.load();
  const objects = await loadCenterNet(runtime.tf, join(dir, "models", "centernet.json"));
  const loaded = human.models.loaded();
  for (const need of ["blazeface", "facemesh"]) {
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
  // Builds the 16:9 graph, the common case; other shapes are built on first use.
  await objects.detect({ width: 512, height: 288, data: new Uint8Array(512 * 288 * 3) }, OBJECT_FLOOR, MAX_OBJECTS);
  loads += 1;
  return { human, objects, version: packageVersion("@vladmandic/human"), runtime, warmupMs: performance.now() - started, run: serial() };
}

/** One frame's objects and faces; boxes relative to the original frame. */
export interface HumanFrameResult {
  detections: FrameDetections["detections"];
  faces: number;
}

/**
 * Runs objects and faces on one RGB image. Objects: CenterNet at the image's own aspect ratio
 * (centernet.ts). Faces: human's blazeface, which takes a square input, on the image letterboxed to a
 * square, since stretching a wide frame distorts faces (as it cost objects accuracy when CenterNet was
 * given stretched frames: a stretched cat scored "dog" 0.43).
 *
 * Faces are looked for only where CenterNet sees a person (at 20 %, half the default label floor): a
 * face is part of a person, and CenterNet finds one even in a tight face crop (0.65–0.83 on crops of
 * skimage's astronaut, 0.58 on its cameraman), while the "persons" it imagines in test patterns stay
 * under 0.16 (a quarter of the bench video's frames). On frames without people — most frames of most
 * videos — that saves the face model, about a fifth of the time per frame.
 */
export async function detectImage(m: HumanModels, img: RgbImage, minConfidence: number): Promise<HumanFrameResult> {
  return (await detectImages(m, [img], minConfidence))[0]!;
}

/** detectImage for several frames, one after the other. */
export async function detectImages(m: HumanModels, images: readonly RgbImage[], minConfidence: number): Promise<HumanFrameResult[]> {
  const results: HumanFrameResult[] = [];
  for (const img of images) {
    const objects = await m.run(() => m.objects.detect(img, OBJECT_FLOOR, MAX_OBJECTS));
    const detections: FrameDetections["detections"] = [];
    for (const o of objects) {
      const confidence = Math.round(o.score * 10_000) / 100;
      if (confidence < minConfidence) continue;
      const { name, parents } = cocoLabel(o.label);
      detections.push({ name, confidence, boundingBox: relativeBox(o.box.left, o.box.top, o.box.width, o.box.height), parents });
    }
    const faces = objects.some((o) => o.label === FACE_GATE_CLASS && o.score >= FACE_GATE_SCORE) ? await countFaces(m, img) : 0;
    results.push({ detections, faces });
  }
  return results;
}

/** Faces human's blazeface + facemesh find in the image letterboxed to a square. */
async function countFaces(m: HumanModels, img: RgbImage): Promise<number> {
  const { tf } = m.runtime;
  const side = Math.max(img.width, img.height);
  const input = tf.tidy(() =>
    tf.pad(imageTensor(tf, img), [
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
  return result.face.filter((f) => f.score >= FACE_MIN_CONFIDENCE).length;
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
 * library, over the frames the shared frame source decoded. The models run in the vision worker threads
 * (worker-pool.ts) on frames as the pass streams them (analyze.ts).
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
    async detect(input: VisionInput, onProgress?: ProgressFn, call: EngineCallOptions = {}) {
      const pool = visionPool();
      // The model loads in its thread while the pass decodes the first frames.
      const loading = pool.call("human.load", {});
      loading.catch(() => undefined);
      const { set, results, computeMs } = await analyzeFrames({
        frames: options.frames,
        pathOf: options.pathOf,
        input,
        consumer: LABELS_CONSUMER,
        batchSize,
        run: (files) => pool.call("human.detect", { frames: files, minConfidence }),
        ...(onProgress ? { onProgress } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      const m = await loading;
      const frames: FrameDetections[] = set.frames.map((f, i) => ({ timestampMs: Math.round(f.timestampMs), detections: results[i].detections }));
      const faces = set.frames.map((f, i) => ({ timestampMs: Math.round(f.timestampMs), count: results[i].faces }));
      const engine: EngineInfo = {
        name: "@vladmandic/human",
        version: m.version,
        settings: {
          model: "centernet (MB3-CenterNet, COCO 80 classes)",
          faceModel: "blazeface + facemesh",
          minConfidence,
          faceMinConfidence: FACE_MIN_CONFIDENCE * 100,
          objectInput: `frame aspect ratio, longer side ${HUMAN_INPUT_SIDE}`,
          faceInput: "letterboxed square",
          faceGate: `${FACE_GATE_CLASS} found at ${FACE_GATE_SCORE * 100} % or more`,
          batchSize,
          ...runtimeSettings(m, computeMs, set.frames.length),
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
