import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/*
 * Speech-to-text models `media-pipeline models install` can fetch: sherpa-onnx's own release archives,
 * from the project's GitHub release (tag `asr-models`), where its documentation points. Nothing is
 * fetched at install time of the package or at run time: only when a person asks for a model.
 */

export interface ModelEntry {
  name: string;
  kind: "whisper" | "transducer";
  /** The release asset: `<archive>` in the release, unpacking to `<directory>/`. */
  archive: string;
  directory: string;
  /** About how much is downloaded, for the list (the release gives the exact size). */
  approxMb: number;
  languages: string;
  description: string;
}

/** sherpa-onnx's GitHub repository and the release its speech-recognition models are published in. */
export const MODEL_RELEASE = { owner: "k2-fsa", repo: "sherpa-onnx", tag: "asr-models" } as const;
/** Where the release's metadata (with each asset's SHA-256 digest) and its downloads are read. */
export const GITHUB_API = "https://api.github.com";
export const GITHUB_DOWNLOADS = "https://github.com";
/** Overrides of the two addresses (a mirror, or a loopback server in tests). */
export const MODELS_API_ENV = "MEDIA_PIPELINE_MODELS_API";
export const MODELS_DOWNLOAD_ENV = "MEDIA_PIPELINE_MODELS_DOWNLOAD";
/** Where models are unpacked; default `$XDG_DATA_HOME/media-pipeline/models` (`~/.local/share/…`). */
export const MODELS_DIR_ENV = "MEDIA_PIPELINE_MODELS_DIR";
/** The file in the models directory that names the model the transcriber uses. */
export const SELECTED_FILE = "selected";

export const MODELS: readonly ModelEntry[] = [
  {
    name: "whisper-tiny.en", kind: "whisper", archive: "sherpa-onnx-whisper-tiny.en.tar.bz2", directory: "sherpa-onnx-whisper-tiny.en",
    approxMb: 113, languages: "English", description: "OpenAI Whisper tiny.en exported by sherpa-onnx; the smallest and fastest",
  },
  {
    name: "whisper-base.en", kind: "whisper", archive: "sherpa-onnx-whisper-base.en.tar.bz2", directory: "sherpa-onnx-whisper-base.en",
    approxMb: 199, languages: "English", description: "OpenAI Whisper base.en: fewer wrong words than tiny.en, about twice the time",
  },
  {
    name: "whisper-tiny", kind: "whisper", archive: "sherpa-onnx-whisper-tiny.tar.bz2", directory: "sherpa-onnx-whisper-tiny",
    approxMb: 111, languages: "99 languages (Whisper's)", description: "OpenAI Whisper tiny, multilingual",
  },
  {
    name: "zipformer-en-2023-06-26", kind: "transducer", archive: "sherpa-onnx-zipformer-en-2023-06-26.tar.bz2", directory: "sherpa-onnx-zipformer-en-2023-06-26",
    approxMb: 66, languages: "English", description: "an offline Zipformer transducer trained on LibriSpeech: word times from the model itself",
  },
];

export function modelByName(name: string): ModelEntry | undefined {
  return MODELS.find((m) => m.name === name);
}

/** The models directory for this environment. */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env[MODELS_DIR_ENV]) return path.resolve(env[MODELS_DIR_ENV]!);
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return path.join(dataHome, "media-pipeline", "models");
}

/**
 * The directory of the model `models install` last installed (named in `<models dir>/selected`), when
 * it is still there; the transcriber uses it when no model directory is configured.
 */
export function selectedModelDir(dir: string): string | undefined {
  const marker = path.join(dir, SELECTED_FILE);
  if (!existsSync(marker)) return undefined;
  const entry = modelByName(readFileSync(marker, "utf8").trim());
  const unpacked = entry && path.join(dir, entry.name);
  return unpacked && existsSync(unpacked) ? unpacked : undefined;
}
