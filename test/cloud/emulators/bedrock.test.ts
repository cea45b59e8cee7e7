import { execFileSync } from "node:child_process";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { sceneForModel, type SceneInput } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBedrockSummarizer } from "../../../packages/functions/src/adapters/bedrock/bedrock-summarizer.js";
import { buildConverseInput, readAnswer, SUMMARY_TOOL_NAME } from "../../../packages/functions/src/adapters/bedrock/converse-protocol.js";
import { createExtractiveSummarizer } from "@media-pipeline/core";
import { startEmulatorFixture, type EmulatorFixture } from "./fixture.js";

/** Bedrock Runtime's Converse, emulated over cleartext HTTP/2, reached by the unmodified client. */
let f: EmulatorFixture;
beforeAll(async () => {
  f = await startEmulatorFixture("bedrock");
});
afterAll(async () => {
  await f?.stop();
});

const scene: SceneInput = {
  index: 3,
  startMs: 12_000,
  endMs: 19_500,
  shotIndexes: [3, 4],
  transcript: [
    { speaker: "spk_0", text: "The launch plan is ready. We ship the launch on Monday.", startMs: 12_100, endMs: 15_000 },
    { speaker: "spk_1", text: "Then the launch team meets on Friday.", startMs: 15_200, endMs: 18_000 },
  ],
  labels: [{ name: "Person", confidence: 91.4 }, { name: "Laptop", confidence: 77.2 }],
  moderation: [],
};

/** What the local extractive summarizer writes for the scene on its own (the emulator's answer). */
async function extractive(s: SceneInput): Promise<string> {
  return (await createExtractiveSummarizer().summarize([s])).scenes[0]!.summary;
}

function jpegKeyframe(): Uint8Array {
  return execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:d=1", "-frames:v", "1", "-f", "mjpeg", "pipe:1"]);
}

describe("Bedrock Runtime Converse emulator", () => {
  it("answers the summarizer's forced tool call with the extractive summary, over the client's default HTTP/2 handler", async () => {
    const client = new BedrockRuntimeClient({});
    const summarizer = createBedrockSummarizer({ client, modelId: "amazon.nova-lite-v1:0", fallback: createExtractiveSummarizer(), maxRetries: 0 });
    const { scenes, engine } = await summarizer.summarize([scene]);
    expect(scenes[0]).toMatchObject({ summarizer: "llm", summary: await extractive(scene), labels: ["Person", "Laptop"], speakers: ["spk_0", "spk_1"] });
    expect(engine.note).toBeUndefined();
    const usage = (engine.settings as { usage: { total: { inputTokens: number; outputTokens: number } } }).usage.total;
    expect(usage.inputTokens).toBeGreaterThan(50);
    expect(usage.outputTokens).toBeGreaterThan(5);
    // The default handler is the HTTP/2 one: the emulator answered it on h2c.
    expect((await client.config.requestHandler).constructor.name).toBe("NodeHttp2Handler");
  });

  it("returns the Converse response shape: tool use with stopReason tool_use, usage and metrics", async () => {
    const client = new BedrockRuntimeClient({});
    const input = buildConverseInput(scene, [], { modelId: "amazon.nova-lite-v1:0", answerMode: "tool", maxTokens: 400, temperature: 0 });
    const out = await client.send(new ConverseCommand(input));
    expect(out.stopReason).toBe("tool_use");
    const block = out.output && "message" in out.output ? out.output.message!.content![0]! : undefined;
    expect(block?.toolUse).toMatchObject({ name: SUMMARY_TOOL_NAME, input: { summary: await extractive(scene) } });
    expect(out.usage!.totalTokens).toBe(out.usage!.inputTokens! + out.usage!.outputTokens!);
    expect(out.metrics!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(readAnswer(out)).toEqual({ summary: await extractive(scene) });
  });

  it("answers JSON text in json mode, to an HTTP/1.1 client too", async () => {
    const client = new BedrockRuntimeClient({ requestHandler: new NodeHttpHandler() });
    const out = await client.send(new ConverseCommand(buildConverseInput(scene, [], { modelId: "us.amazon.nova-lite-v1:0", answerMode: "json", maxTokens: 400, temperature: 0 })));
    expect(out.stopReason).toBe("end_turn");
    expect(readAnswer(out)).toEqual({ summary: await extractive(scene) });
  });

  it("takes keyframes on a vision model and refuses them on a text-only one, which the summarizer then retries without", async () => {
    const client = new BedrockRuntimeClient({});
    const images = [jpegKeyframe()];
    const settings = { answerMode: "tool" as const, maxTokens: 400, temperature: 0 };
    const vision = await client.send(new ConverseCommand(buildConverseInput(scene, images, { ...settings, modelId: "amazon.nova-lite-v1:0" })));
    expect(readAnswer(vision)).toEqual({ summary: await extractive(scene) });
    await expect(client.send(new ConverseCommand(buildConverseInput(scene, images, { ...settings, modelId: "amazon.nova-micro-v1:0" })))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("image"),
    });
    const summarizer = createBedrockSummarizer({
      client, modelId: "amazon.nova-micro-v1:0", acceptsImages: true, keyframes: async () => images, fallback: createExtractiveSummarizer(), maxRetries: 0,
    });
    const { scenes, engine } = await summarizer.summarize([scene]);
    expect(scenes[0]!.summarizer).toBe("llm");
    expect(engine.note).toMatch(/refused the keyframes/);
  });

  it("refuses model ids as Bedrock does: malformed, unknown, or a profile-only model called on demand", async () => {
    const client = new BedrockRuntimeClient({});
    const call = (modelId: string) => client.send(new ConverseCommand({ modelId, messages: [{ role: "user", content: [{ text: JSON.stringify(sceneForModel(scene)) }] }] }));
    await expect(call("not a model")).rejects.toMatchObject({ name: "ValidationException", message: "The provided model identifier is invalid." });
    await expect(call("amazon.nova-ultra-v9:0")).rejects.toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
    await expect(call("anthropic.claude-sonnet-4-20250514-v1:0")).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("inference profile") });
    await expect(call("us.anthropic.claude-sonnet-4-20250514-v1:0")).resolves.toMatchObject({ stopReason: "end_turn" });
    await expect(call("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0")).resolves.toMatchObject({ stopReason: "end_turn" });
  });

  it("stops at maxTokens with stopReason max_tokens, which the adapter reads as a cut-off answer", async () => {
    const client = new BedrockRuntimeClient({});
    const out = await client.send(new ConverseCommand(buildConverseInput(scene, [], { modelId: "amazon.nova-lite-v1:0", answerMode: "json", maxTokens: 3, temperature: 0 })));
    expect(out.stopReason).toBe("max_tokens");
    expect(out.usage!.outputTokens).toBe(3);
    expect(readAnswer(out)).toMatchObject({ reason: expect.stringContaining("cut off at maxTokens") });
  });

  it("refuses a conversation that does not start with a user message", async () => {
    const client = new BedrockRuntimeClient({});
    await expect(
      client.send(new ConverseCommand({ modelId: "amazon.nova-lite-v1:0", messages: [{ role: "assistant", content: [{ text: "hello" }] }] })),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });
});
