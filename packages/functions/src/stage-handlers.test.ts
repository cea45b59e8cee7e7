import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { GetSegmentDetectionCommand, StartContentModerationCommand, StartSegmentDetectionCommand } from "@aws-sdk/client-rekognition";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { StartHumanLoopCommand } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { StartTranscriptionJobCommand } from "@aws-sdk/client-transcribe";
import {
  buildReviewTask, recordReviewDecision, recordReviewFailure, Report, ReviewTask, ScenesDocument, ShotsDocument,
  type LabelsDocument, type ModerationDocument, type ObjectRef, type ProbeResult, type StageName, type TranscriptDocument,
} from "@media-pipeline/core";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BUCKET, ENV, exampleEvent, MEDIA_ID as mediaId, useMockedCloud } from "../test-support/mocked-cloud.js";
import { humanLoopNameFor, ReviewTaskInput } from "./adapters/a2i/index.js";
import type { Cloud } from "./cloud.js";
import { createRekognitionCompletion, createReviewCompletion } from "./completions.js";
import { createStageHandler } from "./stage-handler.js";

/*
 * The stage Lambdas end to end with mocked AWS clients: documented events in, the AWS calls and the
 * published events (read back from PutEvents and validated against the catalog) out. S3 is a small
 * in-memory bucket behind the mock, so what one stage writes the next one reads.
 */

const env = {
  ...ENV.base, ...ENV.rekognition, ...ENV.a2i, ...ENV.transcribe,
  BEDROCK_MODEL_ID: "amazon.nova-lite-v1:0", BEDROCK_ACCEPTS_IMAGES: "true", MAX_SPEAKERS: "3", LANGUAGE: "en-US",
};
const aws = useMockedCloud({ env, objectServer: true });
const { s3, events, rekognition, transcribe, bedrock, a2i, sqs, objects, store, published } = aws;
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const ref = (name: string): ObjectRef => ({ bucket: BUCKET, key: `derived/${mediaId}/${name}` });
const fixture = (p: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters", p), "utf8"));

/** A 4 s MP4 with one hard cut at 2 s (two unlike test patterns) and a sine track. */
let clip: Buffer;

beforeAll(async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "stage-handlers-")), "clip.mp4");
  execFileSync("ffmpeg", [
    "-v", "error", "-nostdin", "-y",
    "-f", "lavfi", "-t", "2", "-i", "testsrc2=s=160x90:r=25",
    "-f", "lavfi", "-t", "2", "-i", "smptebars=s=160x90:r=25",
    "-f", "lavfi", "-t", "4", "-i", "sine=frequency=440:sample_rate=44100",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-map", "2:a",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "48k", "-t", "4", file,
  ]);
  clip = readFileSync(file);
});

beforeEach(() => {
  objects.set(`${source.bucket}/${source.key}`, { body: clip, contentType: "video/mp4" });
});

/** The cloud on the mocked clients (test-support/mocked-cloud.ts). */
const cloud = (overrides: Record<string, string> = {}): Cloud => aws.cloud(overrides);

const PLAN: StageName[] = ["probe", "extract-audio", "detect-shots", "detect-labels", "moderate", "transcribe", "summarize-scenes", "request-review", "complete-analysis"];

const event = exampleEvent;

const probed = () => event("Media Probed", { source, durationMs: 4000, plan: PLAN });

/** Records a stage as done, with the facts the stage itself would have recorded. */
async function done(c: Cloud, stage: StageName, facts: Record<string, unknown>): Promise<void> {
  await c.state.begin(mediaId, stage, 60_000);
  await c.state.finish(mediaId, stage, { events: [], facts });
}

const engine = (name: string) => ({ name, version: "test" });

