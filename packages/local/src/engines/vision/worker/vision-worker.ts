import { parentPort } from "node:worker_threads";
import { isRetryable } from "@media-pipeline/core";
import { NSFW_MODELS, type LoadedModel, type RuntimeInfo, type WorkerCalls, type WorkerReply, type WorkerRequest } from "../protocol.js";
import { readFrameFile } from "./frame-image.js";
import { detectImages, humanModelLoadCount, loadHumanModels } from "./human-models.js";
import { classifyBatch, loadNsfwModel, nsfwModelLoadCount } from "./nsfw-model.js";
import { initTfjs, type TfjsRuntime } from "./tfjs.js";

/**
 * A vision worker thread (see ../worker-pool.ts; the messages are in ../protocol.ts): loads each model
 * on the first request that needs it and answers requests one at a time, in order. Frames are read
 * here, not on the main thread, so the pixels never cross threads.
 */
if (!parentPort) throw new Error("vision-worker.js runs as a worker thread (see ../worker-pool.ts)");
const port = parentPort;

const runtimeInfo = (r: TfjsRuntime): RuntimeInfo => ({ backend: r.backend, simd: r.simd, threads: r.threads, version: r.version });

const handlers: { [K in keyof WorkerCalls]: (request: WorkerCalls[K]["request"]) => Promise<WorkerCalls[K]["response"]> } = {
  async "human.load"() {
    const m = await loadHumanModels();
    return { version: m.version, warmupMs: m.warmupMs, runtime: runtimeInfo(m.runtime) } satisfies LoadedModel;
  },
  async "human.detect"({ frames, minConfidence }) {
    const m = await loadHumanModels();
    const started = performance.now();
    const images = [];
    for (const frame of frames) images.push(await readFrameFile(frame));
    const results = await detectImages(m, images, minConfidence);
    return { results, ms: performance.now() - started };
  },
  async "nsfw.load"({ model }) {
    const m = await loadNsfwModel(model);
    return { version: m.version, warmupMs: m.warmupMs, runtime: runtimeInfo(m.runtime), inputSize: m.size, fused: m.fused } satisfies LoadedModel;
  },
  async "nsfw.classify"({ model, frames }) {
    const m = await loadNsfwModel(model);
    const started = performance.now();
    const images = [];
    for (const frame of frames) images.push(await readFrameFile(frame));
    const results = await classifyBatch(m, images);
    return { results, ms: performance.now() - started };
  },
  async stats() {
    const { tf } = await initTfjs();
    const loads: Record<string, number> = { human: humanModelLoadCount() };
    for (const model of NSFW_MODELS) loads[`nsfw-${model}`] = nsfwModelLoadCount(model);
    return { loads, numTensors: tf.memory().numTensors };
  },
};

let queue: Promise<unknown> = Promise.resolve();
port.on("message", (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      const handler = handlers[request.op] as (r: WorkerRequest) => Promise<unknown>;
      reply = { id: request.id, ok: true, value: await handler(request) };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
      reply = { id: request.id, ok: false, error: { message: `${e.message}${cause}`, retryable: isRetryable(error), ...(e.stack ? { stack: e.stack } : {}) } };
    }
    port.postMessage(reply);
  });
});
