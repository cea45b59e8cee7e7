import { describe, expect, it } from "vitest";
import { catalog, type DetailType } from "../events/catalog.js";
import { makeEvent } from "../events/envelope.js";
import { NonRetryableError } from "../errors.js";
import type { BlobStore, Publish, SceneInput, StageOutput } from "../ports.js";
import { recordReviewDecision } from "../review/record.js";
import type { EngineInfo, ObjectRef } from "../results/common.js";
import type { FrameDetections, FrameModeration, ScenesDocument, ShotsDocument } from "../results/documents.js";
import { createCompleteAnalysis, createSummarizeScenes } from "./join-stages.js";
import { MemoryStateStore } from "./memory-state-store.js";
import { labelsResult, moderationResult, transcriptResult } from "./results.js";
import { runOnce } from "./run-once.js";

/*
 * Events and state records stay within a fixed size whatever the media's length: what grows with it
 * is in the stored document the event points at.
 */

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source: ObjectRef = { bucket: "media", key: `media/${mediaId}/long.mp4` };
const env = { id: "e", time: new Date("2026-11-20T10:00:00Z"), account: "1", region: "r" };
const SMALL = 8 * 1024;
/** What EventBridge and DynamoDB count: the JSON's UTF-8 bytes. */
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const SCENES = 2000;

function harness() {
  const state = new MemoryStateStore();
  const published: Array<{ type: DetailType; detail: Record<string, unknown> }> = [];
  const publish: Publish = async (type, detail) => void published.push({ type, detail: detail as Record<string, unknown> });
  const stored = new Map<string, unknown>();
  const blobs: BlobStore = {
    putJson: async (ref, v) => void stored.set(ref.key, JSON.parse(JSON.stringify(v))),
    getJson: async <T,>(ref: { key: string }) => stored.get(ref.key) as T,
    size: async (ref) => (stored.has(ref.key) ? 1 : undefined),
  };
  return { state, publish, published, blobs, stored };
}

/** A summarizer that reports what Bedrock's does: token usage per scene and a note per troubled scene. */
const usageSummarizer = {
  async summarize(scenes: SceneInput[]) {
    const perScene = scenes.map((s) => ({ index: s.index, inputTokens: 2400 + s.index, outputTokens: 110, calls: 1 }));
    const engine: EngineInfo = {
      name: "amazon-bedrock-converse",
      version: "amazon.nova-lite-v1:0",
      settings: {
        modelId: "amazon.nova-lite-v1:0", maxTokens: 400, fallbacks: 0,
        usage: { total: { inputTokens: perScene.reduce((n, u) => n + u.inputTokens, 0), outputTokens: 110 * scenes.length }, scenes: perScene },
      },
      note: scenes.map((s) => `scene ${s.index}: keyframes could not be loaded (NoSuchKey); summarised from text`).join(" "),
    };
    return {
      engine,
      scenes: scenes.map((s) => ({
        index: s.index, startMs: s.startMs, endMs: s.endMs, shotIndexes: s.shotIndexes, summary: `Scene ${s.index}.`,
        labels: [], moderation: [], speakers: [], summarizer: "llm" as const,
      })),
    };
  },
};

/** A 100-minute video cut every 3 s: 2,000 shots, each its own scene. */
function shotsDoc(): ShotsDocument {
  const shots = Array.from({ length: SCENES }, (_, i) => ({
    index: i, startMs: i * 3000, endMs: (i + 1) * 3000, cutScore: 0.5, keyframe: { bucket: "media", key: `derived/frames/${mediaId}/${i}.jpg` },
  }));
  return { durationMs: SCENES * 3000, width: 1280, height: 720, shots, frames: [], engine: { name: "ffmpeg", version: "5.1.6" } };
}

async function seed(h: ReturnType<typeof harness>): Promise<void> {
  const plan = ["probe", "detect-shots", "detect-labels", "moderate", "summarize-scenes", "complete-analysis"] as const;
  const put = async (stage: (typeof plan)[number], name: string, doc: unknown, facts: Record<string, unknown> = {}) => {
    const ref = { bucket: "media", key: `derived/${mediaId}/${name}` };
    await h.blobs.putJson(ref, doc);
    await h.state.begin(mediaId, stage, 60_000);
    await h.state.finish(mediaId, stage, { events: [], facts: { ref, ...facts } });
  };
  const probe = { kind: "video", durationMs: SCENES * 3000, sizeBytes: 1e9, container: "mp4", hasVideo: true, hasAudio: false, streams: [], engine: { name: "ffprobe", version: "5.1.6" } };
  await put("probe", "probe.json", probe, { plan, kind: "video", durationMs: SCENES * 3000, filename: "long.mp4", source });
  await put("detect-shots", "shots.json", shotsDoc());
  // One label per shot, so no two neighbouring shots look alike and each stays a scene of its own.
  const labels = Array.from({ length: SCENES }, (_, i) => ({
    name: `Thing ${i}`, confidence: 90, meanConfidence: 90, count: 1, parents: [], instances: [],
    occurrences: [{ startMs: i * 3000 + 100, endMs: i * 3000 + 2900, confidence: 90 }],
  }));
  await put("detect-labels", "labels.json", { framesAnalyzed: SCENES, labels, engine: { name: "rekognition", version: "3" } });
  await put("moderate", "moderation.json", {
    decision: "clean", thresholds: { reviewMin: 50, flagMin: 80 }, framesAnalyzed: 0, segments: [], engine: { name: "rekognition", version: "3" },
  }, { decision: "clean" });
}

