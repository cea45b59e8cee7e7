export { assignWords, speakerLabels, speakersOf } from "./assemble.js";
export { DIARIZE_ENGINE, DIARIZE_SETTINGS, diarize, diarizeScored, type Diarization, type SpeakerTurn } from "./diarize.js";
export { SpeechEngineError } from "./errors.js";
export { frameFeatures } from "./mfcc.js";
export {
  detectPocketsphinx,
  parseContinuousOutput,
  parseV5Output,
  pocketsphinxArgs,
  SEARCH_LIMITS,
  runPocketsphinx,
  recognizeWithPocketsphinx,
  MIN_PIECE_MS,
  type RecognizeOptions,
  type PocketsphinxDetection,
  type PocketsphinxFlavour,
} from "./pocketsphinx.js";
export { ASR_MODEL_DIR_ENV, detectAsrModel, loadSherpaAsr, recognizerConfig, type AsrModel, type SherpaAsr } from "./sherpa-asr.js";
export {
  createLocalTranscriber,
  ENABLE_WORDS_NOTE,
  WEAKER_THAN_TRANSCRIBE,
  type LocalTranscriberOptions,
} from "./transcriber.js";
export { detectSpeech, sileroModelPath, VAD_SETTINGS, vadEngineInfo } from "./vad.js";
export { parseWav, readWav, type Pcm } from "./wav.js";
