import { availableParallelism } from "node:os";
import type {
  AudioExtractor, LabelDetector, MediaProber, MediaSummarizer, ModerationDetector, SceneSummarizer, ShotDetector, TextDetector, Transcriber,
} from "@media-pipeline/core";
import type { PathOf } from "@media-pipeline/media";
import type { LocalConfig } from "../runtime/config.js";
import { createExtractiveMediaSummarizer, createExtractiveSummarizer } from "@media-pipeline/core";
import { createLlmSummarizer } from "./summarize/llm.js";
import { createLlmMediaSummarizer } from "./summarize/media-llm.js";

/** Every engine the local runtime runs, one per port. */
export interface LocalEngines {
  prober: MediaProber;
  extractor: AudioExtractor;
  shots: ShotDetector;
  labels: LabelDetector;
  moderation: ModerationDetector;
  transcriber: Transcriber;
  summarizer: SceneSummarizer;
  /** Text on screen: OCR on the same decode pass's frames. */
  text: TextDetector;
  mediaSummarizer: MediaSummarizer;
}

/** Creates a port implementation on first use, so that a CLI call that needs no models loads none. */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

/**
 * The real local engines: ffmpeg for media, @vladmandic/human and nsfwjs on TensorFlow.js WASM for
 * vision, Silero VAD + pocketsphinx (or a user-supplied sherpa-onnx model) + MFCC clustering for
 * speech, and an extractive summarizer (or a language model behind an OpenAI-compatible endpoint, with
 * the extractive one for the scenes it cannot do). One decode pass of each video feeds shots, labels and
 * moderation.
 */
export function createLocalEngines(config: LocalConfig, pathOf: PathOf): LocalEngines {
  const media = lazy(() => import("@media-pipeline/media"));
  const vision = lazy(() => import("./vision/index.js"));
  // Labels and moderation take the pass's frames as it decodes them, already at the object model's
  // input size (the stream), and run in the vision threads: one decode, fanned out. The decoder gets
  // the cores the vision threads leave (at least one), since both run at once.
  const frameSource = lazy(async () => {
    const v = await vision();
    return (await media()).createFfmpegFrameSource({
      pathOf, bucket: config.bucket, sceneThreshold: config.sceneThreshold, sampleEveryMs: config.sampleEveryMs,
      stream: { maxSide: v.HUMAN_INPUT_SIDE, consumers: [v.LABELS_CONSUMER, v.MODERATION_CONSUMER] },
      threads: Math.max(1, availableParallelism() - v.VISION_THREADS),
    });
  });
  const prober = lazy(async () => (await media()).createFfprobeProber({ pathOf }));
  const extractor = lazy(async () => (await media()).createFfmpegAudioExtractor({ pathOf }));
  const shots = lazy(async () => (await media()).createFfmpegShotDetector({ frames: await frameSource() }));
  const labels = lazy(async () => (await vision()).createHumanLabelDetector({ frames: await frameSource(), pathOf }));
  const moderation = lazy(async () => (await vision()).createNsfwModerationDetector({ frames: await frameSource(), pathOf, model: config.moderationModel }));
  const transcriber = lazy(async () =>
    (await import("./speech/index.js")).createLocalTranscriber({
      pathOf, language: config.language, words: config.words,
      ...(config.wordProcesses ? { wordProcesses: config.wordProcesses } : {}),
      ...(config.asrModelDir ? { asrModelDir: config.asrModelDir } : {}),
    }),
  );
  const text = lazy(async () => (await import("./text/index.js")).createTextDetector({ frames: await frameSource(), pathOf }));
  // The same endpoint as the scene summaries; chapters are found without it either way.
  const mediaSummarizer = config.llmEndpoint
    ? createLlmMediaSummarizer({ endpoint: config.llmEndpoint, model: config.llmModel ?? "", ...(config.llmApiKey ? { apiKey: config.llmApiKey } : {}) })
    : createExtractiveMediaSummarizer();
  const extractive = createExtractiveSummarizer();
  const summarizer = config.llmEndpoint
    ? createLlmSummarizer({
        endpoint: config.llmEndpoint,
        // loadConfig refuses an endpoint without a model; a hand-built config gets the same clear error here.
        model: config.llmModel ?? "",
        ...(config.llmApiKey ? { apiKey: config.llmApiKey } : {}),
        fallback: extractive,
      })
    : extractive;
  return {
    prober: { probe: async (...a) => (await prober()).probe(...a) },
    extractor: { extract: async (...a) => (await extractor()).extract(...a) },
    shots: { detect: async (...a) => (await shots()).detect(...a) },
    labels: { detect: async (...a) => (await labels()).detect(...a) },
    moderation: { detect: async (...a) => (await moderation()).detect(...a) },
    transcriber: { transcribe: async (...a) => (await transcriber()).transcribe(...a) },
    summarizer,
    text: { detect: async (...a) => (await text()).detect(...a) },
    mediaSummarizer,
  };
}
