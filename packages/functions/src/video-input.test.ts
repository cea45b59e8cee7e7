import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetLabelDetectionCommand, RekognitionClient, StartContentModerationCommand, StartLabelDetectionCommand, StartSegmentDetectionCommand,
} from "@aws-sdk/client-rekognition";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  catalog, makeEvent, matchesPattern, MemoryStateStore, parseEvent, routes, type AnyPipelineEvent, type ObjectRef, type StageName,
} from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createS3Workspace } from "./adapters/s3-workspace.js";
import { createCloud, type Cloud } from "./cloud.js";
import { createRekognitionCompletion } from "./completions.js";
import { createStageHandler } from "./stage-handler.js";
import { s3ClientConfig, startMediaBucket, type MediaBucket } from "../test-support/media-bucket.js";

/*
 * Video Rekognition Video cannot read (VP9 in WebM, HEVC in MP4, H.264 in Matroska), end to end in
 * the cloud's stage Lambdas: real ffprobe and ffmpeg on generated media read over presigned URLs,
 * mocked Rekognition. The probe says whether the upload is ready, prepare-video writes the rendition,
 * and the vision jobs start on it; an H.264 MP4 goes to Rekognition untouched.
 */

const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const rekognition = mockClient(RekognitionClient);
const dynamo = mockClient(DynamoDBClient);

const BUCKET = "media-bucket";
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const env = {
  EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: BUCKET, STATE_TABLE: "state",
  REKOGNITION_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
  REKOGNITION_ROLE_ARN: "arn:aws:iam::111122223333:role/rekognition-publish",
};
const envelope = { id: "e1", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };
const rendition: ObjectRef = { bucket: BUCKET, key: `derived/${mediaId}/rendition.mp4` };

let bucket: MediaBucket;
let workdir: string;
const media: Record<string, Buffer> = {};

/**
 * ffprobe on a file: container, first video stream's codec, and its frames' times in media time (from
 * the first frame, as ffmpeg's decoders give them to every stage: a WebM's video may start at 7 ms).
 */
