import { readFile, readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { EngineInfo, TimeRange, TranscriptWord } from "@media-pipeline/core";
import { SpeechEngineError } from "./errors.js";
import { sherpa, type SherpaOfflineRecognizer, type SherpaOfflineResult } from "./sherpa.js";
import type { Pcm } from "./wav.js";

/** The environment variable that points at a sherpa-onnx model directory. */
export const ASR_MODEL_DIR_ENV = "MEDIA_PIPELINE_ASR_MODEL_DIR";

/** A model directory, recognised by the files in it (sherpa-onnx's release archives, unpacked). */
export type AsrModel =
  | { kind: "whisper"; dir: string; encoder: string; decoder: string; tokens: string }
  | { kind: "transducer"; dir: string; encoder: string; decoder: string; joiner: string; tokens: string };

/**
 * Recognises a Whisper model (`tiny.en-encoder.onnx`, `tiny.en-decoder.onnx`, `tiny.en-tokens.txt`)
 * or a transducer (`encoder-….onnx`, `decoder-….onnx`, `joiner-….onnx`, `tokens.txt`). When both
 * int8 and float files are present the int8 ones are taken: several times faster on CPU for a small
 * loss. Throws a `SpeechEngineError` naming what was expected and what was found.
 * @example await detectAsrModel("/models/sherpa-onnx-whisper-tiny.en") // { kind: "whisper", … }
 */
export async function detectAsrModel(dir: string): Promise<AsrModel> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new SpeechEngineError(`${ASR_MODEL_DIR_ENV}: ${dir} is not a directory`);
  }
  const files = (await readdir(dir)).sort();
  const pick = (part: string) => {
    const matches = files.filter((f) => f.endsWith(".onnx") && f.toLowerCase().includes(part));
    const chosen = matches.find((f) => f.includes(".int8.")) ?? matches[0];
    return chosen && join(dir, chosen);
  };
  const tokensFile = files.find((f) => f.endsWith("tokens.txt"));
  const encoder = pick("encoder");
  const decoder = pick("decoder");
  const joiner = pick("joiner");
  if (tokensFile && encoder && decoder) {
    const tokens = join(dir, tokensFile);
    if (joiner) return { kind: "transducer", dir, encoder, decoder, joiner, tokens };
    return { kind: "whisper", dir, encoder, decoder, tokens };
  }
  throw new SpeechEngineError(
    `${ASR_MODEL_DIR_ENV}: no sherpa-onnx model in ${dir}. Expected a Whisper model (*-encoder.onnx, ` +
      `*-decoder.onnx, *tokens.txt) or a transducer (encoder*.onnx, decoder*.onnx, joiner*.onnx, tokens.txt); ` +
      `found: ${files.length ? files.join(", ") : "nothing"}`,
  );
}

/**
 * sherpa-onnx ends the whole process (not a catchable error) on a malformed tokens file, so the
 * format (`<token> <integer id>` per line) is checked here first. Bad ONNX files throw normally.
 */
export async function checkTokens(path: string): Promise<void> {
  const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l.trim());
  const bad = lines.findIndex((l) => !/\s-?\d+\s*$/.test(l));
  if (lines.length === 0 || bad >= 0) {
    throw new SpeechEngineError(`${path} is not a sherpa-onnx tokens file (line ${bad + 1}: expected "<token> <id>")`);
  }
}

/** The sherpa-onnx recognizer configuration for a detected model. */
export function recognizerConfig(model: AsrModel, language: string): Record<string, unknown> {
  const modelConfig =
    model.kind === "whisper"
      ? // Whisper wants an ISO 639-1 code ("en" from "en-US"); English-only models ignore it.
        { whisper: { encoder: model.encoder, decoder: model.decoder, language: language.split("-")[0], task: "transcribe" } }
      : { transducer: { encoder: model.encoder, decoder: model.decoder, joiner: model.joiner } };
  return {
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: { ...modelConfig, tokens: model.tokens, numThreads: 2, provider: "cpu", debug: 0 },
    decodingMethod: "greedy_search",
  };
}

