import { MAX_SUMMARY_CHARS, type SceneInput } from "@media-pipeline/core";
import { createExtractiveSummarizer } from "@media-pipeline/core";
import { resolveModel, type EmulatedModel } from "./bedrock-models.js";
import { AwsServiceError, jsonBody, type Handler } from "./http.js";

/*
 * Bedrock Runtime's Converse (REST-JSON, `POST /model/{modelId}/converse`), answered by the local
 * extractive summarizer. The pipeline's summarizer sends one scene as JSON text (core's
 * `sceneForModel`), maybe keyframes as image blocks, and asks for `{"summary": ...}` through a forced
 * tool call or as JSON text; the answer comes back in the shape it asked for.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 *
 * The local summarizer weighs sentences by word frequency over the whole media; Converse sees one
 * scene per call, so here the frequencies are the scene's own.
 */

interface ContentBlock {
  text?: string;
  image?: { format?: string; source?: { bytes?: string } };
  toolUse?: unknown;
  toolResult?: unknown;
}

interface Message {
  role: string;
  content: ContentBlock[];
}

/** Converse's limit for one image (3.75 MB) and the formats it takes. */
const MAX_IMAGE_BYTES = 3_750_000;
const IMAGE_FORMATS = new Set(["png", "jpeg", "gif", "webp"]);
/** A rough token count, as models average about four characters a token; an image counts as about a thousand. */
const tokens = (text: string) => Math.ceil(text.length / 4);
const IMAGE_TOKENS = 1000;

function validationError(message: string): AwsServiceError {
  return new AwsServiceError("ValidationException", message);
}

function readMessages(body: Record<string, unknown>, model: EmulatedModel): Message[] {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw validationError("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
  messages.forEach((m: Message, i) => {
    const expected = i % 2 === 0 ? "user" : "assistant";
    if (m?.role !== expected) throw validationError("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");
    if (!Array.isArray(m.content) || m.content.length === 0) throw validationError(`The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`);
    for (const block of m.content) {
      if (!block.image) continue;
      if (!model.images) throw validationError("This model doesn't support the image content block that you provided. Try again with a supported model.");
      if (!IMAGE_FORMATS.has(block.image.format ?? "")) throw validationError(`The image format ${block.image.format} isn't supported.`);
      const bytes = Buffer.from(block.image.source?.bytes ?? "", "base64");
      if (bytes.length === 0 || bytes.length > MAX_IMAGE_BYTES) throw validationError("The provided image exceeds the maximum size of 3.75 MB or is empty.");
    }
  });
  if (messages[messages.length - 1].role !== "user") throw validationError("A conversation must end with a user message. Try again with a conversation that ends with a user message.");
  return messages as Message[];
}

/** The scene our summarizer sends (core's `sceneForModel`), or undefined for any other prompt. */
function sceneOf(text: string): SceneInput | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!json || typeof json !== "object" || !Array.isArray(json.transcript) || !Array.isArray(json.labels)) return undefined;
  const ms = (s: unknown) => Math.max(0, Math.round(Number(s ?? 0) * 1000));
  return {
    index: Number.isInteger(json.scene) ? (json.scene as number) : 0,
    startMs: ms(json.startSeconds),
    endMs: ms(json.endSeconds),
    shotIndexes: [],
    transcript: (json.transcript as Array<{ speaker?: string; text?: string }>).map((t) => ({ speaker: String(t.speaker ?? "spk_0"), text: String(t.text ?? ""), startMs: 0, endMs: 0 })),
    labels: (json.labels as Array<{ name?: string; confidence?: number }>).map((l) => ({ name: String(l.name ?? ""), confidence: Number(l.confidence ?? 0) })),
    moderation: Array.isArray(json.moderation) ? json.moderation.map(String) : [],
  };
}

