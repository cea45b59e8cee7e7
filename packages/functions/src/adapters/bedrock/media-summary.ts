import { ConverseCommand, type ConverseCommandInput, type ConverseCommandOutput, type ToolInputSchema } from "@aws-sdk/client-bedrock-runtime";
import { forEachLimited,
  CHAPTER_JSON_SCHEMA, CHAPTER_SYSTEM_PROMPT, chapterForModel, createExtractiveMediaSummarizer, MEDIA_JSON_SCHEMA, MEDIA_SYSTEM_PROMPT,
  mediaForModel, mergeModelParts, PRICES, readChapterAnswer, readMediaAnswer, type CheckedPart, type EngineCallOptions, type EngineInfo,
  type MediaSummarizer, type MediaSummaryDocument, type MediaSummaryInput, type ModelParts,
} from "@media-pipeline/core";
import { ConfigurationError } from "../../errors.js";
import { awsErrorKind } from "../aws-errors.js";
import type { ConverseSender } from "./bedrock-summarizer.js";
import { MalformedAnswer, unfence, type AnswerMode } from "./converse-protocol.js";
import { equalJitterBackoff } from "./calls.js";

/*
 * Chapters and a whole-media summary from a Bedrock model through Converse, asked the same questions
 * as the local OpenAI-compatible media summarizer (core's chapters-for-model.ts): one call per chapter
 * for its title and summary, then one for the media's summary and topics from the chapters. Each
 * prompt is bounded (a chapter's transcript at 12,000 characters shared over its scenes, the chapter
 * list at 24,000), so a three-hour video costs more calls, never a larger one.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */

export const CHAPTER_TOOL_NAME = "record_chapter_summary";
export const MEDIA_TOOL_NAME = "record_media_summary";

/** List prices the cost estimate uses: per 1,000 tokens in and out. */
export interface TokenPrices {
  inputPer1k: number;
  outputPer1k: number;
  /** Which model and price list these are, shown beside the figure. */
  pricedAs: string;
}

const DEFAULT_PRICES: TokenPrices = {
  inputPer1k: PRICES.bedrockInputPer1k,
  outputPer1k: PRICES.bedrockOutputPer1k,
  pricedAs: `Amazon Nova Lite on demand, list prices ${PRICES.asOf}`,
};

export interface BedrockMediaSummarizerOptions {
  client: ConverseSender;
  /** A base model id, an inference profile id or an ARN. */
  modelId: string;
  /** Retries of a throttled or unavailable call, with exponential backoff, before that part falls back. */
  maxRetries: number;
  /** Default `tool` (a forced tool call); `json` asks for JSON text, for models without toolChoice. */
  answerMode?: AnswerMode;
  /** Default 600: a title and three sentences, with room to spare. */
  maxTokens?: number;
  /** Default 0. */
  temperature?: number;
  /** Chapter calls in flight at once (default 2; Bedrock quotas are per minute). */
  concurrency?: number;
  /** First backoff delay (default 1000 ms), doubled per retry up to `maxDelayMs` (default 20 000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Finds the chapters and writes what the model cannot (default: core's extractive media summarizer). */
  extractive?: MediaSummarizer;
  /** For the cost estimate in the engine's settings (default: PRICES, the stacks' default model). */
  prices?: TokenPrices;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const OPTION_KEYS = new Set([
  "client", "modelId", "maxRetries", "answerMode", "maxTokens", "temperature", "concurrency", "baseDelayMs", "maxDelayMs", "extractive",
  "prices", "sleep", "random",
]);
const ENDPOINT_WIDE = new Set(["AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException"]);

function validate(o: BedrockMediaSummarizerOptions): void {
  const issues: string[] = [];
  const unknown = Object.keys(o).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) issues.push(`unknown option(s): ${unknown.join(", ")}`);
  if (typeof o.client?.send !== "function") issues.push("client must have send()");
  if (typeof o.modelId !== "string" || o.modelId.trim() === "") issues.push("modelId is required");
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0 || o.maxRetries > 10) issues.push("maxRetries must be an integer 0–10");
  if (o.answerMode !== undefined && o.answerMode !== "tool" && o.answerMode !== "json") issues.push('answerMode must be "tool" or "json"');
  for (const k of ["maxTokens", "concurrency"] as const) {
    if (o[k] !== undefined && !(Number.isInteger(o[k]) && o[k]! > 0)) issues.push(`${k} must be a positive integer`);
  }
  for (const k of ["temperature", "baseDelayMs", "maxDelayMs"] as const) {
    if (o[k] !== undefined && !(typeof o[k] === "number" && o[k]! >= 0)) issues.push(`${k} must be a number ≥ 0`);
  }
  if (o.extractive !== undefined && typeof o.extractive.summarize !== "function") issues.push("extractive must be a MediaSummarizer");
  if (o.prices !== undefined && !(o.prices.inputPer1k >= 0 && o.prices.outputPer1k >= 0 && typeof o.prices.pricedAs === "string")) {
    issues.push("prices needs inputPer1k ≥ 0, outputPer1k ≥ 0 and pricedAs");
  }
  if (issues.length) throw new ConfigurationError(`Invalid Bedrock media summarizer options: ${issues.join("; ")}`, issues);
}

