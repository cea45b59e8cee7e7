import { describe, expect, it } from "vitest";
import { catalog, type AnyPipelineEvent, type DetailType } from "../events/catalog.js";
import { makeEvent } from "../events/envelope.js";
import { NonRetryableError } from "../errors.js";
import type { BlobStore, MediaLimits, Publish, VideoPreparer } from "../ports.js";
import type { LabelsDocument, ProbeResult, ShotsDocument } from "../results/documents.js";
import { matchesPattern } from "../routing/pattern/index.js";
import { routes } from "../routing/routes.js";
import { createDetectLabels } from "./analysis-stages.js";
import { createCollectLabels, createStartVisionJob } from "./cloud-jobs.js";
import { createProbe } from "./media-stages.js";
import { MemoryStateStore } from "./memory-state-store.js";
import { allSettled, byStage, isSettled } from "./plan.js";
import { createCollectShots, createPrepareVideo } from "./video-stages.js";

const ctx = { attempt: 1, finalAttempt: false };
const env = { id: "e", time: new Date(), account: "1", region: "r" };
const received = makeEvent("Media Received", { ...catalog["Media Received"].example, filename: "clip.webm" }, env);
const { mediaId, source } = received.detail;
const limits: MediaLimits = { maxBytes: 1e10, maxDurationMs: 6 * 3600_000 };

function harness() {
  const state = new MemoryStateStore();
  const published: Array<{ type: DetailType; detail: Record<string, unknown> }> = [];
  const publish: Publish = async (type, detail) => void published.push({ type, detail: detail as Record<string, unknown> });
  const stored = new Map<string, unknown>();
  const blobs: BlobStore = {
    putJson: async (ref, v) => void stored.set(ref.key, v),
    getJson: async <T,>(ref: { key: string }) => stored.get(ref.key) as T,
    size: async () => undefined,
  };
  const event = (i: number) => makeEvent(published[i]!.type, published[i]!.detail, env) as AnyPipelineEvent;
  return { state, publish, published, blobs, stored, event };
}

const probeOf = (container: string, codec: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({
  kind: "video", durationMs: 12_000, sizeBytes: 2_000_000, container, hasVideo: true, hasAudio: true,
  streams: [
    { index: 0, type: "video", codec, width: 1280, height: 720, fps: 30 },
    { index: 1, type: "audio", codec: "opus", sampleRate: 48000, channels: 2 },
  ],
  engine: { name: "ffprobe", version: "test" }, ...extra,
});

const routedTo = (event: AnyPipelineEvent) => routes.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.stage);

