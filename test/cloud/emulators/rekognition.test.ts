import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  GetContentModerationCommand, GetLabelDetectionCommand, GetSegmentDetectionCommand, RekognitionClient, StartLabelDetectionCommand, StartSegmentDetectionCommand,
  type GetLabelDetectionCommandOutput,
} from "@aws-sdk/client-rekognition";
import type { FrameDetections, FrameModeration, ShotsDocument } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCompletionMessage } from "../../../packages/functions/src/adapters/rekognition/completion.js";
import { RekognitionJobFailedError, RekognitionJobInProgressError, RekognitionLimitError } from "../../../packages/functions/src/adapters/rekognition/errors.js";
import { detectImageLabels, detectImageModeration } from "../../../packages/functions/src/adapters/rekognition/image.js";
import { startContentModeration, startLabelDetection } from "../../../packages/functions/src/adapters/rekognition/jobs.js";
import { getLabelFrames, getModerationFrames } from "../../../packages/functions/src/adapters/rekognition/results.js";
import { createLocalEngines } from "../../../packages/local/src/engines/index.js";
import { loadConfig } from "../../../packages/local/src/runtime/config.js";
import { LocalObjectStore } from "../../../packages/local/src/runtime/object-store.js";
import { createBucket, startEmulatorFixture, upload, type EmulatorFixture } from "./fixture.js";
import { startServiceEmulators } from "./index.js";
import { makePhotoVideo, makeUnreadableVideo, photoImage } from "./video-media.js";

/** Rekognition Video and Image on the local engines, through the real client and our Rekognition adapters. */
let f: EmulatorFixture;
let sns: { topicArn: string; url: string };
let video: Awaited<ReturnType<typeof makePhotoVideo>>;
const bucket = "media";
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source = { bucket, key: `media/${mediaId}/photos.mp4` };
const roleArn = "arn:aws:iam::123456789012:role/rekognition-sns";

beforeAll(async () => {
  f = await startEmulatorFixture("rekognition");
  await createBucket(f, bucket);
  sns = await f.topicToQueue("AmazonRekognition-jobs");
  video = await makePhotoVideo(f.workDir);
  await upload(f, bucket, source.key, await readFile(video.path));
});
afterAll(async () => {
  await f?.stop();
});

/** The local runtime's engines on the same file: one decode pass feeding shots, labels and moderation at once. */
async function localAnalysis() {
  const dataDir = path.join(f.workDir, "local");
  const store = new LocalObjectStore(dataDir);
  const engines = createLocalEngines(loadConfig({ dataDir }, {}, f.workDir), store.pathOf);
  const ref = { bucket: "media", key: "media/local/photos.mp4" };
  await mkdir(path.dirname(store.pathOf(ref)), { recursive: true });
  await copyFile(video.path, store.pathOf(ref));
  const input = { mediaId: "local", source: ref, durationMs: 0 };
  const [shots, labels, moderation] = await Promise.all([engines.shots.detect(input), engines.labels.detect(input), engines.moderation.detect(input)]);
  return { shots, labels, moderation };
}
let local: Promise<{ shots: ShotsDocument; labels: { frames: FrameDetections[] }; moderation: { frames: FrameModeration[] } }>;

/** Frames with something in them, detections in a fixed order (Rekognition groups them by name). */
function normalLabels(frames: FrameDetections[]) {
  return frames
    .filter((fr) => fr.detections.length > 0)
    .map((fr) => ({
      timestampMs: fr.timestampMs,
      detections: fr.detections
        .map(({ parents, ...d }) => ({ ...d, ...(parents?.length ? { parents } : {}) }))
        .sort((a, b) => a.name.localeCompare(b.name) || b.confidence - a.confidence || (a.boundingBox?.left ?? 0) - (b.boundingBox?.left ?? 0)),
    }));
}
/** Frames with their labels from `minConfidence` up (the job's MinConfidence; the local engine reports lower too). */
function normalModeration(frames: FrameModeration[], minConfidence: number) {
  return frames
    .map((fr) => ({ timestampMs: fr.timestampMs, labels: fr.labels.filter((l) => l.confidence >= minConfidence).sort((a, b) => a.name.localeCompare(b.name)) }))
    .filter((fr) => fr.labels.length > 0);
}

