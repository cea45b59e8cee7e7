import { availableParallelism } from "node:os";
import type { EngineCallOptions, EngineInfo, ProgressFn, TranscribeInput, Transcriber, TranscriptDocument, TranscriptWord } from "@media-pipeline/core";
import type { PathOf } from "@media-pipeline/media";
import { assignWords, speakerLabels, speakersOf } from "./assemble.js";
import { DIARIZE_ENGINE, DIARIZE_SETTINGS, diarizeScored, UNSURE_COUNT_RECORD, type Diarization } from "./diarize.js";
import { detectPocketsphinx, MIN_PIECE_MS, recognizeWithPocketsphinx, SEARCH_LIMITS } from "./pocketsphinx.js";
import { ASR_MODEL_DIR_ENV, loadSherpaAsr } from "./sherpa-asr.js";
import { detectSpeech, vadEngineInfo } from "./vad.js";
import { readWav } from "./wav.js";

export interface LocalTranscriberOptions {
  pathOf: PathOf;
  /** A sherpa-onnx Whisper or transducer model directory; defaults to `MEDIA_PIPELINE_ASR_MODEL_DIR`. */
  asrModelDir?: string;
  /** A pocketsphinx binary; defaults to `pocketsphinx_continuous` or `pocketsphinx` on PATH. */
  pocketsphinxPath?: string;
  /** Used when an input names no language. */
  language?: string;
  /** False skips word recognition (speech segments and speakers only): the fast setting. */
  words?: boolean;
  /**
   * Most pocketsphinx processes at once (default: one per core). One starts on the whole audio; another
   * takes the rest of a running one's audio, cut at a pause, whenever a core stands idle.
   */
  wordProcesses?: number;
}

export const WORDS_OFF_NOTE =
  "Word recognition was turned off (--no-words / MEDIA_PIPELINE_WORDS=off), so this transcript has speaker turns without words.";

export const WEAKER_THAN_TRANSCRIBE =
  "Local engines are weaker than Amazon Transcribe: expect wrong words (pocketsphinx gets a minority " +
  "of words right on synthetic speech) and less reliable speaker separation for similar voices.";

export const ENABLE_WORDS_NOTE =
  "No speech-to-text engine is available, so this transcript has speaker turns without words. To get " +
  "words, install Debian's pocketsphinx and pocketsphinx-en-us packages (apt-get install pocketsphinx " +
  `pocketsphinx-en-us), or set ${ASR_MODEL_DIR_ENV} to an unpacked sherpa-onnx Whisper or transducer model directory.`;

interface Recognized {
  words: TranscriptWord[];
  engine: EngineInfo;
}

/**
 * The local `Transcriber`: Silero VAD, then speech to text (a sherpa-onnx model when configured, else
 * pocketsphinx when installed, else none), then speaker clustering. Engines load once per process.
 * A configured model directory that cannot be loaded is an error, not a silent fallback.
 * @example const doc = await createLocalTranscriber({ pathOf }).transcribe({ mediaId, audio, durationMs, maxSpeakers: 4, language: "en-US" })
 */
export function createLocalTranscriber(options: LocalTranscriberOptions): Transcriber {
  const modelDir = options.asrModelDir ?? (process.env[ASR_MODEL_DIR_ENV] || undefined);
  return {
    async transcribe(input: TranscribeInput, onProgress?: ProgressFn, call: EngineCallOptions = {}): Promise<TranscriptDocument> {
      const { signal } = call;
      const language = input.language || options.language || "en-US";
      const path = options.pathOf(input.audio);
      const pcm = await readWav(path);
      onProgress?.(0.05, "audio read");
      signal?.throwIfAborted();
      const speech = detectSpeech(pcm);
      onProgress?.(0.15, `${speech.length} speech segments`);
      // Speakers before words: clustering runs on this thread alone, and at the start the other stages
      // keep the other cores busy, while after the words it would leave every other core idle.
      const diarized = diarizeScored(pcm, speech, input.maxSpeakers);
      onProgress?.(0.3, "speakers clustered");
      signal?.throwIfAborted();
      const notes: string[] = [];
      const recognized = options.words === false ? undefined : await recognize({ modelDir, options, language, notes, speech, pcm, onProgress, signal });
      signal?.throwIfAborted();
      onProgress?.(0.95, recognized ? `${recognized.words.length} words` : "no speech-to-text engine");
      const segments = assignWords(diarized.turns, recognized?.words);
      const vad = vadEngineInfo();
      if (!recognized) notes.push(options.words === false ? WORDS_OFF_NOTE : ENABLE_WORDS_NOTE);
      const unsure = unsureCountNote(diarized, speakersOf(segments).length);
      if (unsure) notes.push(unsure);
      notes.push(WEAKER_THAN_TRANSCRIBE);
      const doc: TranscriptDocument = {
        language,
        hasWords: recognized !== undefined,
        notes,
        speakers: speakersOf(segments),
        segments,
        speech,
        speakerLabels: speakerLabels(segments),
        engine: { ...(recognized?.engine ?? vad), note: WEAKER_THAN_TRANSCRIBE },
        engines: [vad, ...(recognized ? [recognized.engine] : []), diarizeEngine(diarized)],
      };
      onProgress?.(1, "done");
      return doc;
    },
  };
}

