import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NonRetryableError } from "@media-pipeline/core";
import type { FrameDetections } from "@media-pipeline/core";
import type { Config, Human, Result } from "@vladmandic/human";
import { cocoLabel } from "../coco-taxonomy.js";
import { FACE_GATE_CLASS, FACE_GATE_SCORE, FACE_MIN_CONFIDENCE, MAX_OBJECTS, OBJECT_FLOOR } from "../label-settings.js";
import type { HumanFrameResult } from "../protocol.js";
import { loadCenterNet, type CenterNet } from "./centernet.js";
import { imageTensor, type RgbImage } from "./frame-image.js";
import { initTfjs, packageDir, packageVersion, requireHere, serial, type TfjsRuntime } from "./tfjs.js";

/**
 * The label models inside a vision worker: human's CenterNet objects (run by centernet.ts) and its
 * blazeface + facemesh faces, loaded once per thread and run on decoded frames. The detector that
 * asks for them lives on the main thread (../human-labels.ts).
 */

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
