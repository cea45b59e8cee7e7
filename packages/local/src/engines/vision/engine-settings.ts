import type { LoadedModel } from "./protocol.js";

/**
 * How long an engine took: model load plus first inference once per thread (`warmupMs`), then the
 * mean time the model spent per frame of this call, frame reading included (`perFrameMs`; time spent
 * waiting for the decode pass to produce frames is not in it).
 */
export interface VisionTimings {
  warmupMs: number;
  perFrameMs: number;
  frames: number;
}

/** The settings every vision result reports about the model's TensorFlow.js runtime, with timings. */
export function runtimeSettings(model: LoadedModel, computeMs: number, frames: number) {
  return {
    backend: model.runtime.backend,
    simd: model.runtime.simd,
    threads: model.runtime.threads,
    tfjs: model.runtime.version,
    // The models run in the vision worker threads (worker-pool.ts), not on the main thread.
    thread: "worker",
    timings: {
      warmupMs: Math.round(model.warmupMs),
      perFrameMs: frames > 0 ? Math.round((computeMs / frames) * 10) / 10 : 0,
      frames,
    } satisfies VisionTimings,
  };
}
