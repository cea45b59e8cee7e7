import type { GraphModel, Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs";
import { NonRetryableError } from "@media-pipeline/core";
import { COCO_TAXONOMY } from "../coco-taxonomy.js";
import { HUMAN_INPUT_SIDE } from "../label-settings.js";
import { imageTensor, type RgbImage } from "./frame-image.js";
import { fileModelHandler, type Tf } from "./tfjs.js";

/**
 * human's COCO object model (MB3-CenterNet, `centernet.json`), run at the frame's own aspect ratio.
 *
 * The converted graph is fixed at 512×512: human stretches every input to that square, and letterboxing
 * a 16:9 frame into it (what keeps objects undistorted) spends 44 % of the convolutions on padding. The
 * network is fully convolutional, though; only its input placeholder and the three constant sizes of
 * its upsampling layers (stride 16, 8, 4) are tied to 512. So this loads the same weights with those
 * sizes set for the frame's shape (512×288 for 16:9: the longer side at 512, objects at the scale the
 * model was trained at), runs the graph up to its two heads, and decodes the heads here exactly as the
 * graph's own tail does: a 3×3 max-pool keeps local peaks of the class heatmap, the 100 best become
 * boxes from the size head, then human's non-maximum suppression.
 *
 * One thing does see the padding: the nine global average pools (MobileNetV3's squeeze-and-excite
 * blocks and the head's). Without it their per-channel means shift, and borderline classes flip (the
 * committed sample's cat read "dog" 39 % instead of "cat" 40 %). So each pool is rewritten to report
 * the mean the letterboxed square would have had: the frame's own mean weighted by its share of the
 * square, plus the padding's share times what that channel reads on an all-black 512×512 input
 * (measured once at load). Padding next to the image reads a little differently from a black frame, so
 * this is close rather than exact: on the sample, cat 45/37 % (square: 40/36 %), motorcycle 75/73 %
 * (76/77 %). centernet.test.ts checks the decoding against the graph's own on square input, and the
 * scores against the letterboxed square's.
 */

/** The longer side the model works at (its converted input size; the frame source scales streamed frames to it). */
export const CENTERNET_SIDE = HUMAN_INPUT_SIDE;
/** Output stride of both heads. */
const STRIDE = 4;
/** Peaks decoded per frame, as in the graph (`TopKV2/k`). */
const TOP_K = 100;
/** human's settings for this model: NMS overlap, and the most objects kept per frame. */
const IOU_THRESHOLD = 0.4;
/** Class order of the model's heatmap channels: COCO's 80, in the order human's label table lists them. */
export const CENTERNET_CLASSES = Object.keys(COCO_TAXONOMY);

/** The constants that tie the graph to its input size, and what they become for an input of h×w. */
const SIZE_CONSTANTS: Record<string, (h: number, w: number) => number[]> = {
  "tower_0/CenternetHead/c5_upsample/up_sampling2d/mul": (h, w) => [h / 16, w / 16],
  "tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul": (h, w) => [h / 8, w / 8],
  "tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul": (h, w) => [h / 4, w / 4],
};
const INPUT_NODE = "tower_0/images";
const OUTPUTS = ["tower_0/keypoints", "tower_0/wh"];

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** One detected object; the box is relative to the image given (0–1). */
export interface CenterNetObject {
  label: string;
  score: number;
  box: { left: number; top: number; width: number; height: number };
}

export interface CenterNet {
  /** Objects scoring at least `minScore` (0–1), at most `maxDetected`, after non-maximum suppression. */
  detect(img: RgbImage, minScore: number, maxDetected: number): Promise<CenterNetObject[]>;
}

/**
 * Loads the model file once; a graph per input shape is built on first use (a video's frames all
 * share one) from the same weights.
 */
export async function loadCenterNet(tf: Tf, modelJson: string): Promise<CenterNet> {
  const artifacts = await fileModelHandler(modelJson).load();
  const nodes = (artifacts.modelTopology as { node?: GraphNode[] } | undefined)?.node ?? [];
  if (!nodes.some((n) => n.name === INPUT_NODE && n.op === "Placeholder") || !artifacts.weightSpecs || !artifacts.weightData) {
    throw new NonRetryableError(`${modelJson} is not the CenterNet graph this expects`);
  }
  const offsets = constantOffsets(artifacts.weightSpecs);
  for (const name of Object.keys(SIZE_CONSTANTS)) {
    if (offsets.get(name) === undefined) throw new NonRetryableError(`${modelJson} has no constant ${name}`);
  }
  const pools = nodes.filter((n) => n.op === "Mean").map((n) => n.name);
  const graphs = new Map<string, Promise<GraphModel>>();

  /** The graph for an h×w input; `padding` rewrites its pools as described above (absent for the square). */
  const build = (h: number, w: number, padding?: Map<string, Float32Array>): Promise<GraphModel> => {
    let weights = new Uint8Array(artifacts.weightData as ArrayBuffer).slice();
    const view = new DataView(weights.buffer);
    for (const [name, size] of Object.entries(SIZE_CONSTANTS)) {
      size(h, w).forEach((v, i) => view.setInt32(offsets.get(name)! + 4 * i, v, true));
    }
    const topology = structuredClone(artifacts.modelTopology) as { node: GraphNode[] };
    const input = topology.node.find((n) => n.name === INPUT_NODE)!;
    input.attr = { ...input.attr, shape: { shape: { dim: [1, h, w, 3].map((size) => ({ size: String(size) })) } } };
    const weightSpecs = [...artifacts.weightSpecs!];
    if (padding) {
      // pool' = pool · share + black · (1 − share), with `share` the frame's part of the square.
      const share = (h * w) / (CENTERNET_SIDE * CENTERNET_SIDE);
      const extra: Float32Array[] = [];
      const float = { T: { type: "DT_FLOAT" } };
      const constant = (name: string, dims: number[]): GraphNode => ({
        name, op: "Const",
        attr: { dtype: { type: "DT_FLOAT" }, value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: dims.map((size) => ({ size: String(size) })) } } } },
      });
      for (const name of pools) {
        const black = padding.get(name)!;
        topology.node.find((n) => n.name === name)!.name = `${name}/frame`;
        topology.node.push(
          constant(`${name}/share`, []),
          constant(`${name}/padding`, [1, 1, 1, black.length]),
          { name: `${name}/weighted`, op: "Mul", input: [`${name}/frame`, `${name}/share`], attr: float },
          { name, op: "AddV2", input: [`${name}/weighted`, `${name}/padding`], attr: float },
        );
        weightSpecs.push({ name: `${name}/share`, shape: [], dtype: "float32" }, { name: `${name}/padding`, shape: [1, 1, 1, black.length], dtype: "float32" });
        extra.push(new Float32Array([share]), black.map((v) => v * (1 - share)));
      }
      const all = new Uint8Array(weights.length + extra.reduce((n, e) => n + e.byteLength, 0));
      all.set(weights);
      let at = weights.length;
      for (const e of extra) {
        all.set(new Uint8Array(e.buffer), at);
        at += e.byteLength;
      }
      weights = all;
    }
    return tf.loadGraphModel(tf.io.fromMemory({ ...artifacts, modelTopology: topology, weightSpecs, weightData: weights.buffer }));
  };

  // What each pool reads when the whole square is padding: the graph's own pools on a black input.
  const square = await build(CENTERNET_SIDE, CENTERNET_SIDE);
  graphs.set(`${CENTERNET_SIDE}x${CENTERNET_SIDE}`, Promise.resolve(square));
  const blackInput = tf.zeros([1, CENTERNET_SIDE, CENTERNET_SIDE, 3]);
  const blackPools = square.execute(blackInput, pools) as Tensor[];
  const padding = new Map<string, Float32Array>();
  for (const [i, name] of pools.entries()) padding.set(name, (await blackPools[i]!.data()) as Float32Array);
  tf.dispose([blackInput, ...blackPools]);

  const graphFor = (h: number, w: number): Promise<GraphModel> => {
    const key = `${h}x${w}`;
    let g = graphs.get(key);
    if (!g) graphs.set(key, (g = build(h, w, padding)));
    return g;
  };

  /** Objects in one image from its two head maps ([1, h/4, w/4, 80] and [1, h/4, w/4, 4]). */
  const decode = async (keypoints: Tensor, wh: Tensor, sw: number, sh: number, minScore: number, maxDetected: number) => {
    const [gh, gw, classes] = keypoints.shape.slice(1) as [number, number, number];
    const best = tf.tidy(() => {
      const peaks = tf.mul(keypoints, tf.cast(tf.equal(keypoints, tf.maxPool(keypoints as Tensor4D, 3, 1, "same")), "float32"));
      return tf.topk(tf.reshape(peaks, [-1]), TOP_K);
    });
    const [values, indices] = await Promise.all([best.values.data(), best.indices.data()]);
    tf.dispose([best.values, best.indices]);
    // Sorted: nothing under `minScore` survives the suppression below, so stop there.
    let n = 0;
    while (n < values.length && values[n]! >= minScore) n++;
    if (n === 0) return [];
    const cells = Array.from(indices.subarray(0, n), (index) => Math.floor(index / classes));
    // Only the size-head cells of the peaks, not the whole map.
    const picked = tf.tidy(() => tf.gather(tf.reshape(wh, [-1, 4]), tf.tensor1d(cells, "int32")));
    const sizes = await picked.data();
    picked.dispose();
    const found: Array<{ cls: number; score: number; x1: number; y1: number; x2: number; y2: number }> = [];
    for (let i = 0; i < n; i++) {
      const cell = cells[i]!;
      const cx = cell % gw;
      const cy = Math.floor(cell / gw);
      if (cy >= gh) continue;
      found.push({
        cls: indices[i]! % classes, score: values[i]!,
        x1: cx * STRIDE - sizes[4 * i]!, y1: cy * STRIDE - sizes[4 * i + 1]!, x2: cx * STRIDE + sizes[4 * i + 2]!, y2: cy * STRIDE + sizes[4 * i + 3]!,
      });
    }
    if (found.length === 0) return [];
    const boxes = tf.tensor2d(found.map((f) => [f.y1, f.x1, f.y2, f.x2]), [found.length, 4]);
    const scores = tf.tensor1d(found.map((f) => f.score));
    try {
      const kept = await tf.image.nonMaxSuppressionAsync(boxes as Tensor2D, scores as Tensor1D, maxDetected, IOU_THRESHOLD, minScore);
      const order = await kept.data();
      kept.dispose();
      const objects: CenterNetObject[] = [];
      for (const i of order) {
        const f = found[i]!;
        const label = CENTERNET_CLASSES[f.cls];
        if (!label) continue;
        // Relative to the image itself (not the padding), as human's are to its square input.
        const left = f.x1 / sw;
        const top = f.y1 / sh;
        objects.push({ label, score: Math.trunc(100 * f.score) / 100, box: { left, top, width: f.x2 / sw - left, height: f.y2 / sh - top } });
      }
      return objects;
    } finally {
      tf.dispose([boxes, scores]);
    }
  };

  return {
    async detect(img, minScore, maxDetected) {
      // The longer side to 512, as human's resize to its square did (frames streamed by the pass
      // already are), then padding right and bottom to the network's 32-pixel granularity.
      const scale = CENTERNET_SIDE / Math.max(img.width, img.height);
      const sw = Math.max(1, Math.round(img.width * scale));
      const sh = Math.max(1, Math.round(img.height * scale));
      const w = Math.ceil(sw / 32) * 32;
      const h = Math.ceil(sh / 32) * 32;
      const graph = await graphFor(h, w);
      const [keypoints, wh] = tf.tidy(() => {
        let x: Tensor3D = imageTensor(tf, img);
        if (sw !== img.width || sh !== img.height) x = tf.image.resizeBilinear(x, [sh, sw]);
        return graph.execute(tf.pad(x, [[0, h - sh], [0, w - sw], [0, 0]]).expandDims(0) as Tensor4D, OUTPUTS) as Tensor[];
      });
      try {
        return await decode(keypoints!, wh!, sw, sh, minScore, maxDetected);
      } finally {
        tf.dispose([keypoints!, wh!]);
      }
    },
  };
}

/** Byte offset of each int32 constant in the weight buffer (quantized weights take fewer bytes). */
function constantOffsets(specs: import("@tensorflow/tfjs").io.WeightsManifestEntry[]): Map<string, number> {
  const bytes: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
  const out = new Map<string, number>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === "int32" && !spec.quantization) out.set(spec.name, offset);
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = bytes[dtype];
    if (size === undefined) throw new NonRetryableError(`unexpected weight type ${dtype} in the CenterNet model`);
    offset += count * size;
  }
  return out;
}