const probeDoc: ProbeResult = {
  kind: "video", durationMs: 4000, sizeBytes: 50_000, container: "mov,mp4,m4a,3gp,3g2,mj2", hasVideo: true, hasAudio: true,
  streams: [{ index: 0, type: "video", codec: "h264", width: 160, height: 90, fps: 25 }, { index: 1, type: "audio", codec: "aac", sampleRate: 44100, channels: 1 }],
  engine: engine("ffprobe"),
};
/** Person only in the first shot, Car only in the second: two scenes. */
const labelsDoc: LabelsDocument = {
  framesAnalyzed: 8,
  labels: [
    { name: "Person", confidence: 97, meanConfidence: 95, count: 3, parents: [], occurrences: [{ startMs: 0, endMs: 1500, confidence: 97 }], instances: [] },
    { name: "Car", confidence: 91, meanConfidence: 90, count: 3, parents: [{ name: "Vehicle" }], occurrences: [{ startMs: 2500, endMs: 4000, confidence: 91 }], instances: [] },
  ],
  engine: engine("amazon-rekognition-video"),
};
const transcriptDoc: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [],
  speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 1500 }, { id: "spk_1", label: "Speaker 2", speechMs: 1500 }],
  segments: [
    { speaker: "spk_0", startMs: 200, endMs: 1700, text: "Welcome to the launch review." },
    { speaker: "spk_1", startMs: 2300, endMs: 3800, text: "The new car ships in March." },
  ],
  speech: [{ startMs: 200, endMs: 1700 }, { startMs: 2300, endMs: 3800 }],
  speakerLabels: { speakers: 2, segments: [] },
  engine: engine("amazon-transcribe"), engines: [engine("amazon-transcribe")],
};
const moderationDoc = (decision: ModerationDocument["decision"]): ModerationDocument => ({
  decision, thresholds: { reviewMin: 50, flagMin: 80 }, framesAnalyzed: 8,
  segments: decision === "clean" ? [] : [{
    name: "Suggestive", parent: "", confidence: 61.2, startMs: 2500, endMs: 3500, frames: 3, decision: "review",
    keyframe: { bucket: BUCKET, key: `derived/frames/${mediaId}/000003.jpg` },
  }],
  engine: engine("amazon-rekognition-video"),
});

/** The state and documents the stages before the joins leave behind (detect-shots is run for real where it matters). */
async function seedAnalysis(c: Cloud, options: { moderation?: ModerationDocument["decision"] } = {}): Promise<void> {
  store(ref("probe.json"), probeDoc);
  await done(c, "probe", { ref: ref("probe.json"), plan: PLAN, kind: "video", durationMs: 4000, filename: "clip.mp4", source, engine: probeDoc.engine });
  await done(c, "extract-audio", { ref: ref("audio.wav"), engine: engine("ffmpeg") });
  store(ref("labels.json"), labelsDoc);
  await done(c, "detect-labels", { ref: ref("labels.json"), engine: labelsDoc.engine });
  store(ref("transcript.json"), transcriptDoc);
  await done(c, "transcribe", { ref: ref("transcript.json"), engine: transcriptDoc.engine });
  const decision = options.moderation ?? "clean";
  store(ref("moderation.json"), moderationDoc(decision));
  await done(c, "moderate", { ref: ref("moderation.json"), decision, engine: engine("amazon-rekognition-video") });
}

const putKeys = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);

/** Rekognition's segment detection result for the clip, in GetSegmentDetection's documented shape: two shots. */
const SEGMENTS = {
  JobStatus: "SUCCEEDED" as const,
  VideoMetadata: [{ Codec: "h264", DurationMillis: 4000, Format: "QuickTime / MOV", FrameRate: 25, FrameHeight: 90, FrameWidth: 160 }],
  SelectedSegmentTypes: [{ Type: "SHOT" as const, ModelVersion: "1.0" }],
  Segments: [
    { Type: "SHOT" as const, StartTimestampMillis: 0, EndTimestampMillis: 2000, DurationMillis: 2000, StartFrameNumber: 0, EndFrameNumber: 49, DurationFrames: 50, ShotSegment: { Index: 0, Confidence: 100 } },
    { Type: "SHOT" as const, StartTimestampMillis: 2000, EndTimestampMillis: 4000, DurationMillis: 2000, StartFrameNumber: 50, EndFrameNumber: 99, DurationFrames: 50, ShotSegment: { Index: 1, Confidence: 83.5 } },
  ],
};

