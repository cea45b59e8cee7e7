import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { MAX_MEDIA_DURATION_MS, MAX_UPLOAD_BYTES, NonRetryableError, parseThresholds, StageName, type ModerationThresholds } from "@media-pipeline/core";
import { LOCAL_MODERATION_MODEL, LOCAL_MODERATION_THRESHOLDS } from "../engines/vision/moderation-defaults.js";
import { NSFW_MODELS, type NsfwModelName } from "../engines/vision/protocol.js";
import { modelsDir, selectedModelDir } from "../models/catalog.js";

/** Configuration that cannot be used as given; the message names the setting. */
export class ConfigError extends NonRetryableError {}

/** The local runtime's settings: defaults, then the config file, then environment, then CLI flags. */
export interface LocalConfig {
  dataDir: string;
  workers: number;
  bucket: string;
  limits: { maxBytes: number; maxDurationMs: number };
  /** The local engine's review band (its own defaults, measured on benign pictures: moderation-defaults.ts). */
  thresholds: ModerationThresholds;
  /** The nsfwjs model moderation runs. */
  moderationModel: NsfwModelName;
  sceneThreshold: number;
  sampleEveryMs: number;
  maxSpeakers: number;
  language: string;
  /** Word-level speech recognition; off leaves speech segments and speakers (the fast setting). */
  words: boolean;
  /** Most pocketsphinx processes at once; more start, each on the rest of a running one's audio cut at a pause, only while cores stand idle (unset: one per core). */
  wordProcesses?: number;
  asrModelDir?: string;
  /** Base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1); scenes are summarised there when set. */
  llmEndpoint?: string;
  /** Required with `llmEndpoint`: the server's name for the model. */
  llmModel?: string;
  /**
   * From `MEDIA_PIPELINE_LLM_API_KEY` only: never a flag (shell history) or a config-file setting
   * (committed files), and never shown in results.
   */
  llmApiKey?: string;
  /** Per-stage deadlines set by the user (ms; 0 = none), replacing the defaults: see `stageTimeoutMs`. */
  stageTimeoutsMs?: Partial<Record<StageName, number>>;
}

/**
 * Default deadlines: `max(baseSeconds, perMediaSecond × duration)`. They catch a stuck engine, not a
 * slow one: the factors leave 4–10× headroom over what these stages measured on 2 cores (audio 0.002×
 * real time, shots + vision ≈ 0.3× with labels and moderation sharing the thread, pocketsphinx 0.32×),
 * and the bases cover model warm-up and short media. Time waiting for a free worker does not count.
 */
export const DEFAULT_STAGE_TIMEOUTS: Readonly<Record<StageName, { baseSeconds: number; perMediaSecond: number }>> = {
  probe: { baseSeconds: 120, perMediaSecond: 0 },
  // Locally a pass-through (the engines decode any format): no work to time.
  "prepare-video": { baseSeconds: 120, perMediaSecond: 0 },
  "extract-audio": { baseSeconds: 120, perMediaSecond: 0.5 },
  "detect-shots": { baseSeconds: 300, perMediaSecond: 2 },
  "detect-labels": { baseSeconds: 300, perMediaSecond: 2 },
  moderate: { baseSeconds: 300, perMediaSecond: 2 },
  // OCR of the pass's frames, a few per second of media at most.
  "detect-text": { baseSeconds: 300, perMediaSecond: 2 },
  transcribe: { baseSeconds: 300, perMediaSecond: 2 },
  "make-captions": { baseSeconds: 60, perMediaSecond: 0 },
  // A language model behind --llm-endpoint may write one summary per scene on a CPU.
  "summarize-scenes": { baseSeconds: 300, perMediaSecond: 1 },
  // Extractive in milliseconds; a language model writes one answer per chapter and one for the whole.
  "summarize-media": { baseSeconds: 300, perMediaSecond: 0.2 },
  "request-review": { baseSeconds: 120, perMediaSecond: 0 },
  "complete-analysis": { baseSeconds: 120, perMediaSecond: 0 },
  "finalize-analysis": { baseSeconds: 120, perMediaSecond: 0 },
};

/**
 * The deadline (ms) of one run of `stage` on media `durationMs` long (unknown before the probe): the
 * user's setting when there is one (0 = no deadline), else the scaled default.
 * @example stageTimeoutMs(config, "transcribe", 3_600_000) // 7_200_000: twice an hour of audio
 */
