import type { FrameDetections } from "@media-pipeline/core";

/**
 * The messages between the main thread (worker-pool.ts, which the detectors call) and a vision worker
 * thread (worker/vision-worker.ts), with every type they carry. Both sides import this module and
 * nothing of each other, so the worker-side model code never loads with the detectors and the main
 * thread's pool never loads with the models.
 */

/**
 * A frame file for the worker to read itself: a JPEG the frame source kept, or a PPM (raw RGB, already
 * at the models' scale) it streamed while the pass ran. Paths cross threads, pixels do not.
 */
export interface FrameFile {
  path: string;
  format: "jpeg" | "ppm";
  /** Names the frame in errors. */
  label: string;
}

/** The nsfwjs models a worker can run (the default: moderation-defaults.ts). */
export const NSFW_MODELS = ["MobileNetV2", "MobileNetV2Mid", "InceptionV3"] as const;
export type NsfwModelName = (typeof NSFW_MODELS)[number];

/** One frame's objects and faces; boxes relative to the original frame. */
export interface HumanFrameResult {
  detections: FrameDetections["detections"];
  faces: number;
}

/** What the TensorFlow.js runtime inside a worker runs on, as reported in every vision result. */
export interface RuntimeInfo {
  backend: string;
  simd: boolean;
  threads: number;
  /** `@tensorflow/tfjs` version. */
  version: string;
}

/** A model loaded in a worker: its library's version, its one-time warm-up and its runtime. */
export interface LoadedModel {
  version: string;
  warmupMs: number;
  runtime: RuntimeInfo;
  /** nsfwjs: the square input side (224 or 299). */
  inputSize?: number;
  /** nsfwjs: batch normalization folded into the convolutions (worker/fused-layers.ts). */
  fused?: boolean;
}

/** Per-frame results of one batch, with the time the worker spent on it (file reading included). */
export interface BatchResult<R> {
  results: R[];
  ms: number;
}

/** A thread's own counters, for tests: loads per model ("human", "nsfw-MobileNetV2", …) and live tensors. */
export interface WorkerStats {
  loads: Record<string, number>;
  numTensors: number;
}

/** Requests a vision worker answers, and what each answers with. */
export interface WorkerCalls {
  "human.load": { request: Record<string, never>; response: LoadedModel };
  "human.detect": { request: { frames: FrameFile[]; minConfidence: number }; response: BatchResult<HumanFrameResult> };
  "nsfw.load": { request: { model: NsfwModelName }; response: LoadedModel };
  "nsfw.classify": { request: { model: NsfwModelName; frames: FrameFile[] }; response: BatchResult<number[]> };
  stats: { request: Record<string, never>; response: WorkerStats };
}
export type WorkerOp = keyof WorkerCalls;
export type WorkerRequest = { [K in WorkerOp]: { id: number; op: K } & WorkerCalls[K]["request"] }[WorkerOp];
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; retryable: boolean; stack?: string } };
