import { z } from "zod";
import { forEachLimited, fallbackPicker, MediaPipelineError, sceneForModel, type EngineInfo, type SceneInput, type SceneSummarizer, type SceneSummary } from "@media-pipeline/core";
import { ConfigError } from "../../runtime/config.js";
import {
  ChatCompletion, completionsUrl, MAX_SUMMARY_CHARS, parseEndpoint, redactEndpoint, SUMMARY_JSON_SCHEMA,
  SummaryContent, SYSTEM_PROMPT, unfence,
} from "./llm-protocol.js";

/**
 * A scene summary from a language model behind any OpenAI-compatible Chat Completions endpoint
 * (Ollama, llama.cpp's llama-server, vLLM, LM Studio, OpenAI itself).
 * `retryable` follows core's rule: timeouts, 429 and 5xx are worth another try; a 4xx is not.
 */
export class LlmSummaryError extends MediaPipelineError {
  /** HTTP status when the server answered with an error. */
  readonly status?: number;
  /** True when every other scene would fail the same way (bad key, wrong URL, nobody listening). */
  readonly endpointWide: boolean;
  /** How long a 429 asked us to wait (Retry-After), capped. */
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    options: { cause?: unknown; retryable: boolean; status?: number; endpointWide?: boolean; retryAfterMs?: number },
  ) {
    super(message, { cause: options.cause, retryable: options.retryable });
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.endpointWide = options.endpointWide ?? false;
  }
}

export interface LlmSummarizerOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended. */
  endpoint: string;
  /** Model name as the server knows it (`ollama list`, llama-server's alias, vLLM's served name). */
  model: string;
  /** Sent as `Authorization: Bearer`; never logged or stored in results. */
  apiKey?: string;
  /** For tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Per request, including reading the body (default 60 000). */
  timeoutMs?: number;
  /** Writes the scenes the model cannot (the extractive summarizer). */
  fallback: SceneSummarizer;
  /** Requests in flight at once (default 1: a local server usually has one slot). */
  concurrency?: number;
  /** Wait before the single retry, unless a 429 says otherwise via Retry-After (default 500). */
  retryDelayMs?: number;
}

const OPTION_KEYS = new Set(["endpoint", "model", "apiKey", "fetch", "timeoutMs", "fallback", "concurrency", "retryDelayMs"]);

const NOTE_REASON_LIMIT = 6;
/** Keeps one very talkative scene inside a small model's context window (roughly 4k tokens). */
/** A 429's Retry-After is honoured up to this, so one scene cannot stall the stage for minutes. */
const MAX_RETRY_AFTER_MS = 10_000;

/**
 * One chat-completions POST: the parsed completion and its raw JSON (for the usage some servers add),
 * or an LlmSummaryError saying why not — no answer in time, nobody listening, an HTTP error (with the
 * server's own message and Retry-After), or an answer that is not a chat completion. Shared by the
 * scene and the media summarizers. An aborted `signal` (the stage gave up) is rethrown as its reason:
 * that is not the model's failure, and nothing should fall back.
 */