/** At most MAX_SUMMARY_CHARS, cut at a sentence end where one is near. */
function bounded(summary: string): string {
  if (summary.length <= MAX_SUMMARY_CHARS) return summary;
  const head = summary.slice(0, MAX_SUMMARY_CHARS);
  const end = Math.max(head.lastIndexOf(". "), head.lastIndexOf("” "));
  return end > MAX_SUMMARY_CHARS / 2 ? head.slice(0, end + 1) : `${head.slice(0, MAX_SUMMARY_CHARS - 1)}…`;
}

export function bedrockHandler(): Handler {
  const summarizer = createExtractiveSummarizer();
  return async (request) => {
    const match = /^\/model\/([^/]+)\/converse$/.exec(request.rawPath);
    if (request.method !== "POST" || !match) {
      throw new AwsServiceError("UnknownOperationException", `No Bedrock Runtime operation at ${request.method} ${request.rawPath} (the emulator serves Converse only).`, 404);
    }
    const started = Date.now();
    const model = resolveModel(decodeURIComponent(match[1]!));
    const body = jsonBody(request, "ValidationException");
    const messages = readMessages(body, model);
    const inference = (body.inferenceConfig ?? {}) as { maxTokens?: number; temperature?: number };
    if (inference.maxTokens !== undefined && !(Number.isInteger(inference.maxTokens) && inference.maxTokens >= 1)) throw validationError("maxTokens must be a positive integer.");
    if (inference.temperature !== undefined && !(inference.temperature >= 0 && inference.temperature <= 1)) throw validationError("temperature must be between 0 and 1.");
    const toolConfig = body.toolConfig as { tools?: Array<{ toolSpec?: { name?: string } }>; toolChoice?: { tool?: { name?: string }; any?: unknown } } | undefined;
    const toolNames = (toolConfig?.tools ?? []).map((t) => t.toolSpec?.name).filter((n): n is string => Boolean(n));
    const forced = toolConfig?.toolChoice?.tool?.name;
    if (forced && !toolNames.includes(forced)) throw validationError(`The tool ${forced} named in toolChoice is not in toolConfig.tools.`);

    const last = messages[messages.length - 1]!;
    const text = last.content.map((b) => b.text ?? "").join("\n").trim();
    const scene = sceneOf(text) ?? {
      index: 0, startMs: 0, endMs: 0, shotIndexes: [], labels: [], moderation: [], transcript: [{ speaker: "user", text, startMs: 0, endMs: 0 }],
    };
    const summary = bounded((await summarizer.summarize([scene])).scenes[0]!.summary);
    const system = ((body.system as Array<{ text?: string }> | undefined) ?? []).map((s) => s.text ?? "").join(" ");
    const useTool = toolNames.length > 0 && (forced !== undefined || toolConfig?.toolChoice?.any !== undefined);
    const answer = useTool || /json/i.test(system) ? JSON.stringify({ summary }) : summary;

    const inputTokens = tokens(system) + messages.reduce((n, m) => n + m.content.reduce((k, b) => k + tokens(b.text ?? "") + (b.image ? IMAGE_TOKENS : 0), 0), 0);
    const maxTokens = inference.maxTokens ?? 4096;
    let outputTokens = tokens(answer);
    let content: unknown[];
    let stopReason: string;
    if (outputTokens > maxTokens) {
      content = [{ text: answer.slice(0, maxTokens * 4) }];
      outputTokens = maxTokens;
      stopReason = "max_tokens";
    } else if (useTool) {
      const name = forced ?? toolNames[0]!;
      content = [{ toolUse: { toolUseId: `tooluse_${Math.random().toString(36).slice(2, 24)}`, name, input: { summary } } }];
      stopReason = "tool_use";
    } else {
      content = [{ text: answer }];
      stopReason = "end_turn";
    }
    return {
      status: 200,
      body: {
        output: { message: { role: "assistant", content } },
        stopReason,
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        metrics: { latencyMs: Date.now() - started },
      },
    };
  };
}
