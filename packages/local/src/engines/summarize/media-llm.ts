import { forEachLimited,
  CHAPTER_JSON_SCHEMA, CHAPTER_SYSTEM_PROMPT, chapterForModel, createExtractiveMediaSummarizer, MEDIA_JSON_SCHEMA, MEDIA_SYSTEM_PROMPT,
  mediaForModel, mergeModelParts, readChapterAnswer, readMediaAnswer, type CheckedPart, type EngineCallOptions, type EngineInfo,
  type MediaSummarizer, type MediaSummaryDocument, type MediaSummaryInput, type ModelParts,
} from "@media-pipeline/core";
import { ConfigError } from "../../runtime/config.js";
import { LlmSummaryError, postChatCompletion } from "./llm.js";
import { completionsUrl, parseEndpoint, redactEndpoint, unfence } from "./llm-protocol.js";

export interface LlmMediaSummarizerOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended. */
  endpoint: string;
  /** Model name as the server knows it. */
  model: string;
  /** Sent as `Authorization: Bearer`; never logged or stored in results. */
  apiKey?: string;
  /** For tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Per request, including reading the body (default 120 000: a chapter is a longer read than a scene). */
  timeoutMs?: number;
  /** Chapter requests in flight at once (default 1: a local server usually has one slot). */
  concurrency?: number;
  /** Wait before the single retry (default 500). */
  retryDelayMs?: number;
  /** Finds the chapters and writes whatever the model cannot (default: core's extractive media summarizer). */
  extractive?: MediaSummarizer;
}

const OPTION_KEYS = new Set(["endpoint", "model", "apiKey", "fetch", "timeoutMs", "concurrency", "retryDelayMs", "extractive"]);

function validate(o: LlmMediaSummarizerOptions): void {
  const unknown = Object.keys(o).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) throw new ConfigError(`Unknown LLM media summarizer option(s): ${unknown.join(", ")}`);
  if (typeof o.model !== "string" || o.model.trim() === "") {
    throw new ConfigError("LLM media summarizer needs a model name (--llm-model or MEDIA_PIPELINE_LLM_MODEL)");
  }
  for (const [name, v, int] of [["timeoutMs", o.timeoutMs, false], ["concurrency", o.concurrency, true]] as const) {
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0 && (!int || Number.isInteger(v)))) {
      throw new ConfigError(`LLM media summarizer option ${name} must be a positive ${int ? "integer" : "number"}, got ${String(v)}`);
    }
  }
  if (o.retryDelayMs !== undefined && !(typeof o.retryDelayMs === "number" && o.retryDelayMs >= 0)) {
    throw new ConfigError(`LLM media summarizer option retryDelayMs must be a number ≥ 0, got ${String(o.retryDelayMs)}`);
  }
  if (o.extractive !== undefined && typeof o.extractive.summarize !== "function") throw new ConfigError("LLM media summarizer option extractive must be a MediaSummarizer");
  if (o.fetch !== undefined && typeof o.fetch !== "function") throw new ConfigError("LLM media summarizer option fetch must be a function");
}

const failed = (reason: string): CheckedPart<never> => ({ ok: false, reason });

/** Per field, the first answer that got it right. */
function better<T extends Record<string, CheckedPart<unknown>>>(a: T | undefined, b: T): T {
  if (!a) return b;
  return Object.fromEntries(Object.keys(b).map((k) => [k, a[k]!.ok ? a[k] : b[k]])) as T;
}

/**
 * Chapters and a summary of the whole media from a language model behind an OpenAI-compatible Chat
 * Completions endpoint (Ollama, llama-server, vLLM, LM Studio, OpenAI). The chapters are the
 * extractive summarizer's (TextTiling over scenes: deterministic, and measured); the model is asked,
 * one chapter at a time under a strict JSON schema at temperature 0, for each chapter's title and
 * summary, then once for the whole media's summary and topics from those chapters. A field the model
 * gets wrong (missing, empty, too long) is asked again once, then keeps the extractive text, and the
 * engine note says which parts and why; a wrong key or URL stops the calls for the rest.
 *
 * @example
 * const summarizer = createLlmMediaSummarizer({ endpoint: "http://127.0.0.1:11434/v1", model: "llama3.2" });
 */