/** detect-shots' second half: the job's completion notice (SNS), collected with a keyframe per shot. */
async function detectShots(c: Cloud): Promise<void> {
  await c.state.begin(mediaId, "detect-shots", 6 * 3600_000).catch(() => undefined);
  rekognition.on(GetSegmentDetectionCommand).resolves(SEGMENTS);
  const message = {
    JobId: "job-segments", Status: "SUCCEEDED", API: "SEGMENT_DETECTION", JobTag: `${mediaId}-segments`, Timestamp: 1763632800000,
    Video: { S3ObjectName: source.key, S3Bucket: BUCKET },
  };
  await createRekognitionCompletion(c)({ Records: [{ Sns: { Message: JSON.stringify(message) } }] });
}
const getKeys = () => s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key);

/** A WAV file's format chunk. */
function wavFormat(bytes: Buffer): { channels: number; sampleRate: number; bitsPerSample: number } {
  expect(bytes.toString("ascii", 0, 4)).toBe("RIFF");
  expect(bytes.toString("ascii", 8, 12)).toBe("WAVE");
  for (let at = 12; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at + 4) + (bytes.readUInt32LE(at + 4) % 2)) {
    if (bytes.toString("ascii", at, at + 4) === "fmt ") {
      return { channels: bytes.readUInt16LE(at + 10), sampleRate: bytes.readUInt32LE(at + 12), bitsPerSample: bytes.readUInt16LE(at + 22) };
    }
  }
  throw new Error("no fmt chunk");
}