export function stageTimeoutMs(config: Pick<LocalConfig, "stageTimeoutsMs">, stage: StageName, durationMs?: number): number | undefined {
  const set = config.stageTimeoutsMs?.[stage];
  if (set !== undefined) return set > 0 ? set : undefined;
  const d = DEFAULT_STAGE_TIMEOUTS[stage];
  return Math.round(Math.max(d.baseSeconds, (d.perMediaSecond * (durationMs ?? 0)) / 1000) * 1000);
}

/** `{ "<stage>": seconds }`: strict, so a misspelt stage name fails instead of silently keeping the default. */
const StageTimeouts = z.strictObject(
  Object.fromEntries(StageName.options.map((stage) => [stage, z.number().min(0).optional()])) as Record<StageName, z.ZodOptional<z.ZodNumber>>,
);

/** An http(s) URL; `z.string().url()` alone would take `file:` or `ftp:` too. */
const HttpUrl = z.string().refine(
  (s) => {
    try {
      return ["http:", "https:"].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  },
  { message: "must be an http(s) URL such as http://127.0.0.1:11434/v1" },
);

/** The config file (`media-pipeline.config.json`): strict, so a typo fails loudly instead of being ignored. */
const FileConfig = z.strictObject({
  dataDir: z.string().optional(),
  workers: z.number().int().positive().optional(),
  maxBytes: z.number().int().positive().optional(),
  maxDurationSeconds: z.number().positive().optional(),
  reviewMin: z.number().min(0).max(100).optional(),
  flagMin: z.number().min(0).max(100).optional(),
  categories: z.record(z.string(), z.object({ reviewMin: z.number().min(0).max(100), flagMin: z.number().min(0).max(100) })).optional(),
  moderationModel: z.enum(NSFW_MODELS).optional(),
  sceneThreshold: z.number().gt(0).lt(1).optional(),
  sampleEverySeconds: z.number().positive().optional(),
  maxSpeakers: z.number().int().min(1).max(30).optional(),
  language: z.string().optional(),
  words: z.boolean().optional(),
  wordProcesses: z.number().int().min(1).max(64).optional(),
  asrModelDir: z.string().optional(),
  llmEndpoint: HttpUrl.optional(),
  llmModel: z.string().trim().min(1).optional(),
  stageTimeouts: StageTimeouts.optional(),
});
type FileConfig = z.infer<typeof FileConfig>;

/** Flags as the CLI passes them (strings or numbers; undefined when not given). */
export type ConfigFlags = Partial<Record<keyof FileConfig, string | number | boolean | undefined>> & { config?: string };

const ENV: Record<string, keyof FileConfig> = {
  MEDIA_PIPELINE_DATA_DIR: "dataDir",
  MEDIA_PIPELINE_WORKERS: "workers",
  MEDIA_PIPELINE_MAX_BYTES: "maxBytes",
  MEDIA_PIPELINE_MAX_DURATION_SECONDS: "maxDurationSeconds",
  MEDIA_PIPELINE_REVIEW_MIN: "reviewMin",
  MEDIA_PIPELINE_FLAG_MIN: "flagMin",
  MEDIA_PIPELINE_MODERATION_MODEL: "moderationModel",
  MEDIA_PIPELINE_SCENE_THRESHOLD: "sceneThreshold",
  MEDIA_PIPELINE_SAMPLE_EVERY_SECONDS: "sampleEverySeconds",
  MEDIA_PIPELINE_MAX_SPEAKERS: "maxSpeakers",
  MEDIA_PIPELINE_LANGUAGE: "language",
  MEDIA_PIPELINE_ASR_MODEL_DIR: "asrModelDir",
  MEDIA_PIPELINE_WORDS: "words",
  MEDIA_PIPELINE_WORD_PROCESSES: "wordProcesses",
  MEDIA_PIPELINE_LLM_ENDPOINT: "llmEndpoint",
  MEDIA_PIPELINE_LLM_MODEL: "llmModel",
  MEDIA_PIPELINE_STAGE_TIMEOUTS: "stageTimeouts",
};

const NUMERIC = new Set<keyof FileConfig>(["workers", "maxBytes", "maxDurationSeconds", "reviewMin", "flagMin", "sceneThreshold", "sampleEverySeconds", "maxSpeakers", "wordProcesses"]);

const SWITCH: Record<string, boolean> = { on: true, true: true, "1": true, yes: true, off: false, false: false, "0": false, no: false };

function coerce(key: keyof FileConfig, value: string | number | boolean, from: string): unknown {
  if (key === "stageTimeouts") {
    let parsed: unknown;
    try {
      parsed = typeof value === "string" ? JSON.parse(value) : value;
    } catch (cause) {
      throw new ConfigError(`${from} must be JSON such as {"detect-labels":900}, got "${String(value).slice(0, 80)}"`, { cause });
    }
    const r = StageTimeouts.safeParse(parsed);
    if (!r.success) throw new ConfigError(`${from}: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    return r.data;
  }
  if (key === "words" && typeof value === "string") {
    const v = SWITCH[value.trim().toLowerCase()];
    if (v === undefined) throw new ConfigError(`${from} must be on or off, got "${value}"`);
    return v;
  }
  if (!NUMERIC.has(key) || typeof value !== "string") return value;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`${from} must be a number, got "${value}"`);
  return n;
}

/** Loads the configuration; every layer is validated and errors name the setting and its source. */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LocalConfig {
  const merged: Record<string, unknown> = {};
  const file = flags.config ?? path.join(cwd, "media-pipeline.config.json");
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (cause) {
      throw new ConfigError(`${file} is not valid JSON`, { cause });
    }
    const r = FileConfig.safeParse(parsed);
    if (!r.success) throw new ConfigError(`${file}: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    Object.assign(merged, r.data);
  } else if (flags.config) {
    throw new ConfigError(`Config file ${flags.config} does not exist`);
  }
  // Stage timeouts merge per stage: the environment can change one stage and keep the file's others.
  const layer = (key: keyof FileConfig, value: unknown) => {
    merged[key] = key === "stageTimeouts" ? { ...(merged.stageTimeouts as object | undefined), ...(value as object) } : value;
  };
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== "") layer(key, coerce(key, v, name));
  }
  for (const [key, v] of Object.entries(flags)) {
    if (key !== "config" && v !== undefined) layer(key as keyof FileConfig, coerce(key as keyof FileConfig, v, `--${key}`));
  }
  const r = FileConfig.safeParse(merged);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const c = r.data;
  let thresholds: ModerationThresholds;
  try {
    thresholds = parseThresholds({ reviewMin: c.reviewMin, flagMin: c.flagMin }, LOCAL_MODERATION_THRESHOLDS);
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { cause });
  }
  if (c.categories) thresholds = { ...thresholds, categories: c.categories };
  // A server's default model differs between Ollama, llama-server and vLLM, so guessing would
  // summarise with whatever happens to be loaded, or fail on every scene.
  if (c.llmEndpoint && !c.llmModel) {
    throw new ConfigError("llmEndpoint is set but no model: pass --llm-model <name> or set MEDIA_PIPELINE_LLM_MODEL (e.g. a name from `ollama list`)");
  }
  const llmApiKey = env.MEDIA_PIPELINE_LLM_API_KEY;
  const asrModelDir = c.asrModelDir ? path.resolve(cwd, c.asrModelDir) : selectedModelDir(modelsDir(env));
  return {
    dataDir: path.resolve(cwd, c.dataDir ?? ".media-pipeline"),
    // Deliveries at once, not CPUs: the CPU work runs in ffmpeg, the vision worker threads (one per
    // model, however many deliveries wait on them) and the speech processes. One video's Media Probed
    // alone starts four stages and its transcription follows, so fewer slots would queue it behind vision.
    workers: c.workers ?? Math.max(6, 2 * os.availableParallelism()),
    bucket: "media",
    // The cloud's caps by default (packages/core/src/policy/limits.ts), so a file the local runtime
    // accepts is one the cloud accepts too; here they may be raised.
    limits: { maxBytes: c.maxBytes ?? MAX_UPLOAD_BYTES, maxDurationMs: c.maxDurationSeconds !== undefined ? Math.round(c.maxDurationSeconds * 1000) : MAX_MEDIA_DURATION_MS },
    thresholds,
    moderationModel: c.moderationModel ?? LOCAL_MODERATION_MODEL,
    sceneThreshold: c.sceneThreshold ?? 0.3,
    sampleEveryMs: Math.round((c.sampleEverySeconds ?? 2) * 1000),
    maxSpeakers: c.maxSpeakers ?? 4,
    language: c.language ?? "en-US",
    words: c.words ?? true,
    ...(c.wordProcesses ? { wordProcesses: c.wordProcesses } : {}),
    // A configured model directory, else the model `media-pipeline models install` last installed.
    ...(asrModelDir ? { asrModelDir } : {}),
    ...(c.llmEndpoint ? { llmEndpoint: c.llmEndpoint } : {}),
    ...(c.llmModel ? { llmModel: c.llmModel } : {}),
    ...(c.llmEndpoint && llmApiKey ? { llmApiKey } : {}),
    ...(c.stageTimeouts
      ? { stageTimeoutsMs: Object.fromEntries(Object.entries(c.stageTimeouts).map(([stage, seconds]) => [stage, Math.round(seconds! * 1000)])) }
      : {}),
  };
}
