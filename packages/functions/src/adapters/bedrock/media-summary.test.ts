import {
  AccessDeniedException, BedrockRuntimeClient, ConverseCommand, ThrottlingException, type ConverseCommandInput, type ConverseCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";
import {
  CHAPTER_JSON_SCHEMA, CHAPTER_SYSTEM_PROMPT, MAX_CHAPTER_TRANSCRIPT_CHARS, MAX_MEDIA_PROMPT_CHARS, MEDIA_JSON_SCHEMA, MediaSummaryDocument,
  PRICES, type MediaSummarizer, type MediaSummaryInput,
} from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { CHAPTER_TOOL_NAME, createBedrockMediaSummarizer, MEDIA_TOOL_NAME, type BedrockMediaSummarizerOptions } from "./media-summary.js";

const MODEL = "amazon.nova-lite-v1:0";
const bedrock = mockClient(BedrockRuntimeClient);

const line = (text: string, startMs: number) => ({ speaker: "spk_0", text, startMs, endMs: startMs + 3000 });
const INPUT: MediaSummaryInput = {
  durationMs: 30_000,
  scenes: [
    { index: 0, startMs: 0, endMs: 10_000, summary: "", transcript: [line("Lava comes out of the volcano.", 0)], labels: ["Mountain"], text: [] },
    { index: 1, startMs: 10_000, endMs: 20_000, summary: "", transcript: [line("The moon pulls the tides.", 10_000)], labels: ["Sea"], text: ["Tides"] },
    { index: 2, startMs: 20_000, endMs: 30_000, summary: "", transcript: [], labels: [], text: [] },
  ],
};

/** Three fixed chapters (the last silent), standing in for the extractive segmentation. */
const EXTRACTIVE: MediaSummaryDocument = {
  summary: "Lava comes out of the volcano. The moon pulls the tides.",
  topics: ["volcano", "tides"],
  chapters: [
    { index: 0, startMs: 0, endMs: 10_000, title: "Volcano and lava", summary: "Lava comes out of the volcano.", sceneIndexes: [0], topics: ["volcano"] },
    { index: 1, startMs: 10_000, endMs: 20_000, title: "Tides", summary: "The moon pulls the tides.", sceneIndexes: [1], topics: ["tides"] },
    { index: 2, startMs: 20_000, endMs: 30_000, title: "Part at 0:20", summary: "Nothing was said or shown here that could be summarised.", sceneIndexes: [2], topics: [] },
  ],
  method: "extractive",
  engine: { name: "extractive-chapters", version: "1.0.0" },
};
const extractive: MediaSummarizer = { summarize: async () => structuredClone(EXTRACTIVE) };

/** A Converse answer: the forced tool called with `input`, as Nova and Claude answer. */
function toolAnswer(name: string, input: unknown, tokens = { inputTokens: 900, outputTokens: 60 }): ConverseCommandOutput {
  return {
    output: { message: { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name, input: input as never } }] } },
    stopReason: "tool_use",
    usage: { ...tokens, totalTokens: tokens.inputTokens + tokens.outputTokens },
    metrics: { latencyMs: 800 },
    $metadata: {},
  };
}

const userJson = (input: ConverseCommandInput) => JSON.parse(input.messages![0]!.content![0]!.text!) as Record<string, unknown>;
const isMedia = (input: ConverseCommandInput) => input.toolConfig?.toolChoice && "tool" in input.toolConfig.toolChoice && input.toolConfig.toolChoice.tool?.name === MEDIA_TOOL_NAME;
const goodAnswer = (input: ConverseCommandInput) =>
  isMedia(input)
    ? toolAnswer(MEDIA_TOOL_NAME, { summary: "A talk about volcanoes and tides.", topics: ["volcanoes", "tides"] })
    : toolAnswer(CHAPTER_TOOL_NAME, { title: `Model title ${userJson(input).chapter}`, summary: `Model summary ${userJson(input).chapter}.` });

const delays: number[] = [];
function make(over: Partial<BedrockMediaSummarizerOptions> = {}) {
  return createBedrockMediaSummarizer({
    client: new BedrockRuntimeClient({ region: "us-east-1" }), modelId: MODEL, maxRetries: 3, concurrency: 1, extractive,
    sleep: async (ms) => void delays.push(ms), random: () => 1,
    ...over,
  });
}

beforeEach(() => {
  bedrock.reset();
  delays.length = 0;
});