describe("stage Lambdas with mocked AWS clients", () => {
  it("extract-audio: streams the upload from its presigned URL (no copy in /tmp), writes derived/<mediaId>/audio.wav (16 kHz mono WAV) and emits Audio Extracted", async () => {
    const c = cloud();
    aws.server.served.clear();
    await createStageHandler(c, "extract-audio")(probed());

    // ffmpeg read the object over HTTP; the SDK never fetched it into the workspace.
    expect(getKeys()).toEqual([]);
    expect(aws.server.served.get(`${BUCKET}/${source.key}`)).toBeGreaterThan(0);
    const put = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(put).toHaveLength(1);
    expect(put[0]).toMatchObject({ Bucket: BUCKET, Key: `derived/${mediaId}/audio.wav`, ContentType: "audio/wav" });
    const wav = objects.get(`${BUCKET}/derived/${mediaId}/audio.wav`)!.body;
    expect(put[0]!.ContentLength).toBe(wav.length);
    expect(wavFormat(wav)).toEqual({ channels: 1, sampleRate: 16_000, bitsPerSample: 16 });
    // About 4 s of 16-bit samples, give or take the AAC priming.
    expect(wav.length).toBeGreaterThan(3.5 * 16_000 * 2);

    const [extracted, ...rest] = published();
    expect(rest).toEqual([]);
    expect(extracted).toMatchObject({
      "detail-type": "Audio Extracted",
      detail: { mediaId, audio: { bucket: BUCKET, key: `derived/${mediaId}/audio.wav` }, format: "wav", sampleRate: 16_000, channels: 1 },
    });
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "extract-audio", status: "done" });
  });

  it("detect-shots: starts Rekognition shot detection on the upload; its completion takes a keyframe per shot, stores them and shots.json, emits Shots Detected", async () => {
    const c = cloud();
    rekognition.on(StartSegmentDetectionCommand).resolves({ JobId: "job-segments" });
    await createStageHandler(c, "detect-shots")(probed());
    expect(rekognition.commandCalls(StartSegmentDetectionCommand).map((call) => call.args[0].input)).toEqual([expect.objectContaining({
      Video: { S3Object: { Bucket: BUCKET, Name: source.key } }, JobTag: `${mediaId}-segments`, SegmentTypes: ["SHOT"],
      Filters: { ShotFilter: { MinSegmentConfidence: 50 } },
      NotificationChannel: { SNSTopicArn: env.REKOGNITION_TOPIC_ARN, RoleArn: env.REKOGNITION_ROLE_ARN },
    })]);
    expect(published()).toEqual([]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "detect-shots", status: "running" });

    await detectShots(c);
    const keys = putKeys();
    const frames = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input).filter((i) => i.Key!.endsWith(".jpg"));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const f of frames) expect(f).toMatchObject({ Bucket: BUCKET, Key: expect.stringMatching(new RegExp(`^derived/frames/${mediaId}/`)), ContentType: "image/jpeg" });
    expect(keys).toContain(`derived/${mediaId}/shots.json`);

    const doc = ShotsDocument.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/shots.json`)!.body.toString()));
    expect(doc.shots).toHaveLength(2);
    expect(doc.shots[1]!.startMs).toBeGreaterThan(1800);
    expect(doc.shots[1]!.startMs).toBeLessThan(2200);
    // Every keyframe the document names was written to the bucket, as a JPEG.
    for (const shot of doc.shots) {
      expect(shot.keyframe.bucket).toBe(BUCKET);
      const jpeg = objects.get(`${BUCKET}/${shot.keyframe.key}`)?.body;
      expect(jpeg?.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    }

    expect(doc.shots.map((x) => [x.index, x.startMs, x.endMs, x.cutScore])).toEqual([[0, 0, 2000, 1], [1, 2000, 4000, 0.67]]);
    // Read by seeking the presigned URL, never copied whole through the SDK.
    expect(getKeys()).not.toContain(source.key);

    const [shots, ...rest] = published();
    expect(rest).toEqual([]);
    expect(shots).toMatchObject({
      "detail-type": "Shots Detected",
      detail: { mediaId, shots: ref("shots.json"), shotCount: 2, frameCount: 2, analysis: { input: "upload", video: source }, engine: { name: "amazon-rekognition-video" } },
    });
  });

  it("moderate: starts Rekognition content moderation on the upload and emits nothing until it completes", async () => {
    rekognition.on(StartContentModerationCommand).resolves({ JobId: "job-m" });
    const c = cloud();
    await createStageHandler(c, "moderate")(probed());

    const calls = rekognition.commandCalls(StartContentModerationCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      Video: { S3Object: { Bucket: BUCKET, Name: source.key } },
      JobTag: `${mediaId}-moderation`,
      MinConfidence: 50,
      NotificationChannel: { SNSTopicArn: env.REKOGNITION_TOPIC_ARN, RoleArn: env.REKOGNITION_ROLE_ARN },
    });
    expect(input.ClientRequestToken).toContain(mediaId);
    expect(published()).toEqual([]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "moderate", status: "running" });
  });

  it("transcribe: starts the Transcribe job on the extracted audio with speaker labels, writing into the media bucket", async () => {
    // Named with the deployment's prefix, which the completion rule filters on.
    const jobName = `media-pipeline.prod.${mediaId}-transcript`;
    transcribe.on(StartTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobName: jobName, TranscriptionJobStatus: "IN_PROGRESS" } });
    sqs.on(SendMessageCommand).resolves({ MessageId: "m1" });
    const c = cloud();
    const audio = ref("audio.wav");
    await createStageHandler(c, "transcribe")(event("Audio Extracted", { audio, durationMs: 4000 }));

    const calls = transcribe.commandCalls(StartTranscriptionJobCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TranscriptionJobName: jobName,
      Media: { MediaFileUri: `s3://${BUCKET}/${audio.key}` },
      MediaFormat: "wav",
      LanguageCode: "en-US",
      Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: 3 },
      OutputBucketName: BUCKET,
      OutputKey: `derived/${mediaId}/transcribe/`,
    });
    // The delayed check of the job (the state-change event is best effort).
    const checks = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(checks).toHaveLength(1);
    expect(checks[0]!.QueueUrl).toBe(env.TRANSCRIBE_CHECK_QUEUE_URL);
    expect(JSON.parse(checks[0]!.MessageBody!)).toMatchObject({ mediaId, jobName, attempt: 1 });
    expect(published()).toEqual([]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "transcribe", status: "running" });
  });

  describe("summarize-scenes", () => {
    /** detect-shots for real (keyframes in the bucket), then the other inputs as their stages leave them. */
    async function ready(c: Cloud): Promise<void> {
      await seedAnalysis(c);
      await detectShots(c);
      s3.resetHistory();
      events.resetHistory();
      bedrock.on(ConverseCommand).resolves(fixture("bedrock/fixtures/converse-tool-use.json"));
    }

    it("calls Converse once per scene with its transcript lines, labels and keyframe images, and emits Scenes Summarized", async () => {
      const c = cloud();
      await ready(c);
      const shots = ShotsDocument.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/shots.json`)!.body.toString()));
      await createStageHandler(c, "summarize-scenes")(event("Transcript Ready", { transcript: ref("transcript.json") }));

      const calls = bedrock.commandCalls(ConverseCommand).map((call) => call.args[0].input);
      expect(calls).toHaveLength(2);
      for (const [i, input] of calls.entries()) {
        expect(input.modelId).toBe("amazon.nova-lite-v1:0");
        const [text, ...images] = input.messages![0]!.content!;
        const scene = JSON.parse(text!.text!);
        expect(scene.scene).toBe(i);
        expect(scene.labels.map((l: { name: string }) => l.name)).toEqual([i === 0 ? "Person" : "Car"]);
        expect(scene.transcript.map((t: { text: string }) => t.text)).toEqual([transcriptDoc.segments[i]!.text]);
        // One shot per scene: its keyframe, the very bytes detect-shots stored.
        expect(images).toHaveLength(1);
        expect(images[0]!.image!.format).toBe("jpeg");
        expect(Buffer.from(images[0]!.image!.source!.bytes!)).toEqual(objects.get(`${BUCKET}/${shots.shots[i]!.keyframe.key}`)!.body);
      }
      // The shots document is read twice: once by the join, once (not per scene) by the keyframe loader.
      expect(getKeys().filter((k) => k === `derived/${mediaId}/shots.json`)).toHaveLength(2);
      expect(getKeys().filter((k) => k!.startsWith(`derived/frames/${mediaId}/`)).sort()).toEqual(shots.shots.map((s) => s.keyframe.key).sort());

      const [summarized, ...rest] = published();
      expect(rest).toEqual([]);
      expect(summarized).toMatchObject({
        "detail-type": "Scenes Summarized",
        detail: { mediaId, scenes: ref("scenes.json"), sceneCount: 2, engine: { name: "amazon-bedrock-converse", settings: { acceptsImages: true, fallbacks: 0 } } },
      });
      const doc = ScenesDocument.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/scenes.json`)!.body.toString()));
      expect(doc.scenes.map((s) => [s.summarizer, s.shotIndexes])).toEqual([["llm", [0]], ["llm", [1]]]);
    });

    it("sends text only, and reads no keyframes, for a model that does not accept images", async () => {
      const c = cloud({ BEDROCK_ACCEPTS_IMAGES: "false" });
      await ready(c);
      await createStageHandler(c, "summarize-scenes")(event("Transcript Ready", { transcript: ref("transcript.json") }));

      const calls = bedrock.commandCalls(ConverseCommand).map((call) => call.args[0].input);
      expect(calls).toHaveLength(2);
      for (const input of calls) expect(input.messages![0]!.content!.filter((b) => b.image)).toEqual([]);
      expect(getKeys().filter((k) => k!.startsWith("derived/frames/"))).toEqual([]);
      expect(published()[0]).toMatchObject({ "detail-type": "Scenes Summarized", detail: { sceneCount: 2 } });
    });

    it("still summarises from text when the keyframes cannot be read", async () => {
      const c = cloud();
      await ready(c);
      for (const key of [...objects.keys()]) if (key.startsWith(`${BUCKET}/derived/frames/`)) objects.delete(key);
      await createStageHandler(c, "summarize-scenes")(event("Transcript Ready", { transcript: ref("transcript.json") }));

      const calls = bedrock.commandCalls(ConverseCommand).map((call) => call.args[0].input);
      expect(calls).toHaveLength(2);
      for (const input of calls) expect(input.messages![0]!.content!.filter((b) => b.image)).toEqual([]);
      const [summarized] = published();
      if (summarized?.["detail-type"] !== "Scenes Summarized") throw new Error("no Scenes Summarized");
      expect(summarized.detail.engine.note).toMatch(/keyframes could not be loaded/);
    });
  });

  it("request-review: after Moderation Completed (review), stores core's review task and starts the A2I human loop with it and presigned URLs", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn:aws:sagemaker:us-east-1:111122223333:human-loop/x" });
    const c = cloud();
    await seedAnalysis(c, { moderation: "review" });
    await createStageHandler(c, "request-review")(event("Moderation Completed", { moderation: ref("moderation.json"), decision: "review", segmentCount: 1 }));

    const taskId = `${mediaId}-review`;
    const stored = ReviewTask.parse(JSON.parse(objects.get(`${BUCKET}/${ref("review-task.json").key}`)!.body.toString()));
    expect(stored).toMatchObject({
      taskId, mediaId, source, moderation: ref("moderation.json"), modelDecision: "review", thresholds: { reviewMin: 50, flagMin: 80 },
      segments: [{ index: 0, name: "Suggestive", category: "Suggestive", decision: "review", keyframe: { bucket: BUCKET, key: `derived/frames/${mediaId}/000003.jpg` } }],
    });
    expect(putKeys()).toEqual([ref("review-task.json").key]);

    const calls = a2i.commandCalls(StartHumanLoopCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ HumanLoopName: humanLoopNameFor(taskId), FlowDefinitionArn: env.FLOW_DEFINITION_ARN });
    const task = ReviewTaskInput.parse(JSON.parse(input.HumanLoopInput!.InputContent!));
    // The stored task's fields, plus what the A2I template needs to show the media.
    const { segments: _s, ...fields } = stored;
    expect(task).toMatchObject({ ...fields, mediaS3Uri: `s3://${BUCKET}/${source.key}`, segmentCount: 1, segments: [{ ...stored.segments[0], keyframeS3Uri: `s3://${BUCKET}/derived/frames/${mediaId}/000003.jpg` }] });
    const url = new URL(task.mediaUrl);
    expect(url.pathname).toContain(source.key);
    expect(url.searchParams.get("X-Amz-Expires")).toBe(String(12 * 3600));
    expect(task.segments[0]!.keyframeUrl).toContain(`derived/frames/${mediaId}/000003.jpg`);
    expect(getKeys()).toEqual([`derived/${mediaId}/moderation.json`]);

    const [requested, ...rest] = published();
    expect(rest).toEqual([]);
    expect(requested).toMatchObject({
      "detail-type": "Review Requested",
      detail: { mediaId, taskId, moderation: ref("moderation.json"), task: ref("review-task.json"), segmentCount: 1, modelDecision: "review" },
    });
  });

  it("complete-analysis: reads every stored document, writes report.json and emits Analysis Completed", async () => {
    const c = cloud();
    await seedAnalysis(c);
    const shotsDoc: ShotsDocument = {
      durationMs: 4000, width: 160, height: 90, engine: engine("ffmpeg"),
      shots: [0, 1].map((index) => ({ index, startMs: index * 2000, endMs: (index + 1) * 2000, cutScore: 1, keyframe: { bucket: BUCKET, key: `derived/frames/${mediaId}/00000${index + 1}.jpg` } })),
      frames: [],
    };
    store(ref("shots.json"), shotsDoc);
    await done(c, "detect-shots", { ref: ref("shots.json"), engine: shotsDoc.engine });
    const scenesDoc: ScenesDocument = {
      scenes: [{ index: 0, startMs: 0, endMs: 4000, shotIndexes: [0, 1], summary: "Two people talk about a car.", labels: ["Person", "Car"], moderation: [], speakers: ["spk_0", "spk_1"], summarizer: "llm" }],
      engine: engine("amazon-bedrock-converse"),
    };
    store(ref("scenes.json"), scenesDoc);
    await done(c, "summarize-scenes", { ref: ref("scenes.json"), engine: scenesDoc.engine });

    await createStageHandler(c, "complete-analysis")(event("Scenes Summarized", { scenes: ref("scenes.json"), sceneCount: 1 }));

    expect(new Set(getKeys())).toEqual(new Set(["probe.json", "shots.json", "labels.json", "moderation.json", "transcript.json", "scenes.json"].map((n) => ref(n).key)));
    const put = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(put).toHaveLength(1);
    expect(put[0]).toMatchObject({ Bucket: BUCKET, Key: `derived/${mediaId}/report.json`, ContentType: "application/json" });
    const report = Report.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/report.json`)!.body.toString()));
    expect(report).toMatchObject({ mediaId, filename: "clip.mp4", status: "completed", review: { status: "not-required" } });
    expect(report.shots.map((s) => s.keyframe)).toEqual(shotsDoc.shots.map((s) => `s3://${BUCKET}/${s.keyframe.key}`));
    expect(report.stages["request-review"]!.status).toBe("skipped");

    const [completed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(completed).toMatchObject({
      "detail-type": "Analysis Completed",
      detail: { mediaId, report: ref("report.json"), status: "completed", decision: "clean", review: { status: "not-required" }, durationMs: 4000 },
    });
  });
  describe("finalize-analysis", () => {
    const taskId = `${mediaId}-review`;

    /**
     * Everything up to the first report with a review open: the stages' documents, request-review
     * done (its task stored), then complete-analysis for real. Returns its `Analysis Completed`.
     */
    async function firstReport(c: Cloud) {
      await seedAnalysis(c, { moderation: "review" });
      const shotsDoc: ShotsDocument = {
        durationMs: 4000, width: 160, height: 90, engine: engine("ffmpeg"), frames: [],
        shots: [{ index: 0, startMs: 0, endMs: 4000, cutScore: 1, keyframe: { bucket: BUCKET, key: `derived/frames/${mediaId}/000001.jpg` } }],
      };
      store(ref("shots.json"), shotsDoc);
      await done(c, "detect-shots", { ref: ref("shots.json"), engine: shotsDoc.engine });
      const scenesDoc: ScenesDocument = {
        scenes: [{ index: 0, startMs: 0, endMs: 4000, shotIndexes: [0], summary: "A person and a car.", labels: ["Person", "Car"], moderation: [], speakers: ["spk_0"], summarizer: "llm" }],
        engine: engine("amazon-bedrock-converse"),
      };
      store(ref("scenes.json"), scenesDoc);
      await done(c, "summarize-scenes", { ref: ref("scenes.json"), engine: scenesDoc.engine });
      store(ref("review-task.json"), buildReviewTask({
        taskId, mediaId, source, moderationRef: ref("moderation.json"), moderation: moderationDoc("review"), createdAt: new Date("2026-11-20T10:00:05Z"),
      }));
      await done(c, "request-review", { taskId, task: ref("review-task.json") });

      await createStageHandler(c, "complete-analysis")(event("Scenes Summarized", { scenes: ref("scenes.json"), sceneCount: 1 }));
      const [first, ...rest] = published();
      expect(rest).toEqual([]);
      if (first?.["detail-type"] !== "Analysis Completed") throw new Error("no first report");
      expect(first.detail).toMatchObject({ final: false, decision: "review", decidedBy: "model", review: { status: "pending", taskId } });
      s3.resetHistory();
      events.resetHistory();
      return first;
    }
    const report = () => Report.parse(JSON.parse(objects.get(`${BUCKET}/${ref("report.json").key}`)!.body.toString()));

    it("after the A2I verdict, rewrites report.json with it and emits the final Analysis Completed", async () => {
      const c = cloud();
      await firstReport(c);
      // The reviewer's loop completes: its output document, for this media's one segment.
      const status = fixture("a2i/fixtures/status-change-completed.json");
      const output = fixture("a2i/fixtures/output-completed.json");
      output.humanAnswers[0].answerContent = { verdict: "rejected", "segment-0-outcome": "confirmed", comment: "Not for children." };
      output.inputContent.segments = output.inputContent.segments.slice(0, 1);
      const outputAt = /^s3:\/\/([^/]+)\/(.+)$/.exec(status.detail.humanLoopOutput.outputS3Uri)!;
      store({ bucket: outputAt[1]!, key: outputAt[2]! }, output);
      await createReviewCompletion(c)(status);
      const [reviewed] = published();
      expect(reviewed).toMatchObject({ "detail-type": "Review Completed", detail: { taskId, verdict: "rejected" } });
      s3.resetHistory();
      events.resetHistory();

      await createStageHandler(c, "finalize-analysis")(reviewed!);

      expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([ref("report.json").key]);
      expect(report()).toMatchObject({
        mediaId, decision: { value: "flagged", by: "reviewer" },
        review: { status: "rejected", taskId, reviewer: "5f2b7c1e-8d3a-4e6f-9b0c-1a2b3c4d5e6f", decidedAt: "2026-11-20T10:59:41.123Z", comment: "Not for children." },
      });
      const [final, ...rest] = published();
      expect(rest).toEqual([]);
      expect(final).toMatchObject({
        "detail-type": "Analysis Completed",
        detail: {
          mediaId, report: ref("report.json"), final: true, decision: "flagged", decidedBy: "reviewer", modelDecision: "review",
          review: { status: "rejected", taskId, reviewer: "5f2b7c1e-8d3a-4e6f-9b0c-1a2b3c4d5e6f", decidedAt: "2026-11-20T10:59:41.123Z" },
        },
      });
      expect((await c.state.list(mediaId)).find((r) => r.stage === "finalize-analysis")).toMatchObject({ status: "done" });

      // A repeated trigger writes no second report, and publishes nothing: the final event is on the bus already.
      s3.resetHistory();
      events.resetHistory();
      await createStageHandler(c, "finalize-analysis")(reviewed!);
      expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
      expect(published()).toEqual([]);
      expect((await c.state.list(mediaId)).find((r) => r.stage === "finalize-analysis")).toMatchObject({ status: "done", attempts: 1, published: true });
    });

    it("when the review ends without a verdict, the final report keeps the model's decision", async () => {
      const c = cloud();
      await firstReport(c);
      await recordReviewFailure({ blobs: c.blobs, publish: c.publish }, { mediaId, source }, {
        taskId, reason: `Human loop ${taskId} was stopped`, endedAt: new Date("2026-11-21T09:00:00Z"), errorName: "HumanLoopStoppedError",
      });
      const [failed] = published();
      expect(failed).toMatchObject({ "detail-type": "Stage Failed", detail: { stage: "request-review" } });
      events.resetHistory();

      await createStageHandler(c, "finalize-analysis")(failed!);
      expect(report()).toMatchObject({ decision: { value: "review", by: "model" }, review: { status: "failed", taskId, reason: `Human loop ${taskId} was stopped` } });
      expect(published()).toEqual([
        expect.objectContaining({
          "detail-type": "Analysis Completed",
          detail: expect.objectContaining({ final: true, decision: "review", decidedBy: "model", modelDecision: "review", review: { status: "failed", taskId } }),
        }),
      ]);
    });

    it("waits for both the first report and the outcome, whichever arrives second triggers it", async () => {
      const c = cloud();
      // The first report's own event, before any verdict: the review is still open, nothing to do.
      const first = await firstReport(c);
      await createStageHandler(c, "finalize-analysis")(first);
      expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
      expect(published()).toEqual([]);
      expect((await c.state.list(mediaId)).some((r) => r.stage === "finalize-analysis")).toBe(false);

      // The verdict lands; a late redelivery of the first report's event now finalizes.
      await recordReviewDecision({ blobs: c.blobs, publish: c.publish }, { mediaId, source }, {
        taskId, verdict: "approved", reviewer: "alice", decidedAt: "2026-11-21T09:00:00.000Z", segments: [{ index: 0, outcome: "false-positive" }],
      });
      events.resetHistory();
      await createStageHandler(c, "finalize-analysis")(first);
      expect(published()).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ final: true, decision: "clean", decidedBy: "reviewer", review: expect.objectContaining({ status: "approved", reviewer: "alice" }) }) }),
      ]);
    });

    it("does nothing for a Review Completed that arrives before the first report", async () => {
      const c = cloud();
      await seedAnalysis(c, { moderation: "review" });
      await recordReviewDecision({ blobs: c.blobs, publish: c.publish }, { mediaId, source }, {
        taskId, verdict: "approved", reviewer: "alice", decidedAt: "2026-11-21T09:00:00.000Z", segments: [],
      });
      const [reviewed] = published();
      s3.resetHistory();
      events.resetHistory();
      await createStageHandler(c, "finalize-analysis")(reviewed!);
      expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
      expect(published()).toEqual([]);
    });
  });
});