/** A loaded recognizer: words for each VAD segment, times from the start of the audio. */
export interface SherpaAsr {
  engine: EngineInfo;
  /** `signal` is checked between segments: sherpa-onnx decodes in this process, so there is no child to kill. */
  transcribe(pcm: Pcm, speech: TimeRange[], onSegment?: (done: number) => void, signal?: AbortSignal): Promise<TranscriptWord[]>;
}

const loaded = new Map<string, Promise<SherpaAsr>>();

/** Loads the model in `dir` once per process (a failed load is not cached, so it can be fixed). */
export function loadSherpaAsr(dir: string, language: string): Promise<SherpaAsr> {
  const key = `${dir}\0${language}`;
  let asr = loaded.get(key);
  if (!asr) {
    asr = createSherpaAsr(dir, language);
    loaded.set(key, asr);
    asr.catch(() => loaded.delete(key));
  }
  return asr;
}

async function createSherpaAsr(dir: string, language: string): Promise<SherpaAsr> {
  const model = await detectAsrModel(dir);
  await checkTokens(model.tokens);
  const lib = sherpa();
  let recognizer: SherpaOfflineRecognizer;
  try {
    recognizer = await lib.OfflineRecognizer.createAsync(recognizerConfig(model, language));
  } catch (cause) {
    throw new SpeechEngineError(`sherpa-onnx could not load the ${model.kind} model in ${dir}`, { cause });
  }
  const engine: EngineInfo = {
    name: `sherpa-onnx ${model.kind}`,
    version: `sherpa-onnx-node ${lib.version}; model ${basename(dir)}`,
    settings: { model: basename(model.encoder), kind: model.kind, language },
  };
  return {
    engine,
    async transcribe(pcm, speech, onSegment, signal) {
      const words: TranscriptWord[] = [];
      for (const [i, range] of speech.entries()) {
        signal?.throwIfAborted();
        // Whisper takes at most 30 s per call; VAD segments are capped at 20 s.
        const from = Math.round(range.startMs * 16);
        const samples = pcm.samples.slice(from, Math.round(range.endMs * 16));
        const stream = recognizer.createStream();
        stream.acceptWaveform({ samples, sampleRate: pcm.sampleRate });
        words.push(...resultWords(await recognizer.decodeAsync(stream), range));
        onSegment?.(i + 1);
      }
      return words;
    },
  };
}

/**
 * Turns a result into words. Transducers give a time per BPE token (`▁` starts a word); Whisper
 * gives text only, so its words are spread evenly over the segment, which is approximate.
 * Confidence is the mean token probability where the model reports log-probabilities, else 0
 * ("unknown": the schema has no absent value).
 */
export function resultWords(result: SherpaOfflineResult, range: TimeRange): TranscriptWord[] {
  const timed = result.tokens?.length > 0 && result.timestamps?.length === result.tokens.length;
  if (!timed) {
    const texts = result.text.trim().split(/\s+/).filter(Boolean);
    const step = (range.endMs - range.startMs) / Math.max(1, texts.length);
    return texts.map((text, i) => ({
      text,
      startMs: Math.round(range.startMs + i * step),
      endMs: Math.round(range.startMs + (i + 1) * step),
      confidence: 0,
    }));
  }
  const words: Array<TranscriptWord & { logProbs: number[] }> = [];
  result.tokens.forEach((token, i) => {
    const at = Math.round(range.startMs + result.timestamps[i] * 1000);
    const logProb = result.ys_log_probs?.[i];
    const last = words[words.length - 1];
    if (!last || token.startsWith("▁") || token.startsWith(" ")) {
      words.push({ text: token.replace(/^[▁ ]/, ""), startMs: at, endMs: at, confidence: 0, logProbs: [] });
    } else {
      last.text += token;
    }
    const word = words[words.length - 1];
    word.endMs = Math.round(at + (result.durations?.[i] ?? 0.08) * 1000);
    if (logProb !== undefined) word.logProbs.push(logProb);
  });
  return words
    .filter((w) => w.text.length > 0)
    .map(({ logProbs, ...w }) => ({
      ...w,
      confidence: logProbs.length ? Math.round(Math.exp(logProbs.reduce((a, b) => a + b, 0) / logProbs.length) * 10000) / 100 : 0,
    }));
}
