import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  GetContentModerationCommand, GetLabelDetectionCommand, GetSegmentDetectionCommand, StartContentModerationCommand,
  StartLabelDetectionCommand, StartSegmentDetectionCommand,
} from "@aws-sdk/client-rekognition";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { StartHumanLoopCommand } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetTranscriptionJobCommand, StartTranscriptionJobCommand } from "@aws-sdk/client-transcribe";
import {
  catalog, makeEvent, parseEvent,
  type AnyPipelineEvent, type DetailType, type LabelsDocument, type ModerationDocument, type ObjectRef, type ProbeResult,
  type ScenesDocument, type ShotsDocument, type StageName, type TranscriptDocument,
} from "@media-pipeline/core";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BUCKET, ENV, MEDIA_ID as mediaId, useMockedCloud } from "../test-support/mocked-cloud.js";
import { createEventBridgePublish } from "./adapters/eventbridge-publish.js";
import type { Cloud } from "./cloud.js";
import { createRekognitionCompletion, createTranscribeCompletion } from "./completions.js";
import { createIngestHandler } from "./ingest.js";
import { createStageHandler } from "./stage-handler.js";

/*
 * Idempotency of the cloud handlers under EventBridge's at-least-once delivery: each stage Lambda
 * given the same event twice, and a third time as an archive replay would send it (a new id and a
 * `replay-name`), does its work once — one document written, one job started, one model call — and
 * publishes its output once: the first delivery publishes it and records that it did, so the
 * duplicates and the replay find the stage settled and published and put nothing on the bus (a stage
 * settled but never published, a crash between the state write and PutEvents, is published by the
 * next delivery: unpublished-redelivery.test.ts). Duplicate S3 notifications, job
 * completions arriving twice, and join inputs arriving in every order are covered too. Duplicate A2I
 * status events are in review-completion.test.ts ("review completion: repeated and late notices");
 * the local runtime's counterparts in test/idempotency.test.ts.
 */

const env = { ...ENV.base, ...ENV.rekognition, ...ENV.a2i, ...ENV.transcribe, BEDROCK_MODEL_ID: "amazon.nova-lite-v1:0", BEDROCK_ACCEPTS_IMAGES: "false" };
const aws = useMockedCloud({ env, objectServer: true });
const { s3, events, rekognition, transcribe, bedrock, a2i, sqs, objects, store } = aws;
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const ref = (name: string): ObjectRef => ({ bucket: BUCKET, key: `derived/${mediaId}/${name}` });
const fixture = (p: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, p), "utf8"));
const engine = (name: string) => ({ name, version: "test" });

let clip: Buffer;
beforeAll(async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "duplicate-delivery-")), "clip.mp4");
  execFileSync("ffmpeg", [
    "-v", "error", "-nostdin", "-y",
    "-f", "lavfi", "-t", "1.5", "-i", "testsrc2=s=160x90:r=10", "-f", "lavfi", "-t", "1.5", "-i", "smptebars=s=160x90:r=10",
    "-f", "lavfi", "-t", "3", "-i", "sine=frequency=440:sample_rate=22050",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-map", "2:a",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "32k", "-t", "3", file,
  ]);
  clip = readFileSync(file);
});

beforeEach(() => {
  objects.set(`${source.bucket}/${source.key}`, { body: clip, contentType: "video/mp4" });
});

/** The cloud on the mocked clients (test-support/mocked-cloud.ts), state on a clock the test may move. */
const cloud = (now?: () => number): Cloud => aws.cloud({}, { now });

/** What the handlers put on the bus: detail-type and detail (the envelope is EventBridge's to make). */
const published = aws.sent;
const puts = (suffix: string) => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key!).filter((k) => k.endsWith(suffix));
const gets = (key: string) => s3.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Key === key).length;

