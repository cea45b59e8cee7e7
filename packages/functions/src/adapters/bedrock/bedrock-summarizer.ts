import { ConverseCommand, type ConverseCommandOutput } from "@aws-sdk/client-bedrock-runtime";
import { forEachLimited, fallbackPicker, type EngineInfo, type SceneInput, type SceneSummarizer, type SceneSummary } from "@media-pipeline/core";
import { ConfigurationError } from "../../errors.js";
import { awsErrorKind } from "../aws-errors.js";
import {
  buildConverseInput, isJpeg, MalformedAnswer, MAX_IMAGE_BYTES, MAX_IMAGES_PER_SCENE, readAnswer, type AnswerMode,
  type RequestSettings,
} from "./converse-protocol.js";
import { equalJitterBackoff } from "./calls.js";

/** The one call the summarizer makes. `BedrockRuntimeClient` satisfies it. */
export interface ConverseSender {
  send(command: ConverseCommand): Promise<ConverseCommandOutput>;
}

export interface BedrockSummarizerOptions {
  client: ConverseSender;
  /** A base model id, an inference profile id (e.g. `us.anthropic.claude-3-5-haiku-20241022-v1:0`) or an ARN. */
  modelId: string;
  /** JPEG keyframes of a scene; the first two usable ones are sent when `acceptsImages` is true. */
  keyframes?: (sceneIndex: number) => Promise<Uint8Array[]>;
  /** Whether the model takes image blocks (vision). Default false: a text-only model refuses them. */
  acceptsImages?: boolean;
  /** Writes the scenes the model cannot (the extractive summarizer); those scenes say `extractive`. */
  fallback: SceneSummarizer;
  /** Retries of a throttled or unavailable call, with exponential backoff, before the scene falls back. */
  maxRetries: number;
  /** Default `tool` (a forced tool call); `json` asks for JSON text, for models without toolChoice. */
  answerMode?: AnswerMode;
  /** Default 400: two sentences need far fewer. */
  maxTokens?: number;
  /** Default 0: a report wants the most likely wording, not variety. */
  temperature?: number;
  /** Scenes in flight at once (default 2; Bedrock quotas are per minute). */
  concurrency?: number;
  /** First backoff delay (default 1000 ms), doubled per retry up to `maxDelayMs` (default 20 000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const OPTION_KEYS = new Set([
  "client", "modelId", "keyframes", "acceptsImages", "fallback", "maxRetries", "answerMode", "maxTokens", "temperature",
  "concurrency", "baseDelayMs", "maxDelayMs", "sleep", "random",
]);

/** Every scene would fail alike: stop calling and let the rest fall back. */
const ENDPOINT_WIDE = new Set(["AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException"]);
const NOTE_REASON_LIMIT = 6;

function validate(o: BedrockSummarizerOptions): void {
  const issues: string[] = [];
  const unknown = Object.keys(o).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) issues.push(`unknown option(s): ${unknown.join(", ")}`);
  if (typeof o.client?.send !== "function") issues.push("client must have send()");
  if (typeof o.modelId !== "string" || o.modelId.trim() === "") issues.push("modelId is required");
  if (typeof o.fallback?.summarize !== "function") issues.push("fallback must be a SceneSummarizer");
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0 || o.maxRetries > 10) issues.push("maxRetries must be an integer 0–10");
  if (o.answerMode !== undefined && o.answerMode !== "tool" && o.answerMode !== "json") issues.push('answerMode must be "tool" or "json"');
  if (o.keyframes !== undefined && typeof o.keyframes !== "function") issues.push("keyframes must be a function");
  for (const k of ["maxTokens", "concurrency"] as const) {
    if (o[k] !== undefined && !(Number.isInteger(o[k]) && o[k]! > 0)) issues.push(`${k} must be a positive integer`);
  }
  for (const k of ["temperature", "baseDelayMs", "maxDelayMs"] as const) {
    if (o[k] !== undefined && !(typeof o[k] === "number" && o[k]! >= 0)) issues.push(`${k} must be a number ≥ 0`);
  }
  if (issues.length) throw new ConfigurationError(`Invalid Bedrock summarizer options: ${issues.join("; ")}`, issues);
}