function inspect(bytes: Buffer): { format: string; codec: string; times: number[] } {
  const file = path.join(workdir, `inspect-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, bytes);
  const json = JSON.parse(execFileSync("ffprobe", [
    "-v", "error", "-select_streams", "v:0", "-show_entries", "format=format_name:stream=codec_name:frame=pts_time", "-of", "json", file,
  ]).toString()) as { format: { format_name: string }; streams: Array<{ codec_name: string }>; frames: Array<{ pts_time: string }> };
  const times = json.frames.map((f) => Number(f.pts_time)).sort((a, b) => a - b);
  return { format: json.format.format_name, codec: json.streams[0]!.codec_name, times: times.map((t) => Math.round((t - times[0]!) * 1000)) };
}

beforeAll(async () => {
  bucket = await startMediaBucket();
  workdir = mkdtempSync(path.join(os.tmpdir(), "video-input-"));
  // 4 s at 25 fps, 320×180: a moving test pattern, a hard cut at 2 s, colour bars; a tone.
  const picture = [
    "-f", "lavfi", "-t", "2", "-i", "testsrc2=s=320x180:r=25", "-f", "lavfi", "-t", "2", "-i", "smptebars=s=320x180:r=25",
    "-f", "lavfi", "-t", "4", "-i", "sine=frequency=440:sample_rate=48000",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-map", "2:a",
  ];
  const encode = (name: string, args: string[]) => {
    const file = path.join(workdir, name);
    execFileSync("ffmpeg", ["-v", "error", "-nostdin", "-y", ...picture, ...args, file]);
    media[name] = readFileSync(file);
  };
  encode("clip.mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "48k"]);
  encode("clip.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k", "-c:a", "libopus", "-b:a", "48k"]);
  encode("phone.mp4", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", "-b:a", "48k"]);
  encode("obs.mkv", ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "48k"]);
}, 120_000);

afterAll(() => bucket.close());

beforeEach(() => {
  for (const m of [s3, events, rekognition, dynamo]) m.reset();
  bucket.objects.clear();
  bucket.install(s3);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
  dynamo.on(QueryCommand).resolves({ Items: [] }); // an empty Rekognition backlog
  rekognition.on(StartLabelDetectionCommand).resolves({ JobId: "job-labels" });
  rekognition.on(StartContentModerationCommand).resolves({ JobId: "job-moderation" });
  rekognition.on(StartSegmentDetectionCommand).resolves({ JobId: "job-segments" });
});

function cloud(): Cloud {
  const c = createCloud(env, {
    s3: new S3Client(s3ClientConfig(bucket.server)), events: new EventBridgeClient({}), rekognition: new RekognitionClient({}), dynamo: new DynamoDBClient({}),
  });
  return { ...c, state: new MemoryStateStore(), workspace: createS3Workspace({ s3: c.clients.s3, root: mkdtempSync(path.join(workdir, "ws-")) }) };
}

function published(): AnyPipelineEvent[] {
  return events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) =>
    parseEvent({ version: "0", id: "x", "detail-type": e.DetailType, source: e.Source, account: "1", time: "2026-11-20T10:00:00Z", region: "r", resources: [], detail: JSON.parse(e.Detail!) }),
  );
}

/**
 * Uploads `name`, then delivers every event the stages publish to the routes that match it, as
 * EventBridge would, for the stages given (the others are not run).
 */
async function flow(c: Cloud, name: string, stages: StageName[]): Promise<string[]> {
  const source = { bucket: BUCKET, key: `media/${mediaId}/${name}` };
  bucket.objects.set(`${BUCKET}/${source.key}`, { body: media[name]! });
  const received = makeEvent("Media Received", { ...catalog["Media Received"].example, mediaId, correlationId: mediaId, source, filename: name, sizeBytes: media[name]!.length }, envelope);
  const handlers = Object.fromEntries(stages.map((s) => [s, createStageHandler(c, s)]));
  const ran: string[] = [];
  const queue: AnyPipelineEvent[] = [received];
  for (let seen = 0; queue.length; ) {
    const event = queue.shift()!;
    for (const route of routes.filter((r) => r.stage in handlers && matchesPattern(r.pattern, event))) {
      ran.push(`${route.stage} <- ${event["detail-type"]}`);
      await handlers[route.stage]!(event);
    }
    const all = published();
    queue.push(...all.slice(seen));
    seen = all.length;
  }
  return ran;
}

const VISION: StageName[] = ["probe", "prepare-video", "detect-shots", "detect-labels", "moderate"];
const startedOn = () => ({
  labels: rekognition.commandCalls(StartLabelDetectionCommand).map((call) => call.args[0].input.Video?.S3Object?.Name),
  moderation: rekognition.commandCalls(StartContentModerationCommand).map((call) => call.args[0].input.Video?.S3Object?.Name),
  segments: rekognition.commandCalls(StartSegmentDetectionCommand).map((call) => call.args[0].input.Video?.S3Object?.Name),
});

describe("video Rekognition cannot read, in the cloud's Lambdas", () => {
  it.each([
    ["clip.webm", "VP9 video in a Matroska/WebM container", "transcode"],
    ["phone.mp4", "HEVC (H.265) video in MP4", "transcode"],
    ["obs.mkv", "H.264 video in a Matroska/WebM container", "remux"],
  ])("%s: probed as not ready, prepared as an H.264 MP4 rendition with the same frame times, and every vision job starts on it", async (name, what, mode) => {
    const c = cloud();
    const ran = await flow(c, name, VISION);
    expect(ran).toEqual([
      "probe <- Media Received", "prepare-video <- Media Probed",
      "detect-shots <- Video Prepared", "detect-labels <- Video Prepared", "moderate <- Video Prepared",
    ]);
    const [probed, prepared] = published();
    expect(probed).toMatchObject({ "detail-type": "Media Probed", detail: { video: { rekognitionReady: false, rendition: mode, reason: expect.stringContaining(what) } } });
    expect(prepared).toMatchObject({
      "detail-type": "Video Prepared",
      detail: { input: "rendition", video: rendition, reason: expect.stringContaining(what), engine: { name: "ffmpeg", settings: { mode } } },
    });

    // The upload's clock starts at its earliest stream (a WebM's Opus leads its video by 7 ms): the
    // rendition starts at its first frame, and what is read from it is shifted back by the difference.
    const starts = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,start_time:format=start_time", "-of", "json", path.join(workdir, name)]).toString());
    const lead = Math.round((Number(starts.streams.find((s: { codec_type: string }) => s.codec_type === "video").start_time) - Number(starts.format.start_time)) * 1000);
    expect((prepared!.detail as { offsetMs?: number }).offsetMs ?? 0).toBe(lead);
    if (name === "clip.webm") expect(lead).toBe(14);

    // The rendition is what Rekognition reads: H.264 in MP4, every frame at the upload's time.
    const made = inspect(bucket.objects.get(`${BUCKET}/${rendition.key}`)!.body);
    const original = inspect(media[name]!);
    expect(made).toMatchObject({ format: expect.stringContaining("mp4"), codec: "h264" });
    expect(made.times).toEqual(original.times);
    expect(bucket.objects.get(`${BUCKET}/${rendition.key}`)!.contentType).toBe("video/mp4");

    expect(startedOn()).toEqual({ labels: [rendition.key], moderation: [rendition.key], segments: [rendition.key] });
    // The stages remember why, for the collected results and the report.
    const records = await c.state.list(mediaId);
    expect(records.find((r) => r.stage === "prepare-video")?.output?.facts?.analysis).toEqual({
      input: "rendition", video: rendition, reason: expect.stringContaining(what), ...(lead ? { offsetMs: lead } : {}),
    });
  }, 60_000);

  it("clip.mp4 (H.264 in MP4): probed as ready, no rendition, the vision jobs start on the upload untouched", async () => {
    const c = cloud();
    const ran = await flow(c, "clip.mp4", VISION);
    expect(ran).toEqual(["probe <- Media Received", "detect-shots <- Media Probed", "detect-labels <- Media Probed", "moderate <- Media Probed"]);
    expect(published()[0]).toMatchObject({ "detail-type": "Media Probed", detail: { video: { rekognitionReady: true, rendition: "none" } } });
    const upload = `media/${mediaId}/clip.mp4`;
    expect(startedOn()).toEqual({ labels: [upload], moderation: [upload], segments: [upload] });
    expect(bucket.objects.has(`${BUCKET}/${rendition.key}`)).toBe(false);
    // The probe read ranges of the upload (box headers), never the whole object through the SDK.
    const reads = s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input).filter((i) => i.Key === upload);
    for (const read of reads) expect(read.Range).toMatch(/^bytes=\d+-\d+$/);
  }, 60_000);

  it("settles a FAILED job's stage with Rekognition's StatusMessage in the reason", async () => {
    const c = cloud();
    await c.state.begin(mediaId, "detect-labels", 6 * 3600_000);
    rekognition.on(GetLabelDetectionCommand).resolves({ JobStatus: "FAILED", StatusMessage: "Unsupported codec/format.", Labels: [] });
    const message = {
      JobId: "job-labels", Status: "FAILED", API: "LABEL_DETECTION", JobTag: `${mediaId}-labels`, Timestamp: 1763632800000,
      Video: { S3ObjectName: `media/${mediaId}/clip.webm`, S3Bucket: BUCKET },
    };
    await createRekognitionCompletion(c)({ Records: [{ Sns: { Message: JSON.stringify(message) } }] });
    const [failed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({
      "detail-type": "Stage Failed",
      detail: { stage: "detect-labels", error: { message: "Rekognition LABEL_DETECTION job job-labels ended FAILED: Unsupported codec/format." } },
    });
    expect(rekognition.commandCalls(GetLabelDetectionCommand)[0]!.args[0].input).toMatchObject({ JobId: "job-labels" });
  });
});
