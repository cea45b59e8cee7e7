import path from "node:path";
import {
  createCompleteAnalysis, createDetectLabels, createDetectShots, createDetectText, createExtractAudio, createFinalizeAnalysis, createMakeCaptions,
  createModerate, createPrepareVideo, createProbe, createRequestReview, createSummarizeMedia, createSummarizeScenes, createTranscribe,
  routes as defaultRoutes,
  type AnyPipelineEvent, type EngineCallOptions, type Publish, type Route, type StageHandler, type StageName, type StateStore,
} from "@media-pipeline/core";
import { createPassThroughPreparer } from "@media-pipeline/media";
import { createLocalEngines, type LocalEngines } from "../engines/index.js";
import type { Db, Store } from "../store/index.js";
import { currentDeliverySignal, DurableBus } from "./bus/index.js";
import { reclaimOrphans } from "./claims.js";
import { stageTimeoutMs, type LocalConfig } from "./config.js";
import type { LocalObjectStore } from "./object-store.js";
import { createSqliteReviewQueue } from "./review-queue.js";

/*
 * The wiring: the route table's routes onto the bus, each route's stage onto its handler, each
 * handler onto the local engines. The only place that knows which engine serves which stage.
 */

export interface WiringOptions {
  /** Engines to use instead of the local ones (tests pass fakes). */
  engines?: Partial<LocalEngines>;
  routes?: readonly Route[];
  maxAttempts?: number;
  baseBackoffMs?: number;
}

export interface WiringDeps {
  config: LocalConfig;
  db: Db;
  store: Store;
  objects: LocalObjectStore;
  state: StateStore;
}

/**
 * The media's duration for a stage's deadline: from the event when it says (Media Probed, Audio
 * Extracted), else from the probe's stored facts; undefined before the probe.
 */
function mediaDuration(store: Store): (event: AnyPipelineEvent) => number | undefined {
  return (event) => {
    const inEvent = (event.detail as { durationMs?: unknown }).durationMs;
    if (typeof inEvent === "number") return inEvent;
    const facts = (store.stages.doneOutput(event.detail.mediaId, "probe") as { facts?: { durationMs?: unknown } } | undefined)?.facts;
    return typeof facts?.durationMs === "number" ? facts.durationMs : undefined;
  };
}

/**
 * Hands engines the signal of the delivery they run in when the stage code passes none, so a stage
 * that gives up (its timeout) also stops the engine's child process.
 */
function withDeliverySignal(engines: LocalEngines): LocalEngines {
  const call = (given: EngineCallOptions | undefined): EngineCallOptions => {
    const signal = given?.signal ?? currentDeliverySignal();
    return signal ? { ...given, signal } : { ...given };
  };
  return {
    ...engines,
    extractor: { extract: (source, target, onProgress, options) => engines.extractor.extract(source, target, onProgress, call(options)) },
    transcriber: { transcribe: (input, onProgress, options) => engines.transcriber.transcribe(input, onProgress, call(options)) },
    mediaSummarizer: { summarize: (input, options) => engines.mediaSummarizer.summarize(input, call(options)) },
  };
}

/** Every stage's handler over the local engines, publishing on `publish`. */
function stageHandlers(deps: WiringDeps & { engines: LocalEngines; publish: Publish }): Record<StageName, StageHandler> {
  const { config, engines, objects, store } = deps;
  const base = { state: reclaimOrphans(deps.state), publish: deps.publish };
  const reportDeps = { ...base, blobs: objects, now: () => new Date(), keyframeUri: (ref: { key: string }) => `keyframes/${path.posix.basename(ref.key)}` };
  return {
    probe: createProbe({ ...base, prober: engines.prober, blobs: objects, limits: config.limits }),
    "prepare-video": createPrepareVideo({ ...base, preparer: createPassThroughPreparer() }),
    "extract-audio": createExtractAudio({ ...base, extractor: engines.extractor }),
    "detect-shots": createDetectShots({ ...base, detector: engines.shots, blobs: objects }),
    "detect-labels": createDetectLabels({ ...base, detector: engines.labels, blobs: objects }),
    moderate: createModerate({ ...base, detector: engines.moderation, blobs: objects, thresholds: config.thresholds }),
    "detect-text": createDetectText({ ...base, detector: engines.text, blobs: objects }),
    transcribe: createTranscribe({ ...base, transcriber: engines.transcriber, blobs: objects, maxSpeakers: config.maxSpeakers, language: config.language }),
    "make-captions": createMakeCaptions({ ...base, blobs: objects, files: objects }),
    "summarize-scenes": createSummarizeScenes({ ...base, blobs: objects, summarizer: engines.summarizer }),
    "summarize-media": createSummarizeMedia({ ...base, blobs: objects, summarizer: engines.mediaSummarizer }),
    "request-review": createRequestReview({ ...base, queue: createSqliteReviewQueue(store), blobs: objects, now: () => new Date() }),
    "complete-analysis": createCompleteAnalysis(reportDeps),
    "finalize-analysis": createFinalizeAnalysis(reportDeps),
  };
}

/** The bus over the route table (core's unless given), with every stage wired to its engines; not started. */
export function wireBus(deps: WiringDeps, options: WiringOptions = {}): DurableBus {
  const { config } = deps;
  const engines = withDeliverySignal({ ...createLocalEngines(config, deps.objects.pathOf), ...options.engines });
  // Filled once the bus exists: the stages publish on it.
  const handlers: Partial<Record<StageName, StageHandler>> = {};
  const durationOf = mediaDuration(deps.store);
  const bus = new DurableBus({
    db: deps.db, routes: options.routes ?? defaultRoutes, handlers, workers: config.workers,
    timeoutFor: (stage, event) => stageTimeoutMs(config, stage, durationOf(event)),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.baseBackoffMs ? { baseBackoffMs: options.baseBackoffMs } : {}),
  });
  Object.assign(handlers, stageHandlers({ ...deps, engines, publish: bus.publish }));
  return bus;
}
