import { rmSync } from "node:fs";
import { sep } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createHumanLabelDetector } from "../human-labels.js";
import { LOCAL_MODERATION_MODEL } from "../moderation-defaults.js";
import { createNsfwModerationDetector } from "../nsfw-moderation.js";
import { fakeFrameSource, makeTestFrames, skimageDataDir } from "../../../../test-support/test-frames.js";
import { visionPool } from "../worker-pool.js";
import { initTfjs } from "./tfjs.js";

const dataDir = skimageDataDir();
if (!dataDir) throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage (see .ci/run)");

describe("TensorFlow.js setup", () => {
  beforeAll(() => {
    // Every model must come from node_modules: any attempt to fetch fails the test.
    vi.stubGlobal("fetch", () => Promise.reject(new Error("vision engines must not fetch")));
  });

  it("runs on the wasm backend with SIMD and binaries read from the installed package", async () => {
    const rt = await initTfjs();
    expect(rt.backend).toBe("wasm");
    expect(rt.tf.getBackend()).toBe("wasm");
    expect(rt.simd).toBe(true);
    expect(rt.threads).toBe(1);
    expect(rt.wasmDir).toContain(`node_modules${sep}@tensorflow${sep}tfjs-backend-wasm`);
    expect(await initTfjs()).toBe(rt);
  });

  it("runs human and nsfwjs at the same time in the vision threads, each loading a model at most once and leaking no tensors", async () => {
    const t = makeTestFrames(dataDir, ["motorcycle_left", "astronaut"]);
    const frames = fakeFrameSource({ m1: t.frames });
    const labels = createHumanLabelDetector({ frames, pathOf: t.pathOf });
    const moderation = createNsfwModerationDetector({ frames, pathOf: t.pathOf });
    const input = { mediaId: "m1", source: { bucket: "media", key: "v.mp4" }, durationMs: 2000 };
    const [l, m] = await Promise.all([labels.detect(input), moderation.detect(input)]);
    expect(l.frames[0].detections.map((d) => d.name)).toContain("Motorcycle");
    expect(l.frames[1].detections.map((d) => d.name)).toContain("Person");
    expect(m.frames).toHaveLength(2);
    for (const { engine } of [l, m]) expect(engine.settings).toMatchObject({ backend: "wasm", simd: true, thread: "worker" });
    const before = await visionPool().stats();
    for (const model of ["human", `nsfw-${LOCAL_MODERATION_MODEL}`]) {
      expect(Math.max(...before.map((s) => s.loads[model]))).toBe(1);
    }
    // A second run loads nothing new, and inference leaves no tensors behind: every thread's
    // counts stay where they were (a thread that first runs a model now may load it once).
    await Promise.all([labels.detect(input), moderation.detect(input)]);
    const after = await visionPool().stats();
    after.forEach((s, i) => {
      for (const model of ["human", `nsfw-${LOCAL_MODERATION_MODEL}`]) expect(s.loads[model]).toBeLessThanOrEqual(1);
      if (JSON.stringify(s.loads) === JSON.stringify(before[i].loads)) expect(s.numTensors).toBe(before[i].numTensors);
    });
    rmSync(t.dir, { recursive: true, force: true });
  });
});