export function createLlmMediaSummarizer(options: LlmMediaSummarizerOptions): MediaSummarizer {
  validate(options);
  const base = parseEndpoint(options.endpoint);
  const url = completionsUrl(base);
  const shownEndpoint = redactEndpoint(base);
  const model = options.model.trim();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const concurrency = options.concurrency ?? 1;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const doFetch = options.fetch ?? fetch;
  const extractive = options.extractive ?? createExtractiveMediaSummarizer();
  const secrets = [options.apiKey, decodeURIComponent(base.password)].filter((s): s is string => !!s && s.length >= 4);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  else if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString("base64")}`;
  }
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join("***"), text);

  interface Usage { calls: number; promptTokens: number; completionTokens: number; model?: string }

  /** One chat call answering JSON; the parsed content, or an LlmSummaryError saying why not. */
  async function ask(system: string, user: unknown, name: string, schema: object, usage: Usage, signal?: AbortSignal): Promise<unknown> {
    const body = {
      model, temperature: 0, stream: false,
      messages: [{ role: "system", content: system }, { role: "user", content: JSON.stringify(user) }],
      response_format: { type: "json_schema", json_schema: { name, strict: true, schema } },
    };
    usage.calls += 1;
    const { completion: answer, raw } = await postChatCompletion({ doFetch, url, headers, body, timeoutMs, shownEndpoint, redact, ...(signal ? { signal } : {}) });
    // Usage is not part of every server's answer; count what is there.
    const u = (raw as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
    if (typeof u?.prompt_tokens === "number") usage.promptTokens += u.prompt_tokens;
    if (typeof u?.completion_tokens === "number") usage.completionTokens += u.completion_tokens;
    usage.model ??= answer.model;
    const choice = answer.choices[0]!;
    if (choice.message.refusal) throw new LlmSummaryError(`the model refused: ${redact(choice.message.refusal).slice(0, 200)}`, { retryable: false });
    const cut = choice.finish_reason === "length" ? " (cut off at the token limit)" : "";
    try {
      return JSON.parse(unfence(choice.message.content ?? ""));
    } catch (cause) {
      throw new LlmSummaryError(`model content is not valid JSON${cut}`, { cause, retryable: true });
    }
  }

  /** Asks, reads the fields, asks once more if a field or the call failed in a way a retry may fix. */
  async function part<T extends Record<string, CheckedPart<unknown>>>(
    call: () => Promise<unknown>, read: (json: unknown) => T, failAll: (reason: string) => T, signal?: AbortSignal,
  ): Promise<{ result: T; endpointWide?: string }> {
    let result: T | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, retryDelayMs));
      try {
        result = better(result, read(await call()));
        if (Object.values(result).every((c) => c.ok)) return { result };
      } catch (error) {
        if (!(error instanceof LlmSummaryError)) throw error;
        const reason = redact(attempt > 0 ? `${error.message} (after 1 retry)` : error.message);
        if (!error.retryable || attempt > 0) return { result: better(result, failAll(reason)), ...(error.endpointWide ? { endpointWide: reason } : {}) };
      }
      if (signal?.aborted) throw signal.reason;
    }
    return { result: result! };
  }

  return {
    async summarize(input: MediaSummaryInput, callOptions?: EngineCallOptions): Promise<MediaSummaryDocument> {
      const signal = callOptions?.signal;
      const extracted = await extractive.summarize(input, callOptions);
      const usage: Usage = { calls: 0, promptTokens: 0, completionTokens: 0 };
      let stopAll: string | undefined;
      const chapters: ModelParts["chapters"] = extracted.chapters.map(() => ({ title: failed("not asked"), summary: failed("not asked") }));
      const failChapter = (reason: string) => ({ title: failed(reason), summary: failed(reason) });

      await forEachLimited(extracted.chapters, concurrency, async (chapter, i) => {
        const shown = chapterForModel(chapter, input) as { transcript: unknown[]; labels: unknown[]; onScreenText: unknown[] };
        if (!shown.transcript.length && !shown.labels.length && !shown.onScreenText.length) {
          chapters[i] = failChapter("nothing said or shown to summarise");
          return;
        }
        if (stopAll) {
          chapters[i] = failChapter(stopAll);
          return;
        }
        const r = await part(() => ask(CHAPTER_SYSTEM_PROMPT, shown, "chapter_summary", CHAPTER_JSON_SCHEMA, usage, signal), readChapterAnswer, failChapter, signal);
        chapters[i] = r.result;
        if (r.endpointWide) stopAll ??= r.endpointWide;
      });

      let media: ModelParts["media"];
      const failMedia = (reason: string) => ({ summary: failed(reason), topics: failed(reason) });
      if (!extracted.chapters.length) media = failMedia("no chapters to summarise");
      else if (stopAll) media = failMedia(stopAll);
      else {
        // The model reads the chapters as they will be published: its own titles and summaries where it wrote them.
        const draft = mergeModelParts(extracted, { chapters, media: failMedia("not yet") }).doc;
        media = (await part(() => ask(MEDIA_SYSTEM_PROMPT, mediaForModel(draft, input.durationMs), "media_summary", MEDIA_JSON_SCHEMA, usage, signal), readMediaAnswer, failMedia, signal)).result;
      }

      const merged = mergeModelParts(extracted, { chapters, media });
      const engine: EngineInfo = {
        name: "openai-compatible",
        version: usage.model ?? model,
        settings: {
          endpoint: shownEndpoint, model, timeoutMs, fallbacks: merged.fallbacks,
          // The chapters themselves are the extractive segmentation's, whatever the model wrote.
          chapters: `${extracted.engine.name} ${extracted.engine.version}`,
          usage: { calls: usage.calls, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens },
        },
      };
      if (merged.note) engine.note = redact(merged.note);
      return { ...merged.doc, engine };
    },
  };
}