export async function postChatCompletion(o: {
  doFetch: typeof fetch; url: string; headers: Record<string, string>; body: unknown; timeoutMs: number;
  shownEndpoint: string; redact: (text: string) => string; signal?: AbortSignal;
}): Promise<{ completion: z.infer<typeof ChatCompletion>; raw: unknown }> {
  const { shownEndpoint, redact, timeoutMs } = o;
  let response: Response;
  let text: string;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    response = await o.doFetch(o.url, { method: "POST", headers: o.headers, body: JSON.stringify(o.body), signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout });
    text = await response.text();
  } catch (cause) {
    if (o.signal?.aborted) throw o.signal.reason;
    const err = cause as { name?: string; message?: string; cause?: { code?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") {
      throw new LlmSummaryError(`no answer from ${shownEndpoint} within ${timeoutMs} ms`, { cause, retryable: true });
    }
    const code = err.cause?.code;
    throw new LlmSummaryError(`could not reach ${shownEndpoint}: ${code ?? redact(err.message ?? String(cause))}`, {
      cause, retryable: true, endpointWide: code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN",
    });
  }
  if (!response.ok) {
    const status = response.status;
    let detail = text;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      detail = (typeof parsed.error === "string" ? parsed.error : parsed.error?.message) ?? parsed.message ?? text;
    } catch {
      // not JSON: keep the raw text
    }
    const after = Number(response.headers.get("retry-after"));
    // Ollama's native API lives at the root and its OpenAI one under /v1: a 404 is most often that.
    const hint = status === 404 ? " (the endpoint should be the API's base URL, usually ending in /v1)" : "";
    throw new LlmSummaryError(`HTTP ${status} from ${shownEndpoint}${detail ? `: ${redact(detail.replace(/\s+/g, " ").trim()).slice(0, 200)}` : ""}${hint}`, {
      status,
      retryable: status === 408 || status === 429 || status >= 500,
      endpointWide: status === 401 || status === 403 || status === 404,
      ...(status === 429 && Number.isFinite(after) && after > 0 ? { retryAfterMs: Math.min(after * 1000, MAX_RETRY_AFTER_MS) } : {}),
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
    return { completion: ChatCompletion.parse(raw), raw };
  } catch (cause) {
    throw new LlmSummaryError(`${shownEndpoint} did not answer with a chat completion (is it an OpenAI-compatible /v1 base URL?)`, {
      cause, retryable: false, endpointWide: true,
    });
  }
}
function validate(options: LlmSummarizerOptions): void {
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) throw new ConfigError(`Unknown LLM summarizer option(s): ${unknown.join(", ")}`);
  if (typeof options.model !== "string" || options.model.trim() === "") {
    throw new ConfigError("LLM summarizer needs a model name (--llm-model or MEDIA_PIPELINE_LLM_MODEL)");
  }
  const positive = (name: string, v: unknown, int: boolean) => {
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) {
      throw new ConfigError(`LLM summarizer option ${name} must be a positive ${int ? "integer" : "number"}, got ${String(v)}`);
    }
  };
  positive("timeoutMs", options.timeoutMs, false);
  positive("concurrency", options.concurrency, true);
  if (options.retryDelayMs !== undefined && !(typeof options.retryDelayMs === "number" && options.retryDelayMs >= 0)) {
    throw new ConfigError(`LLM summarizer option retryDelayMs must be a number ≥ 0, got ${String(options.retryDelayMs)}`);
  }
  if (typeof options.fallback?.summarize !== "function") throw new ConfigError("LLM summarizer needs a fallback SceneSummarizer");
  if (options.fetch !== undefined && typeof options.fetch !== "function") throw new ConfigError("LLM summarizer option fetch must be a function");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Summarises each scene with a language model behind an OpenAI-compatible Chat Completions
 * endpoint, asking for `{ summary }` under a strict JSON schema at temperature 0. One retry on a
 * passing failure (network, timeout, 429/5xx, content that is not the JSON asked for); after that,
 * or on a failure no retry would fix, the scene gets the fallback's summary (marked `extractive`)
 * and the engine note says why. Scenes with neither transcript nor labels give a model nothing to
 * go on, so they go to the fallback without a call.
 *
 * @example
 * const summarizer = createLlmSummarizer({
 *   endpoint: "http://127.0.0.1:11434/v1", model: "llama3.2", fallback: createExtractiveSummarizer(),
 * });
 */