/** Reads the JSON answer: the named tool's input when present, else the text blocks as JSON. */
export function readConverseJson(output: ConverseCommandOutput, toolName: string): { json: unknown } | MalformedAnswer {
  const stop = output.stopReason;
  if (stop === "content_filtered" || stop === "guardrail_intervened") return new MalformedAnswer(`the model stopped with ${stop}`, false);
  const blocks = output.output && "message" in output.output ? (output.output.message?.content ?? []) : [];
  const cut = stop === "max_tokens" ? " (cut off at maxTokens)" : "";
  const tool = blocks.find((b) => b.toolUse?.name === toolName)?.toolUse;
  if (tool) return { json: tool.input };
  const text = blocks.map((b) => b.text ?? "").join("").trim();
  if (!text) return new MalformedAnswer(`the answer had no ${toolName} tool call and no text${cut}`, true);
  try {
    return { json: JSON.parse(unfence(text)) };
  } catch {
    return new MalformedAnswer(`the answer text is not valid JSON${cut}`, true);
  }
}

interface PartUsage { part: string; inputTokens: number; outputTokens: number; calls: number }

/**
 * The cloud's media summarizer: the extractive chapters (deterministic), worded by a Bedrock model
 * chapter by chapter, then the whole media from those chapters. A part the model answers wrongly
 * (not JSON, a field missing or too long) is asked once more, then keeps the extractive text, and
 * the engine note names it; throttling and unavailability are retried with backoff up to
 * `maxRetries`; an access or model-id error stops the calls for the rest. Token usage of every call,
 * failed ones included (they are billed), and its estimated cost are in `engine.settings`.
 * @example
 * const summarizer = createBedrockMediaSummarizer({ client: new BedrockRuntimeClient({}), modelId: "amazon.nova-lite-v1:0", maxRetries: 3 });
 */
