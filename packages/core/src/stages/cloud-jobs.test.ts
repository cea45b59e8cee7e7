import { describe, expect, it } from "vitest";
import { catalog } from "../events/catalog.js";
import { makeEvent } from "../events/envelope.js";
import { NonRetryableError } from "../errors.js";
import type { BlobStore, Publish } from "../ports.js";
import { createCollectLabels, createCollectTranscript, createStartTranscription, createStartVisionJob } from "./cloud-jobs.js";
import { MemoryStateStore } from "./memory-state-store.js";

const ctx = { attempt: 1, finalAttempt: false };
const env = { id: "e", time: new Date(), account: "1", region: "r" };
const probed = makeEvent("Media Probed", catalog["Media Probed"].example, env);
const { mediaId, correlationId, source } = probed.detail;
const engine = { name: "amazon-rekognition-video", version: "3.0" };

function harness() {
  const state = new MemoryStateStore();
  const published: Array<{ type: string; detail: Record<string, unknown> }> = [];
  const publish: Publish = async (type, detail) => void published.push({ type, detail: detail as Record<string, unknown> });
  const stored = new Map<string, unknown>();
  const blobs: BlobStore = {
    putJson: async (ref, v) => void stored.set(ref.key, v),
    getJson: async <T,>(ref: { key: string }) => stored.get(ref.key) as T,
    size: async () => undefined,
  };
  return { state, publish, published, blobs, stored };
}

describe("cloud job stages", () => {
  it("starts a video job once, keeps the stage running, and completes it once from its notice", async () => {
    const h = harness();
    let starts = 0;
    const start = createStartVisionJob({ ...h, stage: "detect-labels", start: async () => void starts++ });
    await start(probed, ctx);
    await start(probed, ctx); // a duplicate trigger while the job runs
    expect(starts).toBe(1);
    expect((await h.state.list(mediaId))[0]).toMatchObject({ stage: "detect-labels", status: "running" });
    expect(h.published).toEqual([]);

    const collect = createCollectLabels(h);
    const job = { mediaId, correlationId, source, result: { frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 91 }] }], engine } };
    await collect(job, ctx);
    await collect(job, ctx); // SNS delivers at least once: the duplicate notice adds nothing
    await start(probed, ctx); // nor does the trigger delivered again after the job completed
    expect(starts).toBe(1);
    expect(h.published.map((p) => p.type)).toEqual(["Labels Detected"]);
    expect(h.published[0]!.detail).toMatchObject({ labelCount: 1, topLabels: [{ name: "Cat", confidence: 91 }], engine });
    expect((await h.state.list(mediaId))[0]).toMatchObject({ status: "done", published: true });
  });

  it("loads a job's results as part of the stage's work, so a final deadline settles a load that never ends as Stage Failed", async () => {
    const h = harness();
    await h.state.begin(mediaId, "detect-labels", 6 * 3600_000);
    const collect = createCollectLabels(h);
    const final = { ...ctx, timeoutMs: 40, deadlineIsFinal: true, deadlineLabel: "its Lambda time" };
    let seen: AbortSignal | undefined;
    await collect({ mediaId, correlationId, source, load: (signal) => { seen = signal; return new Promise(() => {}); } }, final);
    expect(seen?.aborted).toBe(true);
    expect(h.published).toEqual([
      expect.objectContaining({ type: "Stage Failed", detail: expect.objectContaining({ stage: "detect-labels", error: expect.objectContaining({ name: "StageTimeoutError" }) }) }),
    ]);
    // A load that answers completes the stage as a result handed over would.
    const other = harness();
    await other.state.begin(mediaId, "detect-labels", 6 * 3600_000);
    await createCollectLabels(other)({ mediaId, correlationId, source, load: async () => ({ frames: [], engine }) }, ctx);
    expect(other.published.map((p) => p.type)).toEqual(["Labels Detected"]);
  }, 10_000);

  it("settles a job that cannot start as Stage Failed", async () => {
    const h = harness();
    const start = createStartVisionJob({ ...h, stage: "moderate", start: async () => { throw new NonRetryableError("InvalidS3ObjectException"); } });
    await start(probed, ctx);
    expect(h.published).toEqual([expect.objectContaining({ type: "Stage Failed", detail: expect.objectContaining({ stage: "moderate" }) })]);
  });

  it("starts transcription with the configured speaker bound and collects the parsed document", async () => {
    const h = harness();
    const inputs: unknown[] = [];
    const audioEvent = makeEvent("Audio Extracted", catalog["Audio Extracted"].example, env);
    await createStartTranscription({ ...h, maxSpeakers: 3, language: "en-US", start: async (i) => void inputs.push(i) })(audioEvent, ctx);
    expect(inputs).toEqual([expect.objectContaining({ mediaId, maxSpeakers: 3, audio: audioEvent.detail.audio })]);
    const document = {
      language: "en-US", hasWords: true, notes: [], speakers: [{ id: "spk_0", label: "spk_0", speechMs: 1000 }],
      segments: [{ speaker: "spk_0", startMs: 0, endMs: 1000, text: "hello", words: [{ text: "hello", startMs: 0, endMs: 500, confidence: 99 }] }],
      speech: [{ startMs: 0, endMs: 1000 }], speakerLabels: { speakers: 1, segments: [] }, engine: { name: "amazon-transcribe", version: "batch" }, engines: [],
    };
    await createCollectTranscript(h)({ mediaId, correlationId, audio: audioEvent.detail.audio, document }, ctx);
    expect(h.published.map((p) => p.type)).toEqual(["Transcript Ready"]);
    expect(h.published[0]!.detail).toMatchObject({ wordCount: 1, speakerCount: 1, hasWords: true });
  });

  it("refuses a collected transcript that breaks the document contract", async () => {
    const h = harness();
    const audio = { bucket: "b", key: "derived/x/audio.wav" };
    await h.state.begin(mediaId, "transcribe", 1000);
    await createCollectTranscript(h)({ mediaId, correlationId, audio, document: { nonsense: true } }, ctx);
    expect(h.published.map((p) => p.type)).toEqual(["Stage Failed"]);
  });
});
