import { rmSync } from "node:fs";
import { sep } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createHumanLabelDetector, humanModelLoadCount } from "./human-labels.js";
import { createNsfwModerationDetector, nsfwModelLoadCount } from "./nsfw-moderation.js";
import { initTfjs } from "./tfjs.js";
import { fakeFrameSource, makeTestFrames, skimageDataDir } from "./test-frames.js";

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

  it("lets human and nsfwjs share the engine and run at the same time on the same frames", async () => {
    const t = makeTestFrames(dataDir, ["motorcycle_left", "astronaut"]);
    const frames = fakeFrameSource({ m1: t.frames });
    const labels = createHumanLabelDetector({ frames, pathOf: t.pathOf });
    const moderation = createNsfwModerationDetector({ frames, pathOf: t.pathOf });
    const input = { mediaId: "m1", source: { bucket: "media", key: "v.mp4" }, durationMs: 2000 };
    const [l, m] = await Promise.all([labels.detect(input), moderation.detect(input)]);
    expect(l.frames[0].detections.map((d) => d.name)).toContain("Motorcycle");
    expect(l.frames[1].detections.map((d) => d.name)).toContain("Person");
    expect(m.frames).toHaveLength(2);
    expect(humanModelLoadCount()).toBe(1);
    expect(nsfwModelLoadCount()).toBe(1);
    const rt = await initTfjs();
    expect(rt.tf.getBackend()).toBe("wasm");
    // Inference leaves no tensors behind: a second run keeps the count where it was.
    const before = rt.tf.memory().numTensors;
    await Promise.all([labels.detect(input), moderation.detect(input)]);
    expect(rt.tf.memory().numTensors).toBe(before);
    rmSync(t.dir, { recursive: true, force: true });
  });
});