async function completions(count: number) {
  const bodies = await f.receive(sns.url, count);
  return bodies.map((b) => JSON.parse(JSON.parse(b).Message) as Record<string, unknown>);
}

describe("Rekognition Video emulator", () => {
  let labelsJob: string;
  let moderationJob: string;
  let segmentsJob: string;

  it("starts idempotent jobs that run in the background and announce completion on SNS", async () => {
    const rek = new RekognitionClient({});
    const notification = { snsTopicArn: sns.topicArn, roleArn };
    ({ jobId: labelsJob } = await startLabelDetection(rek, { mediaId, source, minConfidence: 40, notification }));
    await expect(startLabelDetection(rek, { mediaId, source, minConfidence: 40, notification })).resolves.toEqual({ jobId: labelsJob });
    // The same token with other parameters is refused.
    await expect(rek.send(new StartLabelDetectionCommand({ Video: { S3Object: { Bucket: bucket, Name: source.key } }, ClientRequestToken: `media-pipeline-${mediaId}-labels`, MinConfidence: 90 })))
      .rejects.toMatchObject({ name: "IdempotentParameterMismatchException" });
    await expect(rek.send(new GetLabelDetectionCommand({ JobId: labelsJob }))).resolves.toMatchObject({ JobStatus: "IN_PROGRESS" });
    await expect(getLabelFrames(rek, labelsJob)).rejects.toBeInstanceOf(RekognitionJobInProgressError);

    ({ jobId: moderationJob } = await startContentModeration(rek, { mediaId, source, minConfidence: 1, notification }));
    ({ JobId: segmentsJob } = (await rek.send(new StartSegmentDetectionCommand({
      Video: { S3Object: { Bucket: bucket, Name: source.key } }, SegmentTypes: ["TECHNICAL_CUE", "SHOT"], ClientRequestToken: "segments-1",
      JobTag: `${mediaId}-segments`, NotificationChannel: { SNSTopicArn: sns.topicArn, RoleArn: roleArn },
    }))) as { JobId: string });
    local = localAnalysis();
    await f.emulators.idle();

    const messages = await completions(3);
    const byApi = Object.fromEntries(messages.map((m) => [m.API as string, m]));
    expect(byApi.SEGMENT_DETECTION).toMatchObject({ JobId: segmentsJob, Status: "SUCCEEDED", JobTag: `${mediaId}-segments`, Video: { S3Bucket: bucket, S3ObjectName: source.key } });
    expect(parseCompletionMessage({ Sns: { Message: JSON.stringify(byApi.LABEL_DETECTION) } })).toMatchObject({
      jobId: labelsJob, status: "SUCCEEDED", mediaId, kind: "labels", video: source,
    });
    expect(parseCompletionMessage(JSON.stringify(byApi.CONTENT_MODERATION))).toMatchObject({ jobId: moderationJob, status: "SUCCEEDED", kind: "moderation" });
  });

  it("gives the local label engine's detections, page by page, through getLabelFrames", async () => {
    const rek = new RekognitionClient({});
    const { frames, engine } = await getLabelFrames(rek, labelsJob, { minConfidence: 40 });
    expect(engine.version).toMatch(/^emulated: @vladmandic\/human \d+\.\d+\.\d+$/);
    const expected = normalLabels((await local).labels.frames);
    expect(normalLabels(frames)).toEqual(expected);
    expect(frames.flatMap((fr) => fr.detections.map((d) => d.name))).toContain("Person");

    const first = await rek.send(new GetLabelDetectionCommand({ JobId: labelsJob }));
    expect(first.VideoMetadata).toMatchObject({ Codec: "h264", Format: "QuickTime / MOV", FrameRate: 25, FrameWidth: 640, FrameHeight: 360, DurationMillis: 5000 });
    expect(first.GetRequestMetadata).toEqual({ SortBy: "TIMESTAMP", AggregateBy: "TIMESTAMPS" });
    const paged: NonNullable<GetLabelDetectionCommandOutput["Labels"]> = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await rek.send(new GetLabelDetectionCommand({ JobId: labelsJob, MaxResults: 1, NextToken: token }));
      paged.push(...page.Labels!);
      token = page.NextToken;
      pages += 1;
    } while (token);
    expect(pages).toBe(first.Labels!.length);
    expect(paged).toEqual(first.Labels);
    const byName = await rek.send(new GetLabelDetectionCommand({ JobId: labelsJob, SortBy: "NAME" }));
    const names = byName.Labels!.map((l) => l.Label!.Name!);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    await expect(rek.send(new GetLabelDetectionCommand({ JobId: labelsJob, NextToken: "not-a-token" }))).rejects.toMatchObject({ name: "InvalidPaginationTokenException" });
    await expect(rek.send(new GetContentModerationCommand({ JobId: labelsJob }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("gives the local moderation engine's scores through getModerationFrames", async () => {
    const { frames, engine } = await getModerationFrames(new RekognitionClient({}), moderationJob, { minConfidence: 1 });
    expect(engine.version).toMatch(/^emulated: nsfwjs \d+\.\d+\.\d+$/);
    expect(normalModeration(frames, 1)).toEqual(normalModeration((await local).moderation.frames, 1));
  });

  it("reports the local shots as SHOT segments and the black second as BlackFrames, in the requested order", async () => {
    const rek = new RekognitionClient({});
    const out = await rek.send(new GetSegmentDetectionCommand({ JobId: segmentsJob }));
    expect(out.JobStatus).toBe("SUCCEEDED");
    expect(out.SelectedSegmentTypes!.map((s) => s.Type)).toEqual(["TECHNICAL_CUE", "SHOT"]);
    expect(out.VideoMetadata).toEqual([expect.objectContaining({ Codec: "h264", FrameRate: 25 })]);
    expect(out.AudioMetadata).toEqual([expect.objectContaining({ Codec: "aac", SampleRate: 44100, NumberOfChannels: 1 })]);
    const segments = out.Segments!;
    const typeOrder = segments.map((s) => s.Type);
    expect(typeOrder.lastIndexOf("TECHNICAL_CUE")).toBeLessThan(typeOrder.indexOf("SHOT"));
    const shots = segments.filter((s) => s.Type === "SHOT");
    const localShots = (await local).shots.shots;
    expect(shots.map((s) => s.StartTimestampMillis)).toEqual(localShots.map((s) => s.startMs));
    expect(shots.map((s) => s.ShotSegment!.Index)).toEqual(localShots.map((s) => s.index));
    expect(shots[0]).toMatchObject({ StartTimecodeSMPTE: "00:00:00:00", StartFrameNumber: 0, ShotSegment: { Confidence: 100 } });
    video.cutsMs.forEach((cut) => expect(shots.some((s) => Math.abs(s.StartTimestampMillis! - cut) <= 80)).toBe(true));
    const black = segments.filter((s) => s.TechnicalCueSegment?.Type === "BlackFrames");
    expect(black).toHaveLength(1);
    expect(Math.abs(black[0]!.StartTimestampMillis! - video.blackMs[0])).toBeLessThanOrEqual(80);
    expect(Math.abs(black[0]!.EndTimestampMillis! - video.blackMs[1])).toBeLessThanOrEqual(80);
    expect(segments.filter((s) => s.TechnicalCueSegment?.Type === "Content")).toHaveLength(2);
    const page = await rek.send(new GetSegmentDetectionCommand({ JobId: segmentsJob, MaxResults: 2 }));
    expect(page.Segments).toEqual(segments.slice(0, 2));
    expect(page.NextToken).toBeDefined();
  });

  it("ends a job on VP9 WebM or HEVC MP4 FAILED with Rekognition's status message, announced on SNS", async () => {
    const rek = new RekognitionClient({});
    const jobs: string[] = [];
    for (const [i, kind] of (["vp9-webm", "hevc-mp4"] as const).entries()) {
      const id = `01jd8x7k2m4n6p8q0r2s4t6v${i}${i}`;
      const file = await makeUnreadableVideo(f.workDir, kind);
      const key = `media/${id}/${path.basename(file)}`;
      await upload(f, bucket, key, await readFile(file));
      jobs.push((await startLabelDetection(rek, { mediaId: id, source: { bucket, key }, minConfidence: 50, notification: { snsTopicArn: sns.topicArn, roleArn } })).jobId);
    }
    await f.emulators.idle();
    const messages = await completions(2);
    expect(messages.map((m) => m.Status)).toEqual(["FAILED", "FAILED"]);
    for (const jobId of jobs) {
      await expect(rek.send(new GetLabelDetectionCommand({ JobId: jobId }))).resolves.toMatchObject({ JobStatus: "FAILED", StatusMessage: "Unsupported codec/format." });
      await expect(getLabelFrames(rek, jobId)).rejects.toMatchObject({ constructor: RekognitionJobFailedError, statusMessage: "Unsupported codec/format." });
    }
  });

  it("refuses a missing object, and answers LimitExceededException past the concurrent-job limit until a job ends", async () => {
    const rek = new RekognitionClient({});
    await expect(startLabelDetection(rek, { mediaId: "01jd8x7k2m4n6p8q0r2s4t6v99", source: { bucket, key: "media/none.mp4" }, minConfidence: 50, notification: { snsTopicArn: sns.topicArn, roleArn } }))
      .rejects.toMatchObject({ code: "InvalidS3ObjectException" });
    const limited = await startServiceEmulators({
      awsEndpoint: f.moto.endpoint, region: f.moto.region, account: f.moto.account, workDir: path.join(f.workDir, "limited"), rekognitionConcurrentJobs: 1
    });
    try {
      // One attempt: the SDK retries LimitExceededException as throttling, and an emulated job may end within its backoff.
      const client = new RekognitionClient({ endpoint: limited.endpoints.rekognition, maxAttempts: 1 });
      const start = (id: string) => startContentModeration(client, { mediaId: id, source, minConfidence: 50, notification: { snsTopicArn: sns.topicArn, roleArn } });
      // Sent together: one is admitted, the other finds the one job in progress.
      const both = await Promise.allSettled([start("01jd8x7k2m4n6p8q0r2s4t6v31"), start("01jd8x7k2m4n6p8q0r2s4t6v32")]);
      expect(both.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(both.find((r) => r.status === "rejected")).toMatchObject({ reason: expect.any(RekognitionLimitError) });
      await limited.idle();
      await expect(start("01jd8x7k2m4n6p8q0r2s4t6v33")).resolves.toMatchObject({ jobId: expect.stringMatching(/^[0-9a-f]{64}$/) });
      await limited.idle();
    } finally {
      await limited.stop();
      await f.receive(sns.url, 2, 5_000); // drain the two completions
    }
  });
});

describe("Rekognition Image emulator", () => {
  it("detects labels and moderation on image bytes through the frames-mode adapters", async () => {
    const rek = new RekognitionClient({});
    const { jpeg, png } = await photoImage(f.workDir, "astronaut");
    const labels = await detectImageLabels(rek, await readFile(jpeg), { minConfidence: 40 });
    expect(labels.version).toMatch(/^emulated: @vladmandic\/human /);
    expect(labels.detections).toContainEqual(expect.objectContaining({ name: "Person", boundingBox: expect.any(Object) }));
    const fromPng = await detectImageLabels(rek, await readFile(png), { minConfidence: 40 });
    expect(fromPng.detections.map((d) => d.name)).toContain("Person");
    const moderation = await detectImageModeration(rek, await readFile(jpeg), { minConfidence: 1 });
    expect(moderation.version).toMatch(/^emulated: nsfwjs /);
    for (const l of moderation.labels) expect(l).toEqual({ name: expect.any(String), parent: expect.any(String), confidence: expect.any(Number) });
    await expect(detectImageLabels(rek, Buffer.from("not an image at all"), { minConfidence: 40 })).rejects.toMatchObject({ code: "InvalidImageFormatException" });
  });
});