describe("createBedrockMediaSummarizer", () => {
  it("asks Converse for each chapter's title and summary through a forced tool, then the whole media's, and records tokens and cost", async () => {
    bedrock.on(ConverseCommand).callsFake(goodAnswer);
    const doc = MediaSummaryDocument.parse(await make().summarize(INPUT));

    expect(doc.method).toBe("llm");
    expect(doc.chapters.map((c) => [c.title, c.summary, c.sceneIndexes])).toEqual([
      ["Model title 0", "Model summary 0.", [0]],
      ["Model title 1", "Model summary 1.", [1]],
      ["Part at 0:20", EXTRACTIVE.chapters[2]!.summary, [2]],
    ]);
    expect(doc).toMatchObject({ summary: "A talk about volcanoes and tides.", topics: ["volcanoes", "tides"] });
    expect(doc.engine.note).toMatch(/^2 of 8 parts kept the extractive text .* chapter 2 title, chapter 2 summary: nothing said or shown to summarise\.$/);

    // The silent chapter is not worth a call: two chapter calls, one media call.
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 3);
    const first = bedrock.commandCalls(ConverseCommand)[0]!.args[0].input;
    expect(first).toStrictEqual({
      modelId: MODEL,
      system: [{ text: `${CHAPTER_SYSTEM_PROMPT} Record the answer by calling the ${CHAPTER_TOOL_NAME} tool.` }],
      messages: [{
        role: "user",
        content: [{ text: JSON.stringify({ chapter: 0, startSeconds: 0, endSeconds: 10, transcript: [{ speaker: "spk_0", text: "Lava comes out of the volcano." }], labels: [{ name: "Mountain" }], onScreenText: [] }) }],
      }],
      inferenceConfig: { maxTokens: 600, temperature: 0 },
      toolConfig: {
        tools: [{ toolSpec: { name: CHAPTER_TOOL_NAME, description: "Records the title and summary of one chapter.", inputSchema: { json: CHAPTER_JSON_SCHEMA } } }],
        toolChoice: { tool: { name: CHAPTER_TOOL_NAME } },
      },
    });
    const media = bedrock.commandCalls(ConverseCommand)[2]!.args[0].input;
    expect(media.toolConfig?.tools?.[0]?.toolSpec?.inputSchema).toEqual({ json: MEDIA_JSON_SCHEMA });
    expect(userJson(media)).toMatchObject({ durationSeconds: 30, chapters: [{ title: "Model title 0" }, { title: "Model title 1" }, { title: "Part at 0:20" }] });

    const usd = (2700 / 1000) * PRICES.bedrockInputPer1k + (180 / 1000) * PRICES.bedrockOutputPer1k;
    expect(doc.engine).toMatchObject({ name: "amazon-bedrock-converse", version: MODEL });
    expect(doc.engine.settings).toMatchObject({
      answerMode: "tool", fallbacks: 2, chapters: "extractive-chapters 1.0.0",
      usage: {
        total: { inputTokens: 2700, outputTokens: 180, calls: 3 },
        parts: [
          { part: "chapter 0", inputTokens: 900, outputTokens: 60, calls: 1 },
          { part: "chapter 1", inputTokens: 900, outputTokens: 60, calls: 1 },
          { part: "chapter 2", inputTokens: 0, outputTokens: 0, calls: 0 },
          { part: "media", inputTokens: 900, outputTokens: 60, calls: 1 },
        ],
      },
      cost: { estimatedUsd: Math.round(usd * 1e6) / 1e6, pricedAs: expect.stringContaining("Nova Lite") },
    });
  });

  it("asks a part again once when a field is missing, then keeps the model's good fields and the extractive text for the rest", async () => {
    bedrock.on(ConverseCommand).callsFake((input: ConverseCommandInput) =>
      isMedia(input) ? goodAnswer(input) : toolAnswer(CHAPTER_TOOL_NAME, { summary: `Only a summary ${userJson(input).chapter}.` }),
    );
    const doc = await make().summarize(INPUT);
    expect(doc.chapters.slice(0, 2).map((c) => [c.title, c.summary])).toEqual([
      ["Volcano and lava", "Only a summary 0."],
      ["Tides", "Only a summary 1."],
    ]);
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 5);
    expect(doc.engine.note).toContain("chapter 0 title, chapter 1 title: title is missing");
    // Every call is billed, retries included.
    expect((doc.engine.settings as { usage: { total: { calls: number; inputTokens: number } } }).usage.total).toEqual({ calls: 5, inputTokens: 4500, outputTokens: 300 });
  });

  it("keeps the extractive text of a part whose answer is not JSON after one retry, and reads a fenced JSON answer in json mode", async () => {
    const text = (t: string): ConverseCommandOutput => ({
      output: { message: { role: "assistant", content: [{ text: t }] } }, stopReason: "end_turn", usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 }, $metadata: {},
    });
    bedrock.on(ConverseCommand).callsFake((input: ConverseCommandInput) => {
      if (isMedia(input) || input.system![0]!.text!.startsWith("You summarise a whole")) return text('```json\n{"summary": "Volcanoes, then tides.", "topics": ["volcanoes"]}\n```');
      return userJson(input).chapter === 0 ? text("Sure! The chapter is about lava.") : text('{"title": "Tides", "summary": "The moon and the sea."}');
    });
    const doc = await make({ answerMode: "json" }).summarize(INPUT);
    expect(bedrock.commandCalls(ConverseCommand)[0]!.args[0].input.toolConfig).toBeUndefined();
    expect(doc.chapters[0]).toMatchObject({ title: "Volcano and lava", summary: "Lava comes out of the volcano." });
    expect(doc.chapters[1]).toMatchObject({ title: "Tides", summary: "The moon and the sea." });
    expect(doc).toMatchObject({ summary: "Volcanoes, then tides.", topics: ["volcanoes"], method: "llm" });
    expect(doc.engine.note).toContain("chapter 0 title, chapter 0 summary: the answer text is not valid JSON (after 1 retry)");
  });

  it("backs off on throttling, and keeps the extractive text of a part once throttling outlasts maxRetries", async () => {
    const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: {} });
    bedrock.on(ConverseCommand).rejectsOnce(throttled).callsFake(goodAnswer);
    expect((await make().summarize(INPUT)).chapters[0]!.title).toBe("Model title 0");
    expect(delays).toEqual([1000]);

    bedrock.reset();
    delays.length = 0;
    bedrock.on(ConverseCommand).rejects(throttled);
    const doc = await make({ maxRetries: 2 }).summarize(INPUT);
    expect(delays).toEqual([1000, 2000, 1000, 2000, 1000, 2000]);
    expect(doc.method).toBe("extractive");
    expect(doc.engine.note).toContain("ThrottlingException: Rate exceeded (after 2 retries)");
  });

  it("stops calling after access is denied: every part keeps the extractive text", async () => {
    bedrock.on(ConverseCommand).rejects(new AccessDeniedException({ message: "You don't have access to the model", $metadata: {} }));
    const doc = await make().summarize(INPUT);
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
    expect({ ...doc, engine: undefined }).toEqual({ ...EXTRACTIVE, engine: undefined });
    expect(doc.engine.note).toMatch(/^8 of 8 parts .*AccessDeniedException/);
  });

  it("lets an error that is not an AWS answer through, so that the stage retries", async () => {
    bedrock.on(ConverseCommand).rejects(new TypeError("bug"));
    await expect(make().summarize(INPUT)).rejects.toThrow("bug");
  });

  it("keeps every prompt of a long media bounded: one call per chapter, the chapter list cut to fit", async () => {
    bedrock.on(ConverseCommand).callsFake(goodAnswer);
    const talk = "and then the speaker keeps talking about the same thing for a very long time ".repeat(40);
    const scenes: MediaSummaryInput["scenes"] = Array.from({ length: 240 }, (_, i) => ({
      index: i, startMs: i * 45_000, endMs: (i + 1) * 45_000, summary: "", labels: ["Person"], text: [],
      transcript: [0, 1, 2].map((j) => line(`${i}.${j} ${talk}`, i * 45_000 + j * 15_000)),
    }));
    const chapters = Array.from({ length: 60 }, (_, k) => ({
      index: k, startMs: k * 180_000, endMs: (k + 1) * 180_000, title: `Part ${k}`, summary: "x".repeat(590), sceneIndexes: [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3], topics: ["talk"],
    }));
    const long: MediaSummarizer = { summarize: async () => ({ ...EXTRACTIVE, chapters }) };
    const doc = await make({ extractive: long, concurrency: 4 }).summarize({ durationMs: 240 * 45_000, scenes });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 61);
    for (const call of bedrock.commandCalls(ConverseCommand)) {
      const sent = call.args[0].input.messages![0]!.content![0]!.text!;
      expect(sent.length).toBeLessThan((isMedia(call.args[0].input) ? MAX_MEDIA_PROMPT_CHARS : MAX_CHAPTER_TRANSCRIPT_CHARS) + 4000);
    }
    expect(doc.chapters.every((c, k) => c.title === `Model title ${k}`)).toBe(true);
  });

  it("refuses misspelled or out-of-range options", () => {
    expect(() => make({ modelID: "x" } as never)).toThrow(/unknown option\(s\): modelID/);
    expect(() => make({ maxRetries: 11 })).toThrow(/maxRetries/);
    expect(() => make({ prices: { inputPer1k: -1, outputPer1k: 0, pricedAs: "x" } })).toThrow(/prices/);
  });
});
