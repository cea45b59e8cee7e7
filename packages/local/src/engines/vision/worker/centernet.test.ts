import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Tensor, Tensor1D, Tensor2D, } from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CENTERNET_CLASSES, loadCenterNet, type CenterNet } from "./centernet.js";
import { readRgbFrame, type RgbImage } from "./frame-image.js";
import { initTfjs, packageDir, type Tf } from "./tfjs.js";
import { makeTestFrames, skimageDataDir, type TestFrames } from "../../../../test-support/test-frames.js";

const dataDir = skimageDataDir();
if (!dataDir) throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage (see .ci/run)");
const modelJson = join(packageDir("@vladmandic/human"), "models", "centernet.json");

describe("CenterNet at the frame's aspect ratio", () => {
  let tf: Tf;
  let net: CenterNet;
  let t: TestFrames;
  const image = async (name: string) => readRgbFrame(t.byName[name]!, t.pathOf);
  beforeAll(async () => {
    tf = (await initTfjs()).tf;
    net = await loadCenterNet(tf, modelJson);
    t = makeTestFrames(dataDir, ["astronaut", "coffee", "chelsea", "motorcycle_left"]);
  });
  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

  it("decodes its heads as the graph's own tail does, on the graph's own 512×512 input", async () => {
    // skimage's astronaut is 512×512: both run on exactly the same pixels.
    const img = await image("astronaut");
    expect([img.width, img.height]).toEqual([512, 512]);
    const graph = await tf.loadGraphModel(pathToFileURL(modelJson).href);
    const input = tf.tidy(() => tf.cast(tf.tensor4d(img.data, [1, 512, 512, 3], "int32"), "float32"));
    const out = graph.execute(input, "tower_0/detections") as Tensor;
    const rows = ((await out.array()) as number[][][])[0]!.filter((r) => r[4]! >= 0.1);
    tf.dispose([input, out]);
    // human's own post-processing of those rows: boxes as [y1, x1, y2, x2], NMS at IoU 0.4, score 0.1.
    const boxes = tf.tensor2d(rows.map((r) => [r[1]!, r[0]!, r[3]!, r[2]!])) as Tensor2D;
    const scores = tf.tensor1d(rows.map((r) => r[4]!)) as Tensor1D;
    const kept = await tf.image.nonMaxSuppressionAsync(boxes, scores, 30, 0.4, 0.1);
    const expected = [...(await kept.data())].map((i) => ({ label: CENTERNET_CLASSES[rows[i]![5]!], score: Math.trunc(100 * rows[i]![4]!) / 100, left: rows[i]![0]! / 512 }));
    tf.dispose([boxes, scores, kept]);
    graph.dispose();

    const ours = await net.detect(img, 0.1, 30);
    expect(ours.map((o) => o.label)).toEqual(expected.map((e) => e.label));
    ours.forEach((o, i) => {
      expect(o.score).toBeCloseTo(expected[i]!.score, 2);
      expect(o.box.left).toBeCloseTo(expected[i]!.left, 3);
    });
    expect(expected[0]).toMatchObject({ label: "person" });
  });

  it("finds each photo's object in a 16:9 frame without letterboxing it, scoring it as the square would", async () => {
    const letterbox = (img: RgbImage, w: number, h: number): RgbImage => {
      // the photo scaled into the middle of a black 16:9 frame, as a video would show it
      const out = tf.tidy(() => {
        const scale = Math.min(w / img.width, h / img.height);
        const [sw, sh] = [Math.round(img.width * scale), Math.round(img.height * scale)];
        const x = tf.image.resizeBilinear(tf.tensor3d(img.data, [img.height, img.width, 3], "int32"), [sh, sw]);
        const top = Math.floor((h - sh) / 2);
        const left = Math.floor((w - sw) / 2);
        return tf.cast(tf.pad(x, [[top, h - sh - top], [left, w - sw - left], [0, 0]]), "int32");
      });
      const data = new Uint8Array(out.dataSync());
      out.dispose();
      return { data, width: w, height: h };
    };
    const expected: Record<string, string> = { astronaut: "person", coffee: "cup", chelsea: "cat", motorcycle_left: "motorcycle" };
    for (const [name, label] of Object.entries(expected)) {
      const frame = letterbox(await image(name), 512, 288);
      const found = await net.detect(frame, 0.1, 30);
      const best = found.find((o) => o.label === label);
      expect(best?.score, `${label} in ${name}`).toBeGreaterThanOrEqual(0.45);
      for (const o of found) {
        for (const v of [o.box.left + o.box.width, o.box.top + o.box.height]) expect(v).toBeLessThanOrEqual(1.05);
      }
      // The same frame letterboxed into the model's square, as human ran it: same best object, a
      // score within a few points (the pools are corrected for the padding the square would add).
      const square = { width: 512, height: 512, data: new Uint8Array(512 * 512 * 3) };
      square.data.set(frame.data);
      const reference = await net.detect(square, 0.1, 30);
      expect(found[0]!.label).toBe(reference[0]!.label);
      expect(Math.abs(found[0]!.score - reference[0]!.score), `${name}: ${found[0]!.score} vs ${reference[0]!.score}`).toBeLessThanOrEqual(0.06);
    }
  });

  it("leaks no tensors across frames of several shapes", async () => {
    const img = await image("coffee");
    await net.detect(img, 0.1, 30);
    const before = tf.memory().numTensors;
    for (const [w, h] of [[512, 288], [288, 512], [640, 360]] as const) {
      await net.detect({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(90) }, 0.1, 30);
    }
    await net.detect(img, 0.1, 30);
    // New shapes add their graphs' weights once; a repeat of a shape adds nothing.
    const after = tf.memory().numTensors;
    await net.detect(img, 0.1, 30);
    await net.detect({ width: 512, height: 288, data: new Uint8Array(512 * 288 * 3) }, 0.1, 30);
    expect(tf.memory().numTensors).toBe(after);
    expect(after).toBeGreaterThanOrEqual(before);
  });
});