const stateOf = async (h: ReturnType<typeof harness>, stage: string): Promise<StageOutput> =>
  (await h.state.list(mediaId)).find((r) => r.stage === stage)!.output!;

describe("bounded events and state records", () => {
  it(`keeps Scenes Summarized and its state record under 8 KB for ${SCENES} scenes; the per-scene usage is in the stored document`, async () => {
    const h = harness();
    await seed(h);
    const trigger = makeEvent("Shots Detected", { ...catalog["Shots Detected"].example, mediaId, correlationId: mediaId }, env);
    await createSummarizeScenes({ ...h, summarizer: usageSummarizer })(trigger, { attempt: 1, finalAttempt: false });

    const [summarized] = h.published;
    expect(summarized).toMatchObject({ type: "Scenes Summarized", detail: { sceneCount: SCENES } });
    expect(jsonBytes(summarized!.detail)).toBeLessThan(SMALL);
    expect(catalog["Scenes Summarized"].detail.safeParse(summarized!.detail).success).toBe(true);
    expect(jsonBytes(await stateOf(h, "summarize-scenes"))).toBeLessThan(SMALL);
    // Headline figures inline: the totals stay, the per-scene list does not.
    const engine = summarized!.detail.engine as EngineInfo;
    expect(engine.settings?.usage).toEqual({ total: { inputTokens: SCENES * 2400 + (SCENES * (SCENES - 1)) / 2, outputTokens: 110 * SCENES } });
    expect(engine.note!.length).toBeLessThan(1000);

    // The stored document has every scene's usage and the whole note.
    const doc = h.stored.get(`derived/${mediaId}/scenes.json`) as ScenesDocument;
    const usage = doc.engine.settings!.usage as { scenes: Array<{ index: number; inputTokens: number }> };
    expect(usage.scenes).toHaveLength(SCENES);
    expect(usage.scenes[1999]).toEqual({ index: 1999, inputTokens: 2400 + 1999, outputTokens: 110, calls: 1 });
    expect(doc.engine.note).toContain("scene 1999: keyframes could not be loaded");

    // The report after it: Analysis Completed and its record stay small too.
    const done = makeEvent("Scenes Summarized", summarized!.detail as never, env);
    await createCompleteAnalysis({ ...h, keyframeUri: (r) => r.key, now: () => new Date("2026-11-20T10:00:00Z") })(done, { attempt: 1, finalAttempt: false });
    const completed = h.published.find((p) => p.type === "Analysis Completed")!;
    expect(jsonBytes(completed.detail)).toBeLessThan(SMALL);
    expect(jsonBytes(await stateOf(h, "complete-analysis"))).toBeLessThan(SMALL);
  });

  it("keeps Labels Detected, Transcript Ready and their records under 8 KB for 20,000 frames and 5,000 labels", async () => {
    const h = harness();
    const frames: FrameDetections[] = Array.from({ length: 20_000 }, (_, i) => ({
      timestampMs: i * 1000, detections: [{ name: `Label ${i % 5000}`, confidence: 90 }],
    }));
    const bloated: EngineInfo = { name: "x", version: "1", settings: { perFrame: frames.map((f) => f.timestampMs) }, note: "n".repeat(100_000) };
    await runOnce(h, {
      mediaId, correlationId: mediaId, stage: "detect-labels", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
      work: () => labelsResult(h.blobs, { mediaId, source, frames, engine: bloated }),
    });
    const segments = Array.from({ length: 5000 }, (_, i) => ({ speaker: `spk_${i % 3}`, startMs: i * 1000, endMs: i * 1000 + 900, text: "Words." }));
    const transcript = {
      language: "en-US", hasWords: false, notes: segments.map((s) => `note ${s.startMs}`), segments, speech: [],
      speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 1 }], speakerLabels: { speakers: 1, segments: [] }, engine: bloated, engines: [bloated],
    };
    await runOnce(h, {
      mediaId, correlationId: mediaId, stage: "transcribe", trigger: "Audio Extracted", ctx: { attempt: 1, finalAttempt: false },
      work: () => transcriptResult(h.blobs, { mediaId, audio: source, document: transcript }),
    });
    expect(h.published.map((p) => p.type)).toEqual(["Labels Detected", "Transcript Ready"]);
    for (const p of h.published) expect(jsonBytes(p.detail), p.type).toBeLessThan(SMALL);
    expect(jsonBytes(await stateOf(h, "detect-labels"))).toBeLessThan(SMALL);
    expect(jsonBytes(await stateOf(h, "transcribe"))).toBeLessThan(SMALL);
    expect((h.stored.get(`derived/${mediaId}/labels.json`) as { engine: EngineInfo }).engine).toEqual(bloated);
  });

  it("keeps Moderation Completed at its 100 segments (under 32 KB) for 5,000 flagged segments, the document holding all", async () => {
    const h = harness();
    // A frame a second, every fourth one flagged: the gaps keep 5,000 segments apart.
    const frames: FrameModeration[] = Array.from({ length: 20_000 }, (_, i) => ({
      timestampMs: i * 1000,
      frame: { bucket: "media", key: `derived/frames/${mediaId}/${i}.jpg` },
      labels: i % 4 === 0 ? [{ name: "Explicit Nudity", parent: "Explicit", confidence: 91 }] : [],
    }));
    await runOnce(h, {
      mediaId, correlationId: mediaId, stage: "moderate", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
      work: () => moderationResult(h.blobs, { reviewMin: 50, flagMin: 80 }, { mediaId, source, frames, engine: { name: "x", version: "1" } }),
    });
    const [completed] = h.published;
    expect(completed!.detail.segmentCount).toBe(5000);
    expect(completed!.detail.segments).toHaveLength(100);
    expect(jsonBytes(completed!.detail)).toBeLessThan(32 * 1024);
    expect(jsonBytes(await stateOf(h, "moderate"))).toBeLessThan(40 * 1024);
  });

  it("keeps Review Completed under 8 KB for a verdict on 10,000 segments; review.json has every answer", async () => {
    const h = harness();
    const segments = Array.from({ length: 10_000 }, (_, index) => ({ index, outcome: "wrong-category" as const, category: "Violence" }));
    const decision = { taskId: `${mediaId}-review`, verdict: "rejected" as const, reviewer: "alice", decidedAt: "2026-11-21T09:00:00.000Z", segments };
    await recordReviewDecision(h, { mediaId, source }, decision);
    const [completed] = h.published;
    expect(completed!.type).toBe("Review Completed");
    expect(jsonBytes(completed!.detail)).toBeLessThan(SMALL);
    expect(catalog["Review Completed"].detail.safeParse(completed!.detail).success).toBe(true);
    expect(completed!.detail).toMatchObject({ segmentCount: 10_000, outcome: { bucket: "media", key: `derived/${mediaId}/review.json` } });
    expect(completed!.detail.segments).toEqual(segments.slice(0, 100));
    expect((h.stored.get(`derived/${mediaId}/review.json`) as { decision: { segments: unknown[] } }).decision.segments).toHaveLength(10_000);
  });

  it("keeps a failure's record and Stage Failed small however long the error's message", async () => {
    const h = harness();
    const stderr = "ffmpeg: frame error\n".repeat(50_000);
    await runOnce(h, {
      mediaId, correlationId: mediaId, stage: "detect-shots", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
      work: async () => { throw new NonRetryableError(stderr); },
    });
    expect(jsonBytes(h.published[0]!.detail)).toBeLessThan(SMALL);
    const record = (await h.state.list(mediaId))[0]!;
    expect(record.error!.message.length).toBeLessThanOrEqual(4000);
    expect(jsonBytes(record)).toBeLessThan(2 * SMALL);
  });

  it("fails a stage whose detail would not fit an event, naming the size, instead of storing it", async () => {
    const h = harness();
    await runOnce(h, {
      mediaId, correlationId: mediaId, stage: "detect-shots", trigger: "Media Probed", ctx: { attempt: 1, finalAttempt: false },
      work: async () => ({
        emit: [{ type: "Shots Detected", detail: { shots: source, shotCount: 1, frameCount: 1, engine: { name: "x", version: "1" }, extra: "x".repeat(70_000) } as never }],
      }),
    });
    expect(h.published).toEqual([
      expect.objectContaining({
        type: "Stage Failed",
        detail: expect.objectContaining({ error: { name: "OversizeOutputError", message: expect.stringMatching(/^detect-shots produced a Shots Detected detail of \d+ bytes, over the 65536/) } }),
      }),
    ]);
  });
});
