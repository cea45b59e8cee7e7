import { readFileSync } from "node:fs";
import {
  AccessDeniedException, BedrockRuntimeClient, ConverseCommand, ThrottlingException, type ConverseCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";
import type { SceneInput, SceneSummarizer } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { createBedrockSummarizer, type BedrockSummarizerOptions } from "./bedrock-summarizer.js";
import { SUMMARY_JSON_SCHEMA, SYSTEM_PROMPT } from "./converse-protocol.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as ConverseCommandOutput;

const MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
const bedrock = mockClient(BedrockRuntimeClient);

const scene = (index: number, over: Partial<SceneInput> = {}): SceneInput => ({
  index, startMs: index * 10_000, endMs: index * 10_000 + 9_500, shotIndexes: [index],
  transcript: [{ speaker: "spk_0", text: "Let's go over the launch plan.", startMs: index * 10_000, endMs: index * 10_000 + 2_000 }],
  labels: [{ name: "Laptop", confidence: 91.4 }, { name: "Cup", confidence: 77 }],
  moderation: [],
  ...over,
});

/** The extractive summarizer's stand-in: records what it was asked. */
function fakeFallback(): SceneSummarizer & { calls: number } {
  const f = {
    calls: 0,
    async summarize(scenes: SceneInput[]) {
      f.calls += 1;
      return {
        scenes: scenes.map((s) => ({
          index: s.index, startMs: s.startMs, endMs: s.endMs, shotIndexes: s.shotIndexes, summary: `extractive ${s.index}`,
          labels: s.labels.map((l) => l.name), moderation: s.moderation, speakers: ["spk_0"], summarizer: "extractive" as const,
        })),
        engine: { name: "extractive-summarizer", version: "0.1.0" },
      };
    },
  };
  return f;
}

const jpeg = (n: number) => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, n]);
const delays: number[] = [];

function make(over: Partial<BedrockSummarizerOptions> = {}) {
  return createBedrockSummarizer({
    client: new BedrockRuntimeClient({ region: "us-east-1" }),
    modelId: MODEL, fallback: fakeFallback(), maxRetries: 3, concurrency: 1, baseDelayMs: 1000,
    sleep: async (ms) => void delays.push(ms), random: () => 1,
    ...over,
  });
}

beforeEach(() => {
  bedrock.reset();
  delays.length = 0;
});

