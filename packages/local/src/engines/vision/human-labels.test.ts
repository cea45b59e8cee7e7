import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineInfo, FrameDetections, LabelsDocument, NonRetryableError } from "@media-pipeline/core";
import type { ProgressFn } from "@media-pipeline/core";
import { createHumanLabelDetector } from "./human-labels.js";
import { packageVersion } from "./worker/tfjs.js";
import { visionPool } from "./worker-pool.js";
import { fakeFrameSource, makeTestFrames, skimageDataDir, type TestFrames } from "../../../test-support/test-frames.js";

const dataDir = skimageDataDir();
if (!dataDir) throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage (see .ci/run)");
const PHOTOS = ["astronaut", "coffee", "chelsea", "motorcycle_left", "grey"] as const;
const source = { bucket: "media", key: "uploads/m1/video.mp4" };

describe("human COCO label detector on real photographs", () => {
  let t: TestFrames;
  let result: Awaited<ReturnType<ReturnType<typeof createHumanLabelDetector>["detect"]>>;
  const progress: Array<[number, string | undefined]> = [];
  let frames: ReturnType<typeof fakeFrameSource>;

  const byName = (name: (typeof PHOTOS)[number]) => {
    const i = PHOTOS.indexOf(name);
    return { frame: result.frames[i], faces: result.faces?.[i]?.count };
  };
  const names = (name: (typeof PHOTOS)[number]) => byName(name).frame.detections.map((d) => d.name);

  afterAll(() => {
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    t = makeTestFrames(dataDir, PHOTOS);
    frames = fakeFrameSource({ m1: t.frames, m2: [t.byName.coffee] });
    const detector = createHumanLabelDetector({ frames, pathOf: t.pathOf, batchSize: 2 });
    const onProgress: ProgressFn = (f, note) => progress.push([f, note]);
    result = await detector.detect({ mediaId: "m1", source, durationMs: 5000 }, onProgress);
  });

  it("finds a Person and one face in astronaut.png", () => {
    expect(names("astronaut")).toContain("Person");
    expect(byName("astronaut").faces).toBe(1);
  });

  it("finds a Cup with its Tableware parent in coffee.png", () => {
    const cup = byName("coffee").frame.detections.find((d) => d.name === "Cup");
    expect(cup).toBeDefined();
    expect(cup!.parents).toEqual(["Tableware"]);
  });

  it("finds a Cat in chelsea.png and no face on it", () => {
    expect(names("chelsea")).toContain("Cat");
    expect(names("chelsea")).not.toContain("Dog");
    expect(byName("chelsea").faces).toBe(0);
  });

  it("finds a Motorcycle under Vehicle and Transportation in motorcycle_left.png", () => {
    const moto = byName("motorcycle_left").frame.detections.find((d) => d.name === "Motorcycle");
    expect(moto?.parents).toEqual(["Vehicle", "Transportation"]);
    expect(byName("motorcycle_left").faces).toBe(0);
  });

  it("yields no labels and no faces for a flat grey frame", () => {
    expect(byName("grey").frame.detections).toEqual([]);
    expect(byName("grey").faces).toBe(0);
  });

  it("returns one entry per frame at the frame's time, matching the core schemas", () => {
    expect(result.frames.map((f) => f.timestampMs)).toEqual(t.frames.map((f) => f.timestampMs));
    for (const f of result.frames) FrameDetections.parse(f);
    LabelsDocument.shape.faces.parse(result.faces);
    EngineInfo.parse(result.engine);
  });

  it("keeps every box within the frame (0–1) and every confidence within minConfidence–100", () => {
    const all = result.frames.flatMap((f) => f.detections);
    expect(all.length).toBeGreaterThan(3);
    for (const d of all) {
      expect(d.confidence).toBeGreaterThanOrEqual(40);
      expect(d.confidence).toBeLessThanOrEqual(100);
      const b = d.boundingBox!;
      for (const v of [b.left, b.top, b.width, b.height]) expect(v).toBeGreaterThanOrEqual(0);
      expect(b.left + b.width).toBeLessThanOrEqual(1);
      expect(b.top + b.height).toBeLessThanOrEqual(1);
    }
  });

  it("puts the astronaut's Person box on the left of the portrait, not stretched by letterboxing", () => {
    const person = byName("astronaut").frame.detections.find((d) => d.name === "Person")!;
    expect(person.boundingBox!.left).toBeLessThan(0.1);
    expect(person.boundingBox!.height).toBeGreaterThan(0.8);
    const cat = byName("chelsea").frame.detections.find((d) => d.name === "Cat")!;
    expect(cat.boundingBox!.height).toBeGreaterThan(0.8); // chelsea is landscape: y must be rescaled
  });

  it("names its engine, version, backend and timings, and says it is weaker than Rekognition", () => {
    const { engine } = result;
    expect(engine.name).toBe("@vladmandic/human");
    expect(engine.version).toBe(packageVersion("@vladmandic/human"));
    expect(engine.settings).toMatchObject({ minConfidence: 40, backend: "wasm", model: expect.stringContaining("centernet") });
    const timings = engine.settings!.timings as { warmupMs: number; perFrameMs: number; frames: number };
    expect(timings.frames).toBe(PHOTOS.length);
    expect(timings.warmupMs).toBeGreaterThan(0);
    expect(timings.perFrameMs).toBeGreaterThan(0);
    expect(engine.note).toMatch(/COCO-80/);
    expect(engine.note).toMatch(/Rekognition recognises thousands of labels/);
  });

  it("reports progress after every frame, ending at 1", () => {
    const perFrame = progress.filter(([, note]) => note?.startsWith("frame "));
    expect(perFrame).toHaveLength(PHOTOS.length);
    expect(perFrame.at(-1)![0]).toBe(1);
    const fractions = progress.map(([f]) => f);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it("loads the models once across two calls, reporting the same one-time warm-up", async () => {
    const detector = createHumanLabelDetector({ frames, pathOf: t.pathOf });
    const again = await detector.detect({ mediaId: "m2", source, durationMs: 1000 });
    // The models live in the vision threads, loaded at most once by each for the process.
    const loads = (await visionPool().stats()).map((s) => s.loads.human);
    expect(Math.max(...loads)).toBe(1);
    expect(again.frames[0].detections.map((d) => d.name)).toContain("Cup");
    const warmupMs = (result.engine.settings!.timings as { warmupMs: number }).warmupMs;
    expect((again.engine.settings!.timings as { warmupMs: number }).warmupMs).toBe(warmupMs);
  });

  it("honours a higher minConfidence", async () => {
    const strict = createHumanLabelDetector({ frames, pathOf: t.pathOf, minConfidence: 95 });
    const out = await strict.detect({ mediaId: "m2", source, durationMs: 1000 });
    expect(out.frames[0].detections).toEqual([]);
  });

  it("fails a frame that does not decode as bad media (not retried), and keeps working", async () => {
    const error = await visionPool()
      .call("human.detect", { frames: [{ path: "/nonexistent/frame.ppm", format: "ppm", label: "frame 3" }], minConfidence: 40 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toMatch(/cannot decode frame 3/);
    const grey = await visionPool().call("human.detect", {
      frames: [{ path: t.pathOf(t.byName.grey!.frame), format: "jpeg", label: "grey" }],
      minConfidence: 40,
    });
    expect(grey.results).toEqual([{ detections: [], faces: 0 }]);
  });
});

describe("human label detector options", () => {
  it("rejects a minConfidence outside 10–100 and a bad batch size", () => {
    const frames = fakeFrameSource({});
    expect(() => createHumanLabelDetector({ frames, pathOf: () => "", minConfidence: 5 })).toThrow(RangeError);
    expect(() => createHumanLabelDetector({ frames, pathOf: () => "", minConfidence: 101 })).toThrow(RangeError);
    expect(() => createHumanLabelDetector({ frames, pathOf: () => "", batchSize: 0 })).toThrow(RangeError);
  });
});