let ids = 0;
function event<T extends DetailType>(type: T, detail: Record<string, unknown> = {}) {
  return makeEvent(type, { ...catalog[type].example, mediaId, correlationId: mediaId, ...detail }, {
    id: `event-${++ids}`, time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1",
  });
}
/** The same event as an archive replay delivers it: a new id and the replay's name beside the envelope fields. */
const replayed = (e: AnyPipelineEvent) => ({ ...structuredClone(e), id: `replayed-${e.id}`, "replay-name": "media-bus-replay-20261121" });

const PLAN: StageName[] = ["probe", "extract-audio", "detect-shots", "detect-labels", "moderate", "transcribe", "summarize-scenes", "request-review", "complete-analysis"];
const probed = () => event("Media Probed", { source, durationMs: 3000, plan: PLAN, kind: "video", hasAudio: true });

async function done(c: Cloud, stage: StageName, facts: Record<string, unknown>): Promise<void> {
  await c.state.begin(mediaId, stage, 60_000);
  await c.state.finish(mediaId, stage, { events: [], facts });
}

const probeDoc: ProbeResult = {
  kind: "video", durationMs: 3000, sizeBytes: 50_000, container: "mov,mp4,m4a,3gp,3g2,mj2", hasVideo: true, hasAudio: true,
  streams: [{ index: 0, type: "video", codec: "h264", width: 160, height: 90, fps: 10 }, { index: 1, type: "audio", codec: "aac", sampleRate: 22050, channels: 1 }],
  engine: engine("ffprobe"),
};
const labelsDoc: LabelsDocument = {
  framesAnalyzed: 4,
  labels: [
    { name: "Person", confidence: 97, meanConfidence: 95, count: 2, parents: [], occurrences: [{ startMs: 0, endMs: 1400, confidence: 97 }], instances: [] },
    { name: "Car", confidence: 91, meanConfidence: 90, count: 2, parents: [], occurrences: [{ startMs: 1600, endMs: 3000, confidence: 91 }], instances: [] },
  ],
  engine: engine("amazon-rekognition-video"),
};
const transcriptDoc: TranscriptDocument = {
  language: "en-US", hasWords: false, notes: [], engine: engine("amazon-transcribe"), engines: [engine("amazon-transcribe")],
  speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 1000 }, { id: "spk_1", label: "Speaker 2", speechMs: 1000 }],
  segments: [
    { speaker: "spk_0", startMs: 100, endMs: 1300, text: "Welcome to the launch review." },
    { speaker: "spk_1", startMs: 1700, endMs: 2900, text: "The new car ships in March." },
  ],
  speech: [{ startMs: 100, endMs: 1300 }, { startMs: 1700, endMs: 2900 }], speakerLabels: { speakers: 2, segments: [] },
};
const shotsDoc: ShotsDocument = {
  durationMs: 3000, width: 160, height: 90, engine: engine("ffmpeg"), frames: [],
  shots: [0, 1].map((index) => ({ index, startMs: index * 1500, endMs: (index + 1) * 1500, cutScore: 1, keyframe: { bucket: BUCKET, key: `derived/frames/${mediaId}/00000${index + 1}.jpg` } })),
};
const moderationDoc = (decision: ModerationDocument["decision"]): ModerationDocument => ({
  decision, thresholds: { reviewMin: 50, flagMin: 80 }, framesAnalyzed: 4, engine: engine("amazon-rekognition-video"),
  segments: decision === "clean" ? [] : [{ name: "Suggestive", parent: "", confidence: 61.2, startMs: 1600, endMs: 2400, frames: 2, decision: "review", keyframe: { bucket: BUCKET, key: `derived/frames/${mediaId}/000002.jpg` } }],
});