/**
 * The plain statement of an unsure speaker count (undefined when the count is not unsure): the score it
 * was chosen by, and how often such a count was wrong in the eval.
 */
export function unsureCountNote(d: Diarization, speakers: number): string | undefined {
  if (!d.unsure) return undefined;
  const [lo, hi] = DIARIZE_SETTINGS.unsureBand;
  const { wrong, of } = UNSURE_COUNT_RECORD;
  return (
    `The speaker count is unsure: ${speakers} speaker${speakers === 1 ? "" : "s"} found, but a split of the voices scored ` +
    `${d.silhouette.toFixed(2)} (silhouette), between ${lo} and ${hi}, near the cut at ${DIARIZE_SETTINGS.minSilhouette}. ` +
    `Of the ${of} held-apart evaluation recordings that scored in this band, ${wrong} had a wrong count. There may be one speaker more or fewer.`
  );
}

/** The diarizer as it ran on this file: its settings and the silhouette the count was chosen by. */
function diarizeEngine(d: Diarization): EngineInfo {
  return {
    ...DIARIZE_ENGINE,
    settings: { ...DIARIZE_ENGINE.settings, silhouette: Number.isNaN(d.silhouette) ? null : Math.round(d.silhouette * 1000) / 1000, countUnsure: d.unsure },
  };
}

async function recognize(ctx: {
  modelDir: string | undefined;
  options: LocalTranscriberOptions;
  language: string;
  notes: string[];
  speech: TranscriptDocument["speech"];
  pcm: Awaited<ReturnType<typeof readWav>>;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}): Promise<Recognized | undefined> {
  if (ctx.modelDir) {
    const asr = await loadSherpaAsr(ctx.modelDir, ctx.language);
    const words = await asr.transcribe(
      ctx.pcm, ctx.speech,
      (done) => ctx.onProgress?.(0.3 + (0.65 * done) / Math.max(1, ctx.speech.length), "recognizing"),
      ctx.signal,
    );
    return { words, engine: asr.engine };
  }
  const ps = await detectPocketsphinx(ctx.options.pocketsphinxPath);
  if (!ps.available) {
    ctx.notes.push(`pocketsphinx not used: ${ps.reason}.`);
    return undefined;
  }
  if (!ctx.language.toLowerCase().startsWith("en")) {
    ctx.notes.push(`pocketsphinx has only the US English model installed; ${ctx.language} audio gets no words.`);
    return undefined;
  }
  // No speech found: nothing to recognise, but the engine that would have run is still named.
  if (ctx.speech.length === 0) return { words: [], engine: pocketsphinxEngine(ps.version, ps.flavour, 0) };
  const { words, pieces } = await recognizeWithPocketsphinx(ps, ctx.pcm, ctx.speech, {
    maxProcesses: Math.max(1, Math.floor(ctx.options.wordProcesses ?? availableParallelism())),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onProgress: (fraction) => ctx.onProgress?.(0.3 + 0.65 * fraction, "recognizing"),
  });
  return { words, engine: pocketsphinxEngine(ps.version, ps.flavour, pieces.length) };
}

function pocketsphinxEngine(version: string, flavour: string, pieces: number): EngineInfo {
  return {
    name: "pocketsphinx",
    version,
    settings: {
      cli: flavour === "continuous" ? `pocketsphinx_continuous -infile <raw 16 kHz audio> -time yes ${SEARCH_LIMITS.join(" ")}` : "pocketsphinx live <raw 16 kHz audio>",
      model: "en-us (pocketsphinx-en-us)",
      // Processes this run took: the audio cut at pauses whenever a core stood idle (at least MIN_PIECE_MS each side).
      pieces,
      minPieceMs: MIN_PIECE_MS,
    },
    note: "CMU PocketSphinx with the generic US English model: far less accurate than Amazon Transcribe.",
  };
}
