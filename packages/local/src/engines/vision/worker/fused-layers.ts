import type { LayersModel, Tensor, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs";
import type { Tf } from "./tfjs.js";

/**
 * Runs a Keras-style MobileNet (nsfwjs's models are tf.LayersModel) with each batch normalization
 * folded into the convolution before it and the ReLU after it fused in, the way the TensorFlow.js
 * converter fuses graph models.
 *
 * Why: a LayersModel runs layer by layer, so MobileNetV2's 52 batch normalizations and 35 ReLU6 each
 * make a separate pass over their feature map: on the WASM backend that was 40 % of nsfwjs's time per
 * frame. Folding is exact up to float rounding: BN(conv(x, W) + b) = conv(x, W·s) + (b − mean)·s + beta
 * with s = gamma / √(variance + ε), per output channel. The result is checked against the model's own
 * `predict` when built (see nsfw-model.ts, which also checks nsfwjs's `classify`).
 *
 * Layers it does not know make it return undefined, and the caller keeps the model's own `predict`.
 */
export function fuseLayersModel(tf: Tf, model: LayersModel): ((batch: Tensor4D) => Tensor2D) | undefined {
  type Layer = LayersModel["layers"][number];
  const inputsOf = (l: Layer): Layer[] => l.inboundNodes[0]?.inboundLayers ?? [];
  const users = new Map<string, number>();
  for (const l of model.layers) for (const i of inputsOf(l)) users.set(i.name, (users.get(i.name) ?? 0) + 1);
  const only = (l: Layer, cls: string): Layer | undefined => {
    if (users.get(l.name) !== 1) return undefined;
    const next = model.layers.find((n) => inputsOf(n).some((i) => i.name === l.name));
    return next?.getClassName() === cls && inputsOf(next).length === 1 ? next : undefined;
  };
  const config = (l: Layer) => l.getConfig() as Record<string, unknown>;

  type Step = { name: string; inputs: string[]; run: (xs: Tensor[]) => Tensor };
  const steps: Step[] = [];
  const alias = new Map<string, string>(); // a layer folded into another: read that one's output
  const source = (name: string) => alias.get(name) ?? name;
  const keep: Tensor[] = [];
  const kept = <T extends Tensor>(t: T): T => (keep.push(t), t);

  for (const l of model.layers) {
    const cls = l.getClassName();
    const c = config(l);
    const inputs = inputsOf(l).map((i) => source(i.name));
    if (alias.has(l.name)) continue;
    if (cls === "InputLayer") continue;
    if (cls === "Conv2D" || cls === "DepthwiseConv2D") {
      const [kernel, bias] = l.getWeights();
      let filter = kernel!;
      let b: Tensor | undefined = c.useBias ? bias : undefined;
      const out = l.name;
      let activation = String(c.activation ?? "linear");
      const bn = activation === "linear" ? only(l, "BatchNormalization") : undefined;
      if (bn) {
        const folded = foldBatchNorm(tf, bn, filter, b, cls === "DepthwiseConv2D");
        if (!folded) return undefined;
        ({ filter, bias: b } = folded);
        alias.set(bn.name, out);
        const relu = only(bn, "ReLU");
        const max = relu ? (config(relu).maxValue as number | null | undefined) : undefined;
        if (relu && (max === 6 || max == null) && !config(relu).negativeSlope && !config(relu).threshold) {
          activation = max === 6 ? "relu6" : "relu";
          alias.set(relu.name, out);
        }
      }
      if (!["linear", "relu", "relu6"].includes(activation)) return undefined;
      const strides = c.strides as [number, number];
      const dilations = c.dilationRate as [number, number];
      const pad = c.padding as "valid" | "same";
      const f = kept(filter as Tensor4D);
      const bb = b ? kept(b as Tensor1D) : undefined;
      const act = activation as "linear" | "relu" | "relu6";
      steps.push({
        name: out,
        inputs,
        run: ([x]) =>
          cls === "Conv2D"
            ? tf.fused.conv2d({ x: x as Tensor4D, filter: f, strides, pad, dilations, ...(bb ? { bias: bb } : {}), activation: act })
            : tf.fused.depthwiseConv2d({ x: x as Tensor4D, filter: f, strides, pad, dilations, ...(bb ? { bias: bb } : {}), activation: act }),
      });
      continue;
    }
    if (cls === "ZeroPadding2D") {
      const [[t, bo], [le, r]] = c.padding as [[number, number], [number, number]];
      steps.push({ name: l.name, inputs, run: ([x]) => tf.pad(x as Tensor4D, [[0, 0], [t, bo], [le, r], [0, 0]]) });
    } else if (cls === "ReLU") {
      const max = c.maxValue as number | null | undefined;
      if (c.negativeSlope || c.threshold || !(max === 6 || max == null)) return undefined;
      steps.push({ name: l.name, inputs, run: ([x]) => (max === 6 ? tf.relu6(x!) : tf.relu(x!)) });
    } else if (cls === "BatchNormalization") {
      const folded = foldBatchNorm(tf, l, undefined, undefined, false);
      if (!folded) return undefined;
      const scale = kept(folded.scale);
      const shift = kept(folded.bias);
      steps.push({ name: l.name, inputs, run: ([x]) => tf.add(tf.mul(x!, scale), shift) });
    } else if (cls === "Add") {
      steps.push({ name: l.name, inputs, run: (xs) => tf.addN(xs) });
    } else if (cls === "AveragePooling2D") {
      const pool = c.poolSize as [number, number];
      steps.push({ name: l.name, inputs, run: ([x]) => tf.avgPool(x as Tensor4D, pool, (c.strides as [number, number]) ?? pool, c.padding as "valid" | "same") });
    } else if (cls === "GlobalAveragePooling2D") {
      steps.push({ name: l.name, inputs, run: ([x]) => tf.mean(x!, [1, 2]) });
    } else if (cls === "Flatten") {
      steps.push({ name: l.name, inputs, run: ([x]) => tf.reshape(x!, [x!.shape[0]!, -1]) });
    } else if (cls === "Dropout") {
      alias.set(l.name, inputs[0]!);
    } else if (cls === "Dense") {
      const [kernel, bias] = l.getWeights();
      const activation = String(c.activation ?? "linear");
      if (!["linear", "relu", "softmax"].includes(activation)) return undefined;
      const w = kept(kernel as Tensor2D);
      const b = c.useBias ? kept(bias as Tensor1D) : undefined;
      steps.push({
        name: l.name,
        inputs,
        run: ([x]) => {
          const y = tf.fused.matMul({ a: x as Tensor2D, b: w, ...(b ? { bias: b } : {}), activation: activation === "relu" ? "relu" : "linear" });
          return activation === "softmax" ? tf.softmax(y) : y;
        },
      });
    } else {
      return undefined;
    }
  }
  const input = model.inputs[0]?.sourceLayer?.name;
  const output = source(model.outputs[0]?.sourceLayer?.name ?? "");
  if (!input || model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;

  return (batch) =>
    tf.tidy(() => {
      const values = new Map<string, Tensor>([[input, batch]]);
      for (const step of steps) values.set(step.name, step.run(step.inputs.map((i) => values.get(i)!)));
      return values.get(output) as Tensor2D;
    });
}

/**
 * A batch normalization (inference form) as a per-channel scale and shift, folded into `filter` and
 * `bias` when given. Depthwise filters [h, w, in, multiplier] scale channel `in·multiplier + m`.
 */
function foldBatchNorm(
  tf: Tf,
  bn: LayersModel["layers"][number],
  filter: Tensor | undefined,
  bias: Tensor | undefined,
  depthwise: boolean,
): { filter: Tensor; bias: Tensor; scale: Tensor } | undefined {
  const c = bn.getConfig() as { axis?: number | number[]; epsilon?: number; center?: boolean; scale?: boolean };
  const axis = Array.isArray(c.axis) ? c.axis[0] : c.axis;
  if (axis !== -1 && axis !== 3) return undefined;
  const weights = [...bn.getWeights()];
  const gamma = c.scale === false ? undefined : weights.shift();
  const beta = c.center === false ? undefined : weights.shift();
  const [mean, variance] = weights;
  if (!mean || !variance) return undefined;
  return tf.tidy(() => {
    const scale = tf.div(gamma ?? tf.onesLike(mean), tf.sqrt(tf.add(variance, c.epsilon ?? 1e-3)));
    const shift = tf.sub(beta ?? tf.zerosLike(mean), tf.mul(mean, scale));
    if (!filter) return { filter: scale, bias: shift, scale };
    const [, , inputs, perInput] = filter.shape as [number, number, number, number];
    const scaled = depthwise ? tf.mul(filter, tf.reshape(scale, [1, 1, inputs, perInput])) : tf.mul(filter, scale);
    return { filter: scaled, bias: tf.add(tf.mul(bias ?? tf.zerosLike(mean), scale), shift), scale };
  });
}