/** The probe and the three summary inputs recorded as their stages leave them (the join's inputs). */
async function seedProbe(c: Cloud, moderation: ModerationDocument["decision"] = "clean"): Promise<void> {
  store(ref("probe.json"), probeDoc);
  await done(c, "probe", { ref: ref("probe.json"), plan: PLAN, kind: "video", durationMs: 3000, filename: "clip.mp4", source, engine: probeDoc.engine });
  await done(c, "extract-audio", { ref: ref("audio.wav"), engine: engine("ffmpeg") });
  store(ref("moderation.json"), moderationDoc(moderation));
  await done(c, "moderate", { ref: ref("moderation.json"), decision: moderation, engine: engine("amazon-rekognition-video") });
  store(ref("shots.json"), shotsDoc);
  store(ref("labels.json"), labelsDoc);
  store(ref("transcript.json"), transcriptDoc);
}
const SUMMARY_INPUTS = {
  "detect-shots": { doc: "shots.json", trigger: () => event("Shots Detected", { shots: ref("shots.json"), shotCount: 2 }) },
  "detect-labels": { doc: "labels.json", trigger: () => event("Labels Detected", { labels: ref("labels.json") }) },
  transcribe: { doc: "transcript.json", trigger: () => event("Transcript Ready", { transcript: ref("transcript.json") }) },
} as const;
type SummaryInput = keyof typeof SUMMARY_INPUTS;
const settle = (c: Cloud, stage: SummaryInput) => done(c, stage, { ref: ref(SUMMARY_INPUTS[stage].doc), engine: engine("test") });

/**
 * Delivers `trigger` three times (the event, an exact duplicate, an archive replay of it) and returns
 * what each delivery published.
 */
async function deliverThrice(handler: (raw: unknown) => Promise<void>, trigger: AnyPipelineEvent) {
  const rounds: Array<Array<{ type: string; detail: unknown }>> = [];
  for (const raw of [trigger, structuredClone(trigger), replayed(trigger)]) {
    const before = published().length;
    await handler(raw);
    rounds.push(published().slice(before));
  }
  return rounds;
}

/** One downstream event, published by the first delivery; the duplicates (and the replay) publish nothing. */
function expectOneOutput(rounds: Array<Array<{ type: string; detail: unknown }>>, type: string) {
  expect(rounds[0]!.map((e) => e.type)).toEqual([type]);
  expect(rounds.slice(1)).toEqual(rounds.slice(1).map(() => []));
}