export function createBedrockMediaSummarizer(options: BedrockMediaSummarizerOptions): MediaSummarizer {
  validate(options);
  const modelId = options.modelId.trim();
  const answerMode = options.answerMode ?? "tool";
  const maxTokens = options.maxTokens ?? 600;
  const temperature = options.temperature ?? 0;
  const concurrency = options.concurrency ?? 2;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const prices = options.prices ?? DEFAULT_PRICES;
  const extractive = options.extractive ?? createExtractiveMediaSummarizer();
  const backoff = equalJitterBackoff(baseDelayMs, maxDelayMs, options.random ?? Math.random);

  function request(system: string, user: unknown, toolName: string, schema: object, description: string): ConverseCommandInput {
    const instruction = answerMode === "tool" ? `Record the answer by calling the ${toolName} tool.` : "Answer with JSON only, no prose and no code fence.";
    const input: ConverseCommandInput = {
      modelId,
      system: [{ text: `${system} ${instruction}` }],
      messages: [{ role: "user", content: [{ text: JSON.stringify(user) }] }],
      inferenceConfig: { maxTokens, temperature },
    };
    if (answerMode === "tool") {
      input.toolConfig = {
        tools: [{ toolSpec: { name: toolName, description, inputSchema: { json: schema as ToolInputSchema.JsonMember["json"] } } }],
        toolChoice: { tool: { name: toolName } },
      };
    }
    return input;
  }

  /** One part: calls until its fields are right or the retries are spent; never throws for a model's failure. */
  async function part<T extends Record<string, CheckedPart<unknown>>>(
    input: ConverseCommandInput, toolName: string, read: (json: unknown) => T, failAll: (reason: string) => T, usage: PartUsage,
  ): Promise<{ result: T; endpointWide?: boolean }> {
    let transient = 0;
    let malformed = 0;
    let best: T | undefined;
    const keep = (next: T): T => (best ? (Object.fromEntries(Object.keys(next).map((k) => [k, best![k]!.ok ? best![k] : next[k]])) as T) : next);
    for (;;) {
      let output: ConverseCommandOutput;
      try {
        usage.calls += 1;
        output = await options.client.send(new ConverseCommand(input));
      } catch (error) {
        const name = (error as { name?: string }).name ?? "";
        const kind = awsErrorKind(error);
        const message = `${name}: ${(error as Error).message}`;
        if (kind === "throttling" || kind === "transient") {
          if (transient < options.maxRetries) {
            await sleep(backoff(transient++));
            continue;
          }
          return { result: keep(failAll(`${message} (after ${transient} retr${transient === 1 ? "y" : "ies"})`)) };
        }
        if (name === "ModelErrorException" && malformed < 1) {
          malformed += 1;
          continue;
        }
        if (ENDPOINT_WIDE.has(name)) return { result: keep(failAll(message)), endpointWide: true };
        if (kind === "refused") return { result: keep(failAll(message)) };
        throw error; // not an AWS answer (a bug, a network fault past the SDK's retries): let the stage retry
      }
      usage.inputTokens += output.usage?.inputTokens ?? 0;
      usage.outputTokens += output.usage?.outputTokens ?? 0;
      const answer = readConverseJson(output, toolName);
      const result = keep(answer instanceof MalformedAnswer ? failAll(malformed ? `${answer.reason} (after 1 retry)` : answer.reason) : read(answer.json));
      best = result;
      const retry = answer instanceof MalformedAnswer ? answer.retry : Object.values(result).some((c) => !c.ok);
      if (!retry || malformed >= 1) return { result };
      malformed += 1;
    }
  }

  return {
    async summarize(input: MediaSummaryInput, callOptions?: EngineCallOptions): Promise<MediaSummaryDocument> {
      const extracted = await extractive.summarize(input, callOptions);
      const fail = (reason: string) => ({ title: { ok: false, reason } as const, summary: { ok: false, reason } as const });
      const failMedia = (reason: string) => ({ summary: { ok: false, reason } as const, topics: { ok: false, reason } as const });
      const chapters: ModelParts["chapters"] = extracted.chapters.map(() => fail("not asked"));
      const usages: PartUsage[] = extracted.chapters.map((c) => ({ part: `chapter ${c.index}`, inputTokens: 0, outputTokens: 0, calls: 0 }));
      let stopAll: string | undefined;

      await forEachLimited(extracted.chapters, concurrency, async (chapter, i) => {
        const shown = chapterForModel(chapter, input) as { transcript: unknown[]; labels: unknown[]; onScreenText: unknown[] };
        if (!shown.transcript.length && !shown.labels.length && !shown.onScreenText.length) chapters[i] = fail("nothing said or shown to summarise");
        else if (stopAll) chapters[i] = fail(stopAll);
        else {
          const req = request(CHAPTER_SYSTEM_PROMPT, shown, CHAPTER_TOOL_NAME, CHAPTER_JSON_SCHEMA, "Records the title and summary of one chapter.");
          const r = await part(req, CHAPTER_TOOL_NAME, readChapterAnswer, fail, usages[i]!);
          chapters[i] = r.result;
          if (r.endpointWide && !r.result.title.ok) stopAll ??= r.result.title.reason;
        }
        if (callOptions?.signal?.aborted) throw callOptions.signal.reason;
      });

      const mediaUsage: PartUsage = { part: "media", inputTokens: 0, outputTokens: 0, calls: 0 };
      let media: ModelParts["media"];
      if (!extracted.chapters.length) media = failMedia("no chapters to summarise");
      else if (stopAll) media = failMedia(stopAll);
      else {
        // The model reads the chapters as they will be published: its own titles and summaries where it wrote them.
        const draft = mergeModelParts(extracted, { chapters, media: failMedia("not yet") }).doc;
        const req = request(MEDIA_SYSTEM_PROMPT, mediaForModel(draft, input.durationMs), MEDIA_TOOL_NAME, MEDIA_JSON_SCHEMA, "Records the summary and key topics of the whole recording.");
        media = (await part(req, MEDIA_TOOL_NAME, readMediaAnswer, failMedia, mediaUsage)).result;
      }

      const merged = mergeModelParts(extracted, { chapters, media });
      const parts = [...usages, mediaUsage];
      const total = parts.reduce((t, u) => ({ inputTokens: t.inputTokens + u.inputTokens, outputTokens: t.outputTokens + u.outputTokens, calls: t.calls + u.calls }), {
        inputTokens: 0, outputTokens: 0, calls: 0,
      });
      const usd = (total.inputTokens / 1000) * prices.inputPer1k + (total.outputTokens / 1000) * prices.outputPer1k;
      const engine: EngineInfo = {
        name: "amazon-bedrock-converse",
        version: modelId,
        settings: {
          modelId, answerMode, maxTokens, temperature, maxRetries: options.maxRetries, fallbacks: merged.fallbacks,
          // The chapters themselves are the extractive segmentation's, whatever the model wrote.
          chapters: `${extracted.engine.name} ${extracted.engine.version}`,
          usage: { total, parts },
          cost: { estimatedUsd: Math.round(usd * 1e6) / 1e6, pricedAs: prices.pricedAs },
        },
      };
      if (merged.note) engine.note = merged.note;
      return { ...merged.doc, engine };
    },
  };
}