export function createLlmSummarizer(options: LlmSummarizerOptions): SceneSummarizer {
  validate(options);
  const base = parseEndpoint(options.endpoint);
  const url = completionsUrl(base);
  const shownEndpoint = redactEndpoint(base);
  const model = options.model.trim();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const concurrency = options.concurrency ?? 1;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const doFetch = options.fetch ?? fetch;
  const secrets = [options.apiKey, decodeURIComponent(base.password)].filter((s): s is string => !!s && s.length >= 4);

  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  // fetch refuses URLs with credentials; a user:password in the endpoint (a proxy with basic auth) becomes a header.
  else if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString("base64")}`;
  }

  /** Error text from the server may echo the request; nothing secret leaves this module. */
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join("***"), text);

  async function attempt(scene: SceneInput): Promise<{ summary: string; model?: string }> {
    const body = {
      model,
      temperature: 0,
      stream: false,
      messages: [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: JSON.stringify(sceneForModel(scene)) },
      ],
      response_format: { type: "json_schema", json_schema: { name: "scene_summary", strict: true, schema: SUMMARY_JSON_SCHEMA } },
    };
    const { completion } = await postChatCompletion({ doFetch, url, headers, body, timeoutMs, shownEndpoint, redact });
    const choice = completion.choices[0]!;
    if (choice.message.refusal) throw new LlmSummaryError(`the model refused: ${redact(choice.message.refusal).slice(0, 200)}`, { retryable: false });
    const content = choice.message.content ?? "";
    const cut = choice.finish_reason === "length" ? " (cut off at the token limit)" : "";
    let json: unknown;
    try {
      json = JSON.parse(unfence(content));
    } catch (cause) {
      throw new LlmSummaryError(`model content is not valid JSON${cut}`, { cause, retryable: true });
    }
    const parsed = SummaryContent.safeParse(json);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      throw new LlmSummaryError(`model content does not match {"summary": string, ≤ ${MAX_SUMMARY_CHARS} chars}: ${why}`, { cause: parsed.error, retryable: true });
    }
    return { summary: parsed.data.summary, ...(completion.model ? { model: completion.model } : {}) };
  }

  async function withRetry(scene: SceneInput): Promise<{ summary: string; model?: string }> {
    try {
      return await attempt(scene);
    } catch (error) {
      if (!(error instanceof LlmSummaryError) || !error.retryable) throw error;
      await sleep(error.retryAfterMs ?? retryDelayMs);
      try {
        return await attempt(scene);
      } catch (again) {
        if (again instanceof LlmSummaryError) {
          throw new LlmSummaryError(`${again.message} (after 1 retry)`, {
            cause: again, retryable: again.retryable, endpointWide: again.endpointWide, ...(again.status !== undefined ? { status: again.status } : {}),
          });
        }
        throw again;
      }
    }
  }

  return {
    async summarize(scenes: SceneInput[]) {
      const fallbackFor = fallbackPicker(options.fallback, scenes);

      const out = new Map<number, SceneSummary>();
      const reasons = new Map<string, number[]>();
      let reportedModel: string | undefined;
      let stopAll: string | undefined;
      const fellBack = async (scene: SceneInput, reason: string) => {
        reasons.set(reason, [...(reasons.get(reason) ?? []), scene.index]);
        out.set(scene.index, await fallbackFor(scene));
      };

      await forEachLimited(scenes, concurrency, async (scene) => {
        if (scene.transcript.length === 0 && scene.labels.length === 0) return fellBack(scene, "no transcript or labels to summarise");
        if (stopAll) return fellBack(scene, stopAll);
        try {
          const r = await withRetry(scene);
          reportedModel ??= r.model;
          out.set(scene.index, {
            index: scene.index,
            startMs: scene.startMs,
            endMs: scene.endMs,
            shotIndexes: scene.shotIndexes,
            summary: r.summary,
            labels: scene.labels.map((l) => l.name),
            moderation: scene.moderation,
            speakers: [...new Set(scene.transcript.map((t) => t.speaker))],
            summarizer: "llm",
          });
        } catch (error) {
          if (!(error instanceof LlmSummaryError)) throw error;
          // A wrong key or URL fails every scene alike: stop asking instead of repeating it per scene.
          if (error.endpointWide) stopAll ??= error.message;
          await fellBack(scene, error.message);
        }
      });

      const ordered = scenes.map((s) => out.get(s.index)!);
      const fallbacks = ordered.filter((s) => s.summarizer !== "llm").length;
      const engine: EngineInfo = {
        name: "openai-compatible",
        version: reportedModel ?? model,
        settings: { endpoint: shownEndpoint, model, fallbacks, timeoutMs },
      };
      if (fallbacks > 0) {
        const fallbackEngine = await fallbackFor.engine();
        const parts = [...reasons].map(([reason, idx]) => `scene${idx.length > 1 ? "s" : ""} ${idx.join(", ")}: ${reason}`);
        const shown = parts.slice(0, NOTE_REASON_LIMIT).join("; ");
        const more = parts.length > NOTE_REASON_LIMIT ? `; and ${parts.length - NOTE_REASON_LIMIT} more reasons` : "";
        engine.note = redact(
          `${fallbacks} of ${scenes.length} scene${scenes.length === 1 ? "" : "s"} fell back to the ${fallbackEngine?.name ?? "fallback"} summary — ${shown}${more}.`,
        );
      }
      return { scenes: ordered, engine };
    },
  };
}