describe("cloud stage Lambdas given the same event twice, and once more as an archive replay", () => {
  it("accepts a replayed envelope: parseEvent keeps the event and drops `replay-name`, wherever it sits", () => {
    const e = probed();
    const top = parseEvent({ ...e, "replay-name": "r1" });
    expect(top).toEqual(e);
    expect(top).not.toHaveProperty("replay-name");
    const inDetail = parseEvent({ ...e, detail: { ...e.detail, "replay-name": "r1" } });
    expect(inDetail.detail).toEqual(e.detail);
  });

  it("ingest + probe: a duplicated S3 Object Created forwards the same Media Received; ffprobe runs once, probe.json is written once", async () => {
    const notice = fixture("fixtures/s3-object-created.json");
    const key = notice.detail.object.key as string;
    objects.set(`${notice.detail.bucket.name}/${key}`, { body: clip, contentType: "video/mp4" });
    const ingest = createIngestHandler({ publish: createEventBridgePublish({ client: new EventBridgeClient({ region: "us-east-1" }), eventBusName: "media-bus" }) });
    // S3 delivers at least once: the same notice again (moto even reuses the id), then once more under a new id.
    for (const n of [notice, structuredClone(notice), { ...structuredClone(notice), id: "another-delivery" }]) await ingest(n);
    const received = published();
    expect(received.map((e) => e.type)).toEqual(["Media Received", "Media Received", "Media Received"]);
    expect(received[1]).toEqual(received[0]);
    expect(received[2]).toEqual(received[0]);
    events.resetHistory();

    const c = cloud();
    const probe = createStageHandler(c, "probe");
    const reads: number[] = [];
    for (const [i, r] of received.entries()) {
      await probe(makeEvent("Media Received", r.detail, { id: `received-${i}`, time: new Date(), account: "111122223333", region: "us-east-1" }));
      reads.push(gets(key) + (aws.server.requests.get(`${notice.detail.bucket.name}/${key}`) ?? 0));
    }
    // The first delivery read the upload (ranges, and ffprobe over its URL); the duplicates read nothing.
    expect(reads[0]).toBeGreaterThan(0);
    expect(reads).toEqual([reads[0], reads[0], reads[0]]);
    expect((received[0]!.detail as { mediaId: string }).mediaId).toBe(mediaId);
    expect(puts("probe.json")).toEqual([`derived/${mediaId}/probe.json`]);
    // One Media Probed, from the first delivery; the duplicates find probe settled and published.
    expect(published().map((e) => e.type)).toEqual(["Media Probed"]);
  });

  it("extract-audio: one audio.wav and one Audio Extracted", async () => {
    const handler = createStageHandler(cloud(), "extract-audio");
    const reads: number[] = [];
    const rounds = await deliverThrice(async (raw) => {
      await handler(raw);
      reads.push(aws.server.requests.get(`${BUCKET}/${source.key}`) ?? 0);
    }, probed());
    // ffmpeg read the upload over its URL once; the duplicates read nothing.
    expect(reads[0]).toBeGreaterThan(0);
    expect(reads).toEqual([reads[0], reads[0], reads[0]]);
    expect(puts("audio.wav")).toHaveLength(1);
    expectOneOutput(rounds, "Audio Extracted");
  });

  it("detect-shots: one segment detection job; its completion delivered thrice makes one shots.json, one set of keyframes and one Shots Detected", async () => {
    rekognition.on(StartSegmentDetectionCommand).resolves({ JobId: "job-s" });
    rekognition.on(GetSegmentDetectionCommand).resolves({
      JobStatus: "SUCCEEDED", SelectedSegmentTypes: [{ Type: "SHOT", ModelVersion: "1.0" }],
      VideoMetadata: [{ Codec: "h264", DurationMillis: 3000, FrameRate: 10, FrameWidth: 160, FrameHeight: 90 }],
      Segments: [
        { Type: "SHOT", StartTimestampMillis: 0, EndTimestampMillis: 1500, ShotSegment: { Index: 0, Confidence: 100 } },
        { Type: "SHOT", StartTimestampMillis: 1500, EndTimestampMillis: 3000, ShotSegment: { Index: 1, Confidence: 90 } },
      ],
    });
    const c = cloud();
    const startRounds = await deliverThrice(createStageHandler(c, "detect-shots"), probed());
    expect(rekognition.commandCalls(StartSegmentDetectionCommand)).toHaveLength(1);
    expect(startRounds.flat()).toEqual([]);

    const message = {
      JobId: "job-s", Status: "SUCCEEDED", API: "SEGMENT_DETECTION", JobTag: `${mediaId}-segments`, Timestamp: 1763632800000,
      Video: { S3ObjectName: source.key, S3Bucket: BUCKET },
    };
    const complete = createRekognitionCompletion(c);
    const rounds = await deliverThrice(async () => complete({ Records: [{ Sns: { Message: JSON.stringify(message) } }] }), probed());
    expect(rekognition.commandCalls(GetSegmentDetectionCommand)).toHaveLength(1);
    expect(puts("shots.json")).toHaveLength(1);
    const frames = puts(".jpg");
    expect(frames).toHaveLength(2);
    expect(new Set(frames).size).toBe(frames.length);
    expectOneOutput(rounds, "Shots Detected");
  });

  it("detect-labels and moderate: one Rekognition job each, nothing published until it completes", async () => {
    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: "job-l" });
    rekognition.on(StartContentModerationCommand).resolves({ JobId: "job-m" });
    const c = cloud();
    const labelRounds = await deliverThrice(createStageHandler(c, "detect-labels"), probed());
    const moderationRounds = await deliverThrice(createStageHandler(c, "moderate"), probed());
    expect(rekognition.commandCalls(StartLabelDetectionCommand)).toHaveLength(1);
    expect(rekognition.commandCalls(StartContentModerationCommand)).toHaveLength(1);
    expect([...labelRounds, ...moderationRounds].flat()).toEqual([]);
  });

  it("detect-labels: a duplicate after the job's lease ran out starts it again under the same ClientRequestToken, which Rekognition dedupes", async () => {
    rekognition.on(StartLabelDetectionCommand).resolves({ JobId: "job-l" });
    let now = Date.parse("2026-11-20T10:00:00Z");
    const handler = createStageHandler(cloud(() => now), "detect-labels");
    await handler(probed());
    now += 7 * 3600_000; // past JOB_LEASE_MS (6 h): the first job may be lost, so the stage may start again
    await handler(replayed(probed()));
    const [first, second, ...rest] = rekognition.commandCalls(StartLabelDetectionCommand).map((c) => c.args[0].input);
    expect(rest).toEqual([]);
    expect(second!.ClientRequestToken).toBe(first!.ClientRequestToken);
    expect(second!.JobTag).toBe(first!.JobTag);
    expect(published()).toEqual([]);
  });

  it("transcribe: one Transcribe job and one delayed check", async () => {
    transcribe.on(StartTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobName: `${mediaId}-transcript`, TranscriptionJobStatus: "IN_PROGRESS" } });
    sqs.on(SendMessageCommand).resolves({ MessageId: "m1" });
    const rounds = await deliverThrice(createStageHandler(cloud(), "transcribe"), event("Audio Extracted", { audio: ref("audio.wav"), durationMs: 3000 }));
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(rounds.flat()).toEqual([]);
  });

  it("summarize-scenes: one Converse call per scene, one scenes.json, one Scenes Summarized", async () => {
    bedrock.on(ConverseCommand).resolves(fixture("adapters/bedrock/fixtures/converse-tool-use.json"));
    const c = cloud();
    await seedProbe(c);
    for (const s of Object.keys(SUMMARY_INPUTS) as SummaryInput[]) await settle(c, s);
    const rounds = await deliverThrice(createStageHandler(c, "summarize-scenes"), SUMMARY_INPUTS.transcribe.trigger());
    expectOneOutput(rounds, "Scenes Summarized");
    const scenes = (rounds[0]![0]!.detail as { sceneCount: number }).sceneCount;
    expect(scenes).toBeGreaterThan(0);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(scenes);
    expect(puts("scenes.json")).toHaveLength(1);
  });

  it("request-review: one stored task, one A2I human loop, one Review Requested", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn:aws:sagemaker:us-east-1:111122223333:human-loop/x" });
    const c = cloud();
    await seedProbe(c, "review");
    const rounds = await deliverThrice(createStageHandler(c, "request-review"), event("Moderation Completed", { moderation: ref("moderation.json"), decision: "review", segmentCount: 1 }));
    expect(a2i.commandCalls(StartHumanLoopCommand)).toHaveLength(1);
    expect(puts("review-task.json")).toHaveLength(1);
    expectOneOutput(rounds, "Review Requested");
  });

  it("complete-analysis: one report.json and one Analysis Completed", async () => {
    const c = cloud();
    await seedProbe(c);
    for (const s of Object.keys(SUMMARY_INPUTS) as SummaryInput[]) await settle(c, s);
    const scenesDoc: ScenesDocument = {
      scenes: [{ index: 0, startMs: 0, endMs: 3000, shotIndexes: [0, 1], summary: "Two people talk about a car.", labels: ["Person", "Car"], moderation: [], speakers: ["spk_0", "spk_1"], summarizer: "llm" }],
      engine: engine("amazon-bedrock-converse"),
    };
    store(ref("scenes.json"), scenesDoc);
    await done(c, "summarize-scenes", { ref: ref("scenes.json"), engine: scenesDoc.engine });
    const rounds = await deliverThrice(createStageHandler(c, "complete-analysis"), event("Scenes Summarized", { scenes: ref("scenes.json"), sceneCount: 1 }));
    expect(puts("report.json")).toHaveLength(1);
    expectOneOutput(rounds, "Analysis Completed");
    // finalize-analysis's repeated trigger: stage-handlers.test.ts ("A repeated trigger writes no second report").
  });
});