describe("video Rekognition cannot read", () => {
  it("is probed as not ready, planned through prepare-video, and routed there instead of to the vision stages", async () => {
    const h = harness();
    await createProbe({ ...h, limits, prober: { probe: async () => probeOf("matroska,webm", "vp9") } })(received, ctx);
    const probed = h.published[0]!;
    expect(probed.type).toBe("Media Probed");
    expect(probed.detail.video).toEqual({ rekognitionReady: false, rendition: "transcode", reason: expect.stringMatching(/^VP9 video in a Matroska\/WebM container/) });
    expect(probed.detail.plan).toEqual(expect.arrayContaining(["prepare-video", "detect-shots", "detect-labels", "moderate"]));
    expect(routedTo(h.event(0))).toEqual(["prepare-video", "extract-audio"]);
  });

  it("goes straight to the vision stages when it is H.264 in MP4, with no prepare-video in the plan", async () => {
    const h = harness();
    await createProbe({ ...h, limits, prober: { probe: async () => probeOf("mov,mp4,m4a,3gp,3g2,mj2", "h264", { brand: "isom" }) } })(received, ctx);
    expect(h.published[0]!.detail.video).toMatchObject({ rekognitionReady: true, rendition: "none" });
    expect(h.published[0]!.detail.plan).not.toContain("prepare-video");
    expect(routedTo(h.event(0))).toEqual(["extract-audio", "detect-shots", "detect-labels", "moderate", "detect-text"]);
  });

  it("has the vision stages start on the rendition prepare-video made, and say so in their results", async () => {
    const h = harness();
    await createProbe({ ...h, limits, prober: { probe: async () => probeOf("mov,mp4,m4a,3gp,3g2,mj2", "hevc", { brand: "qt  " }) } })(received, ctx);
    const asked: unknown[] = [];
    const preparer: VideoPreparer = {
      prepare: async (input) => (asked.push(input), { input: "rendition", video: input.target, reason: input.readiness.reason, engine: { name: "ffmpeg", version: "test" } }),
    };
    await createPrepareVideo({ ...h, preparer })(h.event(0), ctx);
    const rendition = { bucket: source.bucket, key: `derived/${mediaId}/rendition.mp4` };
    expect(asked).toEqual([expect.objectContaining({ target: rendition, streamIndex: 0, readiness: expect.objectContaining({ rendition: "transcode" }) })]);
    const prepared = h.event(1);
    expect(prepared["detail-type"]).toBe("Video Prepared");
    expect(prepared.detail).toMatchObject({ input: "rendition", video: rendition, reason: expect.stringMatching(/^HEVC \(H\.265\) video in MOV/) });
    expect(routedTo(prepared)).toEqual(["detect-shots", "detect-labels", "moderate", "detect-text"]);

    // A cloud job starts on the rendition; an in-process engine's result says what it analysed.
    const started: unknown[] = [];
    await createStartVisionJob({ ...h, stage: "moderate", start: async (i) => void started.push(i) })(prepared, ctx);
    expect(started).toEqual([expect.objectContaining({ source, analysis: expect.objectContaining({ input: "rendition", video: rendition }) })]);
    await createDetectLabels({ ...h, detector: { detect: async () => ({ frames: [], engine: { name: "x", version: "1" } }) } })(prepared, ctx);
    const labels = h.published.find((p) => p.type === "Labels Detected")!;
    expect(labels.detail.analysis).toEqual({ input: "rendition", video: rendition, reason: expect.stringContaining("HEVC") });
    expect((h.stored.get(`derived/${mediaId}/labels.json`) as { analysis: unknown }).analysis).toEqual(labels.detail.analysis);
  });

  it("puts what a cloud job read from the rendition on the upload's clock (the rendition's offset), shots ending with the media", async () => {
    const h = harness();
    await createProbe({ ...h, limits, prober: { probe: async () => probeOf("matroska,webm", "vp9") } })(received, ctx);
    const rendition = { bucket: source.bucket, key: `derived/${mediaId}/rendition.mp4` };
    const preparer: VideoPreparer = { prepare: async (i) => ({ input: "rendition", video: i.target, reason: i.readiness.reason, engine: { name: "ffmpeg", version: "t" }, offsetMs: 14 }) };
    await createPrepareVideo({ ...h, preparer })(h.event(0), ctx);
    expect(h.event(1).detail).toMatchObject({ offsetMs: 14 });
    const engine = { name: "amazon-rekognition-video", version: "t" };
    await h.state.begin(mediaId, "detect-labels", 60_000);
    await createCollectLabels(h)({ mediaId, correlationId: mediaId, source: rendition, result: { frames: [{ timestampMs: 2000, detections: [{ name: "Cat", confidence: 90 }] }], engine } }, ctx);
    const labels = h.stored.get(`derived/${mediaId}/labels.json`) as LabelsDocument;
    expect(labels.labels[0]!.instances[0]!.timestampMs).toBe(2014);
    expect(labels.analysis).toMatchObject({ input: "rendition", offsetMs: 14 });
    await h.state.begin(mediaId, "detect-shots", 60_000);
    const keyframe = { bucket: source.bucket, key: "k.jpg" };
    await createCollectShots(h)({
      mediaId, correlationId: mediaId, source: rendition, video: rendition,
      load: async () => ({
        durationMs: 12_000, width: 2, height: 2, engine,
        shots: [{ index: 0, startMs: 0, endMs: 2000, keyframe, cutScore: 1 }, { index: 1, startMs: 2000, endMs: 12_000, keyframe, cutScore: 0.5 }],
        frames: [{ timestampMs: 0, shotIndex: 0, frame: keyframe, keyframe: true }, { timestampMs: 2000, shotIndex: 1, frame: keyframe, keyframe: true }],
      }),
    }, ctx);
    const shots = h.stored.get(`derived/${mediaId}/shots.json`) as ShotsDocument;
    expect(shots.shots.map((s) => [s.startMs, s.endMs])).toEqual([[14, 2014], [2014, 12_000]]);
    expect(shots.frames.map((f) => f.timestampMs)).toEqual([14, 2014]);
  });

  it("refuses, as a wiring error, a vision stage started from Media Probed on a video that needs prepare-video first", async () => {
    const h = harness();
    await createProbe({ ...h, limits, prober: { probe: async () => probeOf("matroska,webm", "vp9") } })(received, ctx);
    const labels = createDetectLabels({ ...h, detector: { detect: async () => { throw new Error("must not run"); } } });
    await expect(labels(h.event(0), ctx)).rejects.toThrow(/detect-labels started on a video that needs prepare-video first/);
    expect(await h.state.list(mediaId)).not.toContainEqual(expect.objectContaining({ stage: "detect-labels" }));
  });

  it("settles shots, labels, moderation and review when prepare-video fails, so the joins and the report go on", async () => {
    const h = harness();
    await createProbe({ ...h, limits, prober: { probe: async () => probeOf("matroska,webm", "vp9") } })(received, ctx);
    const plan = h.published[0]!.detail.plan as Parameters<typeof allSettled>[0];
    const failing: VideoPreparer = { prepare: async () => { throw new NonRetryableError("ffmpeg could not transcode clip.webm"); } };
    await createPrepareVideo({ ...h, preparer: failing })(h.event(0), ctx);
    expect(h.published.at(-1)).toMatchObject({ type: "Stage Failed", detail: { stage: "prepare-video" } });
    expect(routedTo(h.event(h.published.length - 1))).toEqual(expect.arrayContaining(["summarize-scenes", "complete-analysis"]));
    const records = byStage(await h.state.list(mediaId));
    for (const stage of ["detect-shots", "detect-labels", "moderate", "request-review"] as const) expect(isSettled(stage, records)).toBe(true);
    expect(isSettled("transcribe", records)).toBe(false);
    expect(allSettled(plan, ["detect-shots", "detect-labels", "moderate"], records)).toBe(true);
  });

  it("rejects media over the service limits the runtime gives, with the limit in the reason", async () => {
    const h = harness();
    const long = probeOf("mov,mp4,m4a,3gp,3g2,mj2", "h264", { durationMs: 5 * 3600_000, brand: "isom" });
    await createProbe({ ...h, limits: { ...limits, maxSpeechDurationMs: 4 * 3600_000 }, prober: { probe: async () => long } })(received, ctx);
    expect(h.published).toEqual([expect.objectContaining({
      type: "Media Rejected",
      detail: expect.objectContaining({ reason: "too-long", message: expect.stringMatching(/clip\.webm is 5 h long with sound, over the 4 h Amazon Transcribe takes/) }),
    })]);
  });
});