describe("createBedrockSummarizer", () => {
  it("sends one Converse request per scene with the scene JSON, two keyframes and a forced tool", async () => {
    bedrock.on(ConverseCommand).resolves(fixture("converse-tool-use"));
    const frames = [jpeg(1), jpeg(2), jpeg(3)];
    await make({ acceptsImages: true, keyframes: async () => frames }).summarize([scene(0)]);

    const expected = {
      modelId: MODEL,
      system: [{ text: `${SYSTEM_PROMPT} Record the summary by calling the record_scene_summary tool.` }],
      messages: [
        {
          role: "user",
          content: [
            {
              text: JSON.stringify({
                scene: 0, startSeconds: 0, endSeconds: 9.5,
                transcript: [{ speaker: "spk_0", text: "Let's go over the launch plan." }],
                labels: [{ name: "Laptop", confidence: 91 }, { name: "Cup", confidence: 77 }],
                moderation: [],
              }),
            },
            { image: { format: "jpeg", source: { bytes: frames[0] } } },
            { image: { format: "jpeg", source: { bytes: frames[1] } } },
          ],
        },
      ],
      inferenceConfig: { maxTokens: 400, temperature: 0 },
      toolConfig: {
        tools: [{ toolSpec: { name: "record_scene_summary", description: "Records the factual summary of one scene.", inputSchema: { json: SUMMARY_JSON_SCHEMA } } }],
        toolChoice: { tool: { name: "record_scene_summary" } },
      },
    };
    expect(bedrock).toHaveReceivedCommandExactlyOnceWith(ConverseCommand, expected);
    // Exactly: no other fields (no additionalModelRequestFields, no third image).
    expect(bedrock.commandCalls(ConverseCommand)[0]!.args[0].input).toStrictEqual(expected);
  });

  it("marks a scene llm and records its token usage per scene and in total", async () => {
    bedrock.on(ConverseCommand).resolves(fixture("converse-tool-use"));
    const doc = await make().summarize([scene(0), scene(1)]);

    expect(doc.scenes.map((s) => [s.summarizer, s.summary])).toEqual([
      ["llm", "Two speakers discuss the quarterly launch plan at a desk with a laptop and a coffee cup."],
      ["llm", "Two speakers discuss the quarterly launch plan at a desk with a laptop and a coffee cup."],
    ]);
    expect(doc.scenes[0]).toMatchObject({ index: 0, labels: ["Laptop", "Cup"], speakers: ["spk_0"], shotIndexes: [0] });
    expect(doc.engine).toMatchObject({ name: "amazon-bedrock-converse", version: MODEL });
    expect(doc.engine.note).toBeUndefined();
    expect(doc.engine.settings).toMatchObject({
      answerMode: "tool", fallbacks: 0,
      usage: {
        total: { inputTokens: 2864, outputTokens: 116 },
        scenes: [
          { index: 0, inputTokens: 1432, outputTokens: 58, calls: 1 },
          { index: 1, inputTokens: 1432, outputTokens: 58, calls: 1 },
        ],
      },
    });
  });

  it("asks once more after a malformed answer, then falls back to the extractive summary", async () => {
    bedrock.on(ConverseCommand).resolves(fixture("converse-malformed"));
    const fallback = fakeFallback();
    const doc = await make({ fallback }).summarize([scene(0)]);

    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 2);
    expect(doc.scenes[0]).toMatchObject({ summarizer: "extractive", summary: "extractive 0" });
    expect(fallback.calls).toBe(1);
    expect(doc.engine.note).toMatch(/1 of 1 scene fell back to the extractive-summarizer summary — scene 0: the answer text is not valid JSON \(after 1 retry\)/);
    // Both calls are billed, so both count.
    expect(doc.engine.settings?.usage).toEqual({
      total: { inputTokens: 2864, outputTokens: 34 }, scenes: [{ index: 0, inputTokens: 2864, outputTokens: 34, calls: 2 }],
    });
  });

  it("uses the second answer when the retry after a malformed one is valid", async () => {
    bedrock.on(ConverseCommand).resolvesOnce(fixture("converse-malformed")).resolves(fixture("converse-tool-use"));
    const doc = await make().summarize([scene(0)]);
    expect(doc.scenes[0]!.summarizer).toBe("llm");
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 2);
  });

  it("backs off and retries a throttled call, then succeeds", async () => {
    const throttled = new ThrottlingException({ message: "Too many requests, please wait before trying again.", $metadata: {} });
    bedrock.on(ConverseCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves(fixture("converse-tool-use"));
    const doc = await make().summarize([scene(0)]);

    expect(doc.scenes[0]!.summarizer).toBe("llm");
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 3);
    expect(delays).toEqual([1000, 2000]);
  });

  it("falls back once throttling outlasts maxRetries", async () => {
    bedrock.on(ConverseCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }));
    const doc = await make({ maxRetries: 2 }).summarize([scene(0)]);
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 3);
    expect(delays).toEqual([1000, 2000]);
    expect(doc.scenes[0]!.summarizer).toBe("extractive");
    expect(doc.engine.note).toMatch(/ThrottlingException: Rate exceeded \(after 2 retries\)/);
  });

  it("omits images when the model does not accept them", async () => {
    bedrock.on(ConverseCommand).resolves(fixture("converse-tool-use"));
    let asked = 0;
    await make({ acceptsImages: false, keyframes: async () => (asked++, [jpeg(1)]) }).summarize([scene(0)]);
    const content = bedrock.commandCalls(ConverseCommand)[0]!.args[0].input.messages![0]!.content!;
    expect(content).toHaveLength(1);
    expect(content[0]).toHaveProperty("text");
    expect(asked).toBe(0);
  });

  it("asks for JSON text instead of a tool in json mode and reads a fenced answer", async () => {
    bedrock.on(ConverseCommand).resolves(fixture("converse-json-text"));
    const doc = await make({ answerMode: "json" }).summarize([scene(0)]);
    const input = bedrock.commandCalls(ConverseCommand)[0]!.args[0].input;
    expect(input.toolConfig).toBeUndefined();
    expect(input.system![0]!.text).toMatch(/Answer with JSON only/);
    expect(doc.scenes[0]).toMatchObject({ summarizer: "llm", summary: "A presenter introduces the launch plan while a laptop is visible." });
  });

  it("stops calling after access is denied and falls back for every scene", async () => {
    bedrock.on(ConverseCommand).rejects(new AccessDeniedException({ message: "You don't have access to the model", $metadata: {} }));
    const doc = await make().summarize([scene(0), scene(1), scene(2)]);
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
    expect(doc.scenes.map((s) => s.summarizer)).toEqual(["extractive", "extractive", "extractive"]);
  });

  it("refuses misspelled options", () => {
    expect(() => make({ modelID: "x" } as never)).toThrow(/unknown option\(s\): modelID/);
  });
});