interface SceneUsage { index: number; inputTokens: number; outputTokens: number; calls: number }
type Outcome = { summary: string } | { reason: string; endpointWide?: boolean };

/**
 * Summarises each scene with a Bedrock model through the Converse API: one call per scene with its
 * transcript, labels, moderation flags and (for a vision model) up to two keyframes, answering
 * `{ summary }` through a forced tool call. A malformed answer is asked again once; throttling and
 * unavailability are retried with exponential backoff up to `maxRetries`; after that the scene gets
 * the fallback's summary (marked `extractive`) and the engine note says why. Token usage of every
 * call, failed ones included (they are billed), is in `engine.settings.usage`.
 *
 * @example
 * const summarizer = createBedrockSummarizer({
 *   client: new BedrockRuntimeClient({}), modelId: "us.anthropic.claude-3-5-haiku-20241022-v1:0",
 *   acceptsImages: true, keyframes: (i) => loadKeyframes(i), fallback: createExtractiveSummarizer(), maxRetries: 3,
 * });
 */
export function createBedrockSummarizer(options: BedrockSummarizerOptions): SceneSummarizer {
  validate(options);
  const settings: RequestSettings = {
    modelId: options.modelId.trim(),
    answerMode: options.answerMode ?? "tool",
    maxTokens: options.maxTokens ?? 400,
    temperature: options.temperature ?? 0,
  };
  const acceptsImages = options.acceptsImages ?? false;
  const concurrency = options.concurrency ?? 2;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const backoff = equalJitterBackoff(baseDelayMs, maxDelayMs, options.random ?? Math.random);

  async function imagesFor(scene: SceneInput, notes: string[]): Promise<Uint8Array[]> {
    if (!acceptsImages || !options.keyframes) return [];
    try {
      const all = await options.keyframes(scene.index);
      const usable = all.filter((b) => isJpeg(b) && b.byteLength <= MAX_IMAGE_BYTES);
      if (usable.length < all.length) notes.push(`scene ${scene.index}: ${all.length - usable.length} keyframe(s) not JPEG or over 3.75 MB, left out`);
      return usable.slice(0, MAX_IMAGES_PER_SCENE);
    } catch (error) {
      notes.push(`scene ${scene.index}: keyframes could not be loaded (${(error as Error).message}); summarised from text`);
      return [];
    }
  }

  async function summarizeScene(scene: SceneInput, usage: SceneUsage, notes: string[]): Promise<Outcome> {
    let images = await imagesFor(scene, notes);
    if (scene.transcript.length === 0 && scene.labels.length === 0 && images.length === 0) {
      return { reason: "no transcript, labels or keyframes to summarise" };
    }
    let transient = 0;
    let malformed = 0;
    for (;;) {
      let output: ConverseCommandOutput;
      try {
        usage.calls += 1;
        output = await options.client.send(new ConverseCommand(buildConverseInput(scene, images, settings)));
      } catch (error) {
        const name = (error as { name?: string }).name ?? "";
        // Passing faults (throttling, quotas, 5xx, model not ready or slow) are worth the same request
        // after a wait, as the one AWS error classifier (aws-errors.ts) decides for every adapter.
        const kind = awsErrorKind(error);
        const message = `${name}: ${(error as Error).message}`;
        if (kind === "throttling" || kind === "transient") {
          if (transient < options.maxRetries) {
            await sleep(backoff(transient++));
            continue;
          }
          return { reason: `${message} (after ${transient} retr${transient === 1 ? "y" : "ies"})` };
        }
        if (name === "ModelErrorException" && malformed < 1) {
          malformed += 1;
          continue;
        }
        // An image the model will not take (size, dimensions, no vision) must not cost the scene its summary.
        if (name === "ValidationException" && images.length > 0) {
          notes.push(`scene ${scene.index}: the model refused the keyframes (${(error as Error).message}); retried without them`);
          images = [];
          continue;
        }
        if (ENDPOINT_WIDE.has(name)) return { reason: message, endpointWide: true };
        if (kind === "refused") return { reason: message };
        throw error; // not an AWS answer (a bug, a network fault past the SDK's retries): let the stage retry
      }
      usage.inputTokens += output.usage?.inputTokens ?? 0;
      usage.outputTokens += output.usage?.outputTokens ?? 0;
      const answer = readAnswer(output);
      if (!(answer instanceof MalformedAnswer)) return { summary: answer.summary };
      if (answer.retry && malformed < 1) {
        malformed += 1;
        continue;
      }
      return { reason: malformed ? `${answer.reason} (after 1 retry)` : answer.reason };
    }
  }

  return {
    async summarize(scenes: SceneInput[]) {
      const fallbackFor = fallbackPicker(options.fallback, scenes);

      const out = new Map<number, SceneSummary>();
      const usages = new Map<number, SceneUsage>();
      const reasons = new Map<string, number[]>();
      const notes: string[] = [];
      let stopAll: string | undefined;

      await forEachLimited(scenes, concurrency, async (scene) => {
        const usage: SceneUsage = { index: scene.index, inputTokens: 0, outputTokens: 0, calls: 0 };
        usages.set(scene.index, usage);
        const outcome: Outcome = stopAll ? { reason: stopAll } : await summarizeScene(scene, usage, notes);
        if ("summary" in outcome) {
          out.set(scene.index, {
            index: scene.index,
            startMs: scene.startMs,
            endMs: scene.endMs,
            shotIndexes: scene.shotIndexes,
            summary: outcome.summary,
            labels: scene.labels.map((l) => l.name),
            moderation: scene.moderation,
            speakers: [...new Set(scene.transcript.map((t) => t.speaker))],
            summarizer: "llm",
          });
          return;
        }
        if (outcome.endpointWide) stopAll ??= outcome.reason;
        reasons.set(outcome.reason, [...(reasons.get(outcome.reason) ?? []), scene.index]);
        out.set(scene.index, await fallbackFor(scene));
      });

      const ordered = scenes.map((s) => out.get(s.index)!);
      const fallbacks = ordered.filter((s) => s.summarizer !== "llm").length;
      const perScene = scenes.map((s) => usages.get(s.index)!);
      const total = perScene.reduce((t, u) => ({ inputTokens: t.inputTokens + u.inputTokens, outputTokens: t.outputTokens + u.outputTokens }), {
        inputTokens: 0, outputTokens: 0,
      });
      const engine: EngineInfo = {
        name: "amazon-bedrock-converse",
        version: settings.modelId,
        settings: {
          modelId: settings.modelId, answerMode: settings.answerMode, maxTokens: settings.maxTokens, temperature: settings.temperature,
          acceptsImages, maxRetries: options.maxRetries, fallbacks, usage: { total, scenes: perScene },
        },
      };
      const parts = [...reasons].map(([reason, idx]) => `scene${idx.length > 1 ? "s" : ""} ${idx.join(", ")}: ${reason}`);
      if (fallbacks > 0) {
        const fallbackEngine = await fallbackFor.engine();
        const shown = parts.slice(0, NOTE_REASON_LIMIT).join("; ");
        const more = parts.length > NOTE_REASON_LIMIT ? `; and ${parts.length - NOTE_REASON_LIMIT} more reasons` : "";
        notes.unshift(`${fallbacks} of ${scenes.length} scene${scenes.length === 1 ? "" : "s"} fell back to the ${fallbackEngine?.name ?? "fallback"} summary — ${shown}${more}.`);
      }
      if (notes.length) engine.note = notes.join(" ");
      return { scenes: ordered, engine };
    },
  };
}