describe("cloud job completions delivered twice", () => {
  it("rekognition-complete (labels): labels.json written once, Labels Detected published once", async () => {
    const pages = [1, 2, 3].map((n) => fixture(`adapters/rekognition/fixtures/get-label-detection-page-${n}.json`));
    // Pages by NextToken, as Rekognition serves them (any number of times within the 7 days it keeps results).
    rekognition.on(GetLabelDetectionCommand).callsFake((input) => pages[input.NextToken ? pages.findIndex((p) => p.NextToken === input.NextToken) + 1 : 0]);
    const record = fixture("adapters/rekognition/fixtures/sns-label-detection-succeeded.json");
    const c = cloud();
    await c.state.begin(mediaId, "detect-labels", 60_000);
    const complete = createRekognitionCompletion(c);
    const rounds: Array<Array<{ type: string; detail: unknown }>> = [];
    for (const r of [record, structuredClone(record)]) {
      const before = published().length;
      await complete({ Records: [r] });
      rounds.push(published().slice(before));
    }
    expect(puts("labels.json")).toHaveLength(1);
    expectOneOutput(rounds, "Labels Detected");
    // The paging is part of the stage's work: a duplicate notice finds the stage settled and does not
    // read the results again.
    expect(rekognition.commandCalls(GetLabelDetectionCommand)).toHaveLength(pages.length);
  });

  it("rekognition-complete (moderation): moderation.json written once, Moderation Completed published once", async () => {
    rekognition.on(GetContentModerationCommand).resolves(fixture("adapters/rekognition/fixtures/get-content-moderation.json"));
    const record = fixture("adapters/rekognition/fixtures/sns-label-detection-succeeded.json");
    const message = JSON.parse(record.Sns.Message);
    record.Sns.Message = JSON.stringify({ ...message, JobId: "moderation-job-1", API: "CONTENT_MODERATION", JobTag: `${mediaId}-moderation` });
    const c = cloud();
    await c.state.begin(mediaId, "moderate", 60_000);
    const complete = createRekognitionCompletion(c);
    const rounds: Array<Array<{ type: string; detail: unknown }>> = [];
    for (const r of [record, structuredClone(record)]) {
      const before = published().length;
      await complete({ Records: [r] });
      rounds.push(published().slice(before));
    }
    expect(puts("moderation.json")).toHaveLength(1);
    expectOneOutput(rounds, "Moderation Completed");
    expect(rekognition.commandCalls(GetContentModerationCommand)).toHaveLength(1); // one page, read by the first notice only
  });

  it("transcribe-complete: transcript.json written once, Transcript Ready published once", async () => {
    transcribe.on(GetTranscriptionJobCommand).resolves(fixture("adapters/transcribe/fixtures/get-transcription-job-completed.json"));
    const job = fixture("adapters/transcribe/fixtures/get-transcription-job-completed.json").TranscriptionJob;
    const uri = new URL(job.Transcript.TranscriptFileUri as string);
    // The transcript where the job says it wrote it (path-style or virtual-hosted URL).
    const [bucket, ...rest] = uri.hostname.startsWith("s3.") ? uri.pathname.slice(1).split("/") : [uri.hostname.split(".")[0]!, ...uri.pathname.slice(1).split("/")];
    objects.set(`${bucket}/${decodeURIComponent(rest.join("/"))}`, { body: readFileSync(path.join(import.meta.dirname, "adapters/transcribe/fixtures/transcript-two-speakers.json")) });
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const complete = createTranscribeCompletion(c);
    const change = fixture("adapters/transcribe/fixtures/state-change-completed.json");
    change.detail.TranscriptionJobName = `${env.TRANSCRIBE_JOB_PREFIX}${mediaId}-transcript`;
    const rounds: Array<Array<{ type: string; detail: unknown }>> = [];
    for (const e of [change, structuredClone(change)]) {
      const before = published().length;
      await complete(e);
      rounds.push(published().slice(before));
    }
    expect(puts("transcript.json")).toHaveLength(1);
    expectOneOutput(rounds, "Transcript Ready");
  });
});

