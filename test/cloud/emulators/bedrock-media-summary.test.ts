import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { createExtractiveMediaSummarizer, MediaSummaryDocument, type MediaSummaryInput } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBedrockMediaSummarizer } from "../../../packages/functions/src/adapters/bedrock/media-summary.js";
import { startEmulatorFixture, type EmulatorFixture } from "./fixture.js";

/*
 * The cloud's media summarizer against the Bedrock Runtime emulator, through the unmodified client
 * (HTTP/2, endpoint from the environment as a Lambda function gets it). The emulator answers every
 * forced tool call with `{ summary }` only (it was written for scene summaries), which makes it a
 * faithful test of the per-field fallback too: each chapter gets the emulator's summary and keeps its
 * extractive title, and the engine note says so.
 */

let f: EmulatorFixture;
beforeAll(async () => {
  f = await startEmulatorFixture("bedrock-media");
});
afterAll(async () => {
  await f?.stop();
});

const TOPICS = [
  ["Lava pours out of the volcano during the eruption.", "The volcano erupted with ash and lava.", "Magma becomes lava at the surface of the volcano."],
  ["The moon pulls the ocean tides twice a day.", "High tide and low tide follow the moon.", "Spring tides come at full moon when the sun and moon line up."],
];

const INPUT: MediaSummaryInput = {
  durationMs: 120_000,
  scenes: Array.from({ length: 12 }, (_, i) => {
    const lines = TOPICS[i < 6 ? 0 : 1]!;
    return {
      index: i, startMs: i * 10_000, endMs: (i + 1) * 10_000, summary: "", labels: [i < 6 ? "Mountain" : "Sea"], text: [],
      transcript: [{ speaker: "spk_0", text: lines[i % 3]!, startMs: i * 10_000, endMs: i * 10_000 + 8000 }],
    };
  }),
};

describe("Bedrock media summarizer against the Converse emulator", () => {
  it("sends one bounded call per chapter and one for the media, records token usage and cost, and keeps extractive titles the answers lack", async () => {
    const summarizer = createBedrockMediaSummarizer({ client: new BedrockRuntimeClient({}), modelId: "amazon.nova-lite-v1:0", maxRetries: 0 });
    const doc = MediaSummaryDocument.parse(await summarizer.summarize(INPUT));
    const extractive = await createExtractiveMediaSummarizer().summarize(INPUT);

    expect(doc.chapters.map((c) => c.sceneIndexes)).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]);
    expect(doc.method).toBe("llm");
    expect(doc.chapters.map((c) => c.title)).toEqual(extractive.chapters.map((c) => c.title));
    // The emulator's summary of each chapter (its extractive scene summary of the chapter's JSON), not the media's own chapter text.
    expect(doc.chapters[0]!.summary).toMatch(/lava|volcano/i);
    expect(doc.chapters[0]!.summary).not.toBe(extractive.chapters[0]!.summary);
    expect(doc.chapters[1]!.summary).toMatch(/tide|moon/i);
    expect(doc.topics).toEqual(extractive.topics);
    expect(doc.engine.note).toContain("chapter 0 title, chapter 1 title: title is missing");
    expect(doc.engine.note).toContain("media topics: topics is missing");

    const settings = doc.engine.settings as { usage: { total: { inputTokens: number; outputTokens: number; calls: number } }; cost: { estimatedUsd: number } };
    // Each chapter asked twice (the title was missing), the media twice (no topics).
    expect(settings.usage.total.calls).toBe(6);
    expect(settings.usage.total.inputTokens).toBeGreaterThan(300);
    expect(settings.usage.total.outputTokens).toBeGreaterThan(20);
    expect(settings.cost.estimatedUsd).toBeGreaterThan(0);
  });
});
