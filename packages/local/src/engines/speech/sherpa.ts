import { createRequire } from "node:module";
import { SpeechEngineError } from "./errors.js";

/**
 * The slice of `sherpa-onnx-node` the speech engines use. The package ships JavaScript with JSDoc
 * only, so the shapes are declared here (see its `types.js`) and the module is loaded lazily: a
 * process that never transcribes never loads the native addon.
 */
export interface SherpaSpeechSegment {
  /** First sample of the segment. */
  start: number;
  samples: Float32Array;
}

export interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  front(enableExternalBuffer?: boolean): SherpaSpeechSegment;
  pop(): void;
  flush(): void;
  reset(): void;
}

export interface SherpaOfflineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
}

export interface SherpaOfflineResult {
  text: string;
  tokens: string[];
  /** Seconds from the start of the stream, one per token (when the model reports them). */
  timestamps: number[];
  durations?: number[];
  ys_log_probs?: number[];
  lang?: string;
}

export interface SherpaOfflineRecognizer {
  createStream(): SherpaOfflineStream;
  decodeAsync(stream: SherpaOfflineStream): Promise<SherpaOfflineResult>;
}

export interface SherpaModule {
  Vad: new (config: Record<string, unknown>, bufferSizeInSeconds: number) => SherpaVad;
  OfflineRecognizer: { createAsync(config: Record<string, unknown>): Promise<SherpaOfflineRecognizer> };
  version: string;
  onnxruntimeVersion?: string;
}

export const requireHere = createRequire(import.meta.url);
let loaded: SherpaModule | undefined;

/** Loads `sherpa-onnx-node` once per process. */
export function sherpa(): SherpaModule {
  if (loaded) return loaded;
  try {
    loaded = requireHere("sherpa-onnx-node") as SherpaModule;
  } catch (cause) {
    throw new SpeechEngineError("sherpa-onnx-node could not load its native runtime for this platform", { cause });
  }
  return loaded;
}