describe("cloud joins with their inputs arriving out of order", () => {
  const orders: SummaryInput[][] = [
    ["detect-shots", "detect-labels", "transcribe"], ["detect-shots", "transcribe", "detect-labels"],
    ["detect-labels", "detect-shots", "transcribe"], ["detect-labels", "transcribe", "detect-shots"],
    ["transcribe", "detect-shots", "detect-labels"], ["transcribe", "detect-labels", "detect-shots"],
  ];

  it.each(orders.map((o) => [o.join(" → "), o] as const))(
    "summarize-scenes fires once, when the last input settles, with events late and repeated: %s",
    async (_name, order) => {
      bedrock.reset();
      bedrock.on(ConverseCommand).resolves(fixture("adapters/bedrock/fixtures/converse-tool-use.json"));
      const c = cloud();
      await seedProbe(c);
      const handler = createStageHandler(c, "summarize-scenes");
      const deliver = (stage: SummaryInput, raw?: (e: AnyPipelineEvent) => unknown) => {
        const e = SUMMARY_INPUTS[stage].trigger();
        return handler(raw ? raw(e) : e);
      };
      const [a, b, last] = order as [SummaryInput, SummaryInput, SummaryInput];
      // a settles and its event arrives; b settles, its event arrives, then a's again (late duplicate).
      await settle(c, a);
      await deliver(a);
      await settle(c, b);
      await deliver(b);
      await deliver(a, structuredClone);
      expect(published()).toEqual([]);
      expect(bedrock.commandCalls(ConverseCommand)).toEqual([]);
      // The last settles, but an earlier event (a replay of a's) arrives before the last one's own.
      await settle(c, last);
      await deliver(a, replayed);
      await deliver(last);
      await deliver(b);
      // The replay of a's event found the join complete and ran it; the two after it publish nothing.
      const out = published();
      expect(out.map((e) => e.type)).toEqual(["Scenes Summarized"]);
      expect(bedrock.commandCalls(ConverseCommand)).toHaveLength((out[0]!.detail as { sceneCount: number }).sceneCount);
      expect(puts("scenes.json")).toHaveLength(1);
    },
  );

  it("complete-analysis writes one report when the settling events arrive newest first, each twice", async () => {
    const c = cloud();
    await seedProbe(c);
    for (const s of Object.keys(SUMMARY_INPUTS) as SummaryInput[]) await settle(c, s);
    const scenesDoc: ScenesDocument = {
      scenes: [{ index: 0, startMs: 0, endMs: 3000, shotIndexes: [0, 1], summary: "A car.", labels: ["Car"], moderation: [], speakers: [], summarizer: "extractive" }],
      engine: engine("extractive-summarizer"),
    };
    store(ref("scenes.json"), scenesDoc);
    await done(c, "summarize-scenes", { ref: ref("scenes.json"), engine: scenesDoc.engine });
    const handler = createStageHandler(c, "complete-analysis");
    const settling = [
      event("Scenes Summarized", { scenes: ref("scenes.json"), sceneCount: 1 }),
      SUMMARY_INPUTS.transcribe.trigger(), SUMMARY_INPUTS["detect-labels"].trigger(), SUMMARY_INPUTS["detect-shots"].trigger(),
      event("Moderation Completed", { moderation: ref("moderation.json"), decision: "clean", segmentCount: 0 }),
      event("Audio Extracted", { audio: ref("audio.wav"), durationMs: 3000 }),
    ];
    for (const e of settling) {
      await handler(e);
      await handler(replayed(e));
    }
    expect(puts("report.json")).toHaveLength(1);
    // The first delivery ran the join and published the report's event; the eleven after it publish nothing.
    expect(published().map((e) => e.type)).toEqual(["Analysis Completed"]);
  });
});
