import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineInfo, FrameModeration } from "@media-pipeline/core";
import type { Tensor, Tensor3D, Tensor4D } from "@tensorflow/tfjs";
import { LOCAL_MODERATION_MODEL } from "./moderation-defaults.js";
import { MIN_REPORTED_CONFIDENCE, MODERATION_TAXONOMY, NSFW_CLASSES } from "./moderation-taxonomy.js";
import { createNsfwModerationDetector } from "./nsfw-moderation.js";
import { readRgbFrame } from "./worker/frame-image.js";
import { loadNsfwModel } from "./worker/nsfw-model.js";
import { packageVersion } from "./worker/tfjs.js";
import { visionPool } from "./worker-pool.js";
import { fakeFrameSource, makeTestFrames, skimageDataDir, type TestFrames } from "../../../test-support/test-frames.js";

const dataDir = skimageDataDir();
if (!dataDir) throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage (see .ci/run)");
const PHOTOS = ["astronaut", "coffee", "chelsea", "motorcycle_left", "grey"] as const;
const source = { bucket: "media", key: "uploads/m1/video.mp4" };

describe("nsfwjs moderation detector on real photographs", () => {
  let t: TestFrames;
  let frames: ReturnType<typeof fakeFrameSource>;
  let result: Awaited<ReturnType<ReturnType<typeof createNsfwModerationDetector>["detect"]>>;
  const progress: number[] = [];

  afterAll(() => {
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    t = makeTestFrames(dataDir, PHOTOS);
    frames = fakeFrameSource({ m1: t.frames, m2: [t.byName.astronaut] });
    const detector = createNsfwModerationDetector({ frames, pathOf: t.pathOf, batchSize: 3 });
    result = await detector.detect({ mediaId: "m1", source, durationMs: 5000 }, (f) => progress.push(f));
  });

  it("gives everyday photographs low unsafe scores", () => {
    expect(result.frames).toHaveLength(PHOTOS.length);
    for (const f of result.frames) {
      for (const l of f.labels) expect(l.confidence).toBeLessThan(20);
    }
  });

  it("returns one entry per frame with its time and frame reference, matching the core schema", () => {
    expect(result.frames.map((f) => f.timestampMs)).toEqual(t.frames.map((f) => f.timestampMs));
    expect(result.frames.map((f) => f.frame)).toEqual(t.frames.map((f) => f.frame));
    for (const f of result.frames) FrameModeration.parse(f);
    EngineInfo.parse(result.engine);
  });

  it("reports only taxonomy labels", () => {
    const allowed = Object.values(MODERATION_TAXONOMY).filter((v) => v !== null);
    for (const l of result.frames.flatMap((f) => f.labels)) {
      expect(allowed).toContainEqual({ name: l.name, parent: l.parent });
      expect(l.confidence).toBeGreaterThanOrEqual(MIN_REPORTED_CONFIDENCE);
    }
  });

  it("knows exactly the classes nsfwjs itself reports", async () => {
    const { nsfw, runtime } = await loadNsfwModel();
    const img = runtime.tf.zeros([32, 32, 3], "int32") as import("@tensorflow/tfjs").Tensor3D;
    const predictions = await nsfw.classify(img, 10);
    img.dispose();
    expect(predictions.map((p) => p.className).sort()).toEqual([...NSFW_CLASSES].sort());
  });

  it("runs MobileNetV2 with its batch normalizations folded, giving the model's own probabilities", async () => {
    const m = await loadNsfwModel("MobileNetV2");
    expect(m.fused).toBe(true);
    const { tf } = m.runtime;
    const images = await Promise.all(t.frames.map((f) => readRgbFrame(f, t.pathOf)));
    const batch = tf.tidy(() =>
      tf.stack(images.map((img) => tf.image.resizeBilinear(tf.div(tf.tensor3d(img.data, [img.height, img.width, 3], "float32"), 255) as Tensor3D, [224, 224], true))),
    ) as Tensor4D;
    const own = m.nsfw.model.predict(batch) as Tensor;
    const fused = m.predict(batch);
    const diff = tf.max(tf.abs(tf.sub(own, fused)));
    expect(diff.dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([batch, own, fused, diff]);
    // The detector says whether its own model ran folded (a graph model such as MobileNetV2Mid cannot be).
    expect(result.engine.settings).toMatchObject({ batchNormFolded: (await loadNsfwModel(LOCAL_MODERATION_MODEL)).fused });
  });

  it("names its engine, version and model, says it is coarser than Rekognition, and reports timings", () => {
    const { engine } = result;
    expect(engine.name).toBe("nsfwjs");
    expect(engine.version).toBe(packageVersion("nsfwjs"));
    expect(engine.settings).toMatchObject({ model: LOCAL_MODERATION_MODEL, inputSize: 224, backend: "wasm" });
    const timings = engine.settings!.timings as { warmupMs: number; perFrameMs: number; frames: number };
    expect(timings).toMatchObject({ frames: PHOTOS.length });
    expect(timings.warmupMs).toBeGreaterThan(0);
    expect(timings.perFrameMs).toBeGreaterThan(0);
    expect(engine.note).toMatch(/5-class NSFW/);
    expect(engine.note).toMatch(/coarser than Amazon Rekognition/);
  });

  it("reports progress after every frame, ending at 1", () => {
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("loads the model once across two calls", async () => {
    const detector = createNsfwModerationDetector({ frames, pathOf: t.pathOf });
    const again = await detector.detect({ mediaId: "m2", source, durationMs: 1000 });
    // The model lives in the vision threads, loaded at most once by each for the process.
    const loads = (await visionPool().stats()).map((s) => s.loads[`nsfw-${LOCAL_MODERATION_MODEL}`]);
    expect(Math.max(...loads)).toBe(1);
    expect(again.frames).toHaveLength(1);
    expect((again.engine.settings!.timings as { warmupMs: number }).warmupMs).toBe(
      (result.engine.settings!.timings as { warmupMs: number }).warmupMs,
    );
  });
});
