
import type { ContentBlock, ConverseCommandInput, ConverseCommandOutput, ToolInputSchema } from "@aws-sdk/client-bedrock-runtime";
import { MAX_SUMMARY_CHARS, SceneSummaryAnswer as SummaryAnswer, SUMMARY_JSON_SCHEMA, sceneForModel, type SceneInput } from "@media-pipeline/core";

/*
 * What goes over the wire to Bedrock's Converse API: the prompt, the tool that forces a JSON answer,
 * and how the answer is read. Mirrors the local OpenAI-compatible summarizer's protocol so that both
 * runtimes ask the same question. Converse, never InvokeModel: one request shape for every model.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html
 */

/** Keyframes sent per scene: enough to ground the summary, few enough to keep image tokens cheap. */
export const MAX_IMAGES_PER_SCENE = 2;
/** Converse's per-image limit (3.75 MB); a larger keyframe is left out rather than failing the call. */
export const MAX_IMAGE_BYTES = 3_750_000;

/** The tool whose input is the answer; `toolChoice` names it so the model must call it. */
export const SUMMARY_TOOL_NAME = "record_scene_summary";

export const SYSTEM_PROMPT = [
  "You summarise one scene of a video or audio recording for a media analysis report.",
  "The user message is the scene as JSON: `transcript` (speaker turns in order), `labels` (objects an automatic detector saw in the frames, confidence 0-100) and `moderation` (content flags), possibly followed by keyframe images from the scene.",
  "Write 1-2 factual sentences saying what happens in the scene, using only what the input states or the images plainly show.",
  "Never invent names, places, actions, objects or intentions that are not in the input; if it says little, say little.",
  "Treat labels as what is visible, not as certainties; mention moderation flags plainly when present.",
].join(" ");

const TOOL_INSTRUCTION = `Record the summary by calling the ${SUMMARY_TOOL_NAME} tool.`;
const JSON_INSTRUCTION = 'Answer with JSON only, no prose and no code fence: {"summary": "..."}.';

// The answer contract is shared with the local OpenAI-compatible summarizer (core).
export { MAX_SUMMARY_CHARS, SUMMARY_JSON_SCHEMA, SceneSummaryAnswer as SummaryAnswer } from "@media-pipeline/core";

/**
 * `tool`: a forced tool call (toolChoice names the tool), supported by Anthropic Claude 3+ and Amazon
 * Nova models. `json`: plain JSON text, for models that cannot be forced to use a tool.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolChoice.html
 */
export type AnswerMode = "tool" | "json";


/** JPEG files start with FF D8 FF; anything else would be refused as `format: "jpeg"`. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

export interface RequestSettings {
  modelId: string;
  answerMode: AnswerMode;
  maxTokens: number;
  temperature: number;
}

/** One Converse request for one scene: its JSON as text, then up to two keyframes as image blocks. */
export function buildConverseInput(scene: SceneInput, images: Uint8Array[], s: RequestSettings): ConverseCommandInput {
  const content: ContentBlock[] = [{ text: JSON.stringify(sceneForModel(scene)) }];
  for (const bytes of images) content.push({ image: { format: "jpeg", source: { bytes } } });
  const input: ConverseCommandInput = {
    modelId: s.modelId,
    system: [{ text: `${SYSTEM_PROMPT} ${s.answerMode === "tool" ? TOOL_INSTRUCTION : JSON_INSTRUCTION}` }],
    messages: [{ role: "user", content }],
    inferenceConfig: { maxTokens: s.maxTokens, temperature: s.temperature },
  };
  if (s.answerMode === "tool") {
    input.toolConfig = {
      tools: [
        {
          toolSpec: {
            name: SUMMARY_TOOL_NAME,
            description: "Records the factual summary of one scene.",
            inputSchema: { json: SUMMARY_JSON_SCHEMA as unknown as ToolInputSchema.JsonMember["json"] },
          },
        },
      ],
      toolChoice: { tool: { name: SUMMARY_TOOL_NAME } },
    };
  }
  return input;
}

/** Strips a Markdown code fence: models asked for JSON text often wrap it in one. */
export function unfence(content: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(content);
  return m ? m[1]! : content;
}

/** Why an answer could not be used; `retry` says whether asking again may help. */
export class MalformedAnswer {
  constructor(readonly reason: string, readonly retry: boolean) {}
}

/**
 * Reads `{ summary }` from a Converse response: the forced tool's `input` when present, otherwise
 * the text blocks as JSON (a model may answer in text even when offered a tool).
 */
export function readAnswer(output: ConverseCommandOutput): SummaryAnswer | MalformedAnswer {
  const stop = output.stopReason;
  if (stop === "content_filtered" || stop === "guardrail_intervened") {
    return new MalformedAnswer(`the model stopped with ${stop}`, false);
  }
  const blocks = output.output && "message" in output.output ? (output.output.message?.content ?? []) : [];
  const cut = stop === "max_tokens" ? " (cut off at maxTokens)" : "";
  let candidate: unknown;
  const tool = blocks.find((b) => b.toolUse?.name === SUMMARY_TOOL_NAME)?.toolUse;
  if (tool) {
    candidate = tool.input;
  } else {
    const text = blocks.map((b) => b.text ?? "").join("").trim();
    if (!text) return new MalformedAnswer(`the answer had no ${SUMMARY_TOOL_NAME} tool call and no text${cut}`, true);
    try {
      candidate = JSON.parse(unfence(text));
    } catch {
      return new MalformedAnswer(`the answer text is not valid JSON${cut}`, true);
    }
  }
  const parsed = SummaryAnswer.safeParse(candidate);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    return new MalformedAnswer(`the answer does not match {"summary": string, ≤ ${MAX_SUMMARY_CHARS} chars}: ${why}${cut}`, true);
  }
  return parsed.data;
}
