import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  DetectLabelsCommand, DetectModerationLabelsCommand, StartContentModerationCommand, StartLabelDetectionCommand,
  type DetectLabelsCommandOutput, type DetectModerationLabelsCommandOutput,
} from "@aws-sdk/client-rekognition";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  catalog, labelsResult, LabelsDocument, makeEvent, ModerationDocument, moderationResult,
  DEFAULT_THRESHOLDS, type BlobStore, type DetailType, type ObjectRef,
} from "@media-pipeline/core";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BUCKET, ENV, MEDIA_ID as mediaId, useMockedCloud } from "../../../test-support/mocked-cloud.js";
import type { Cloud } from "../../cloud.js";
import { FRAMES_MODE_MAX_DURATION_MS, VISION_FRAME_MAX_WIDTH, VISION_FRAMES_PREFIX } from "../../cloud-stages.js";
import { ConfigurationError } from "../../errors.js";
import { createStageHandler } from "../../stage-handler.js";
import { REKOGNITION_IMAGE_ENGINE } from "./image.js";
import { REKOGNITION_VIDEO_ENGINE } from "./results.js";

/*
 * detect-labels and moderate in frames mode, end to end in their Lambda handlers: the upload streamed
 * from (mocked) S3, real ffmpeg sampling a generated video, (mocked) Rekognition Image calls per frame,
 * the document in S3 and the event on the bus, in the same shape a video job's collector produces.
 */

const aws = useMockedCloud({ env: { ...ENV.base, VISION_MODE: "frames", FRAME_SAMPLE_SECONDS: "2" } });
const { s3, rekognition, objects, published } = aws;
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const envelope = { id: "e1", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as T;

let clip: Buffer;

beforeAll(() => {
  // 7 s at 1920×1080: a moving test pattern for 3 s, a hard cut, colour bars for 4 s.
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "frames-mode-")), "clip.mp4");
  execFileSync("ffmpeg", [
    "-v", "error", "-nostdin", "-y",
    "-f", "lavfi", "-t", "3", "-i", "testsrc2=s=1920x1080:r=25",
    "-f", "lavfi", "-t", "4", "-i", "smptebars=s=1920x1080:r=25",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]",
    "-c:v", "libx264", "-preset", "ultrafast", file,
  ]);
  clip = readFileSync(file);
});

beforeEach(() => {
  objects.set(`${source.bucket}/${source.key}`, { body: clip });
});

/** The cloud on the mocked clients (test-support/mocked-cloud.ts). */
const cloud = (overrides: Record<string, string> = {}): Cloud => aws.cloud(overrides);

const probed = (durationMs = 7000) =>
  makeEvent("Media Probed", { ...catalog["Media Probed"].example, mediaId, correlationId: mediaId, source, durationMs }, envelope);

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(data: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(data);
  for (let at = 2; at + 9 < b.length; at += 2 + b.readUInt16BE(at + 2)) {
    const marker = b[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
  }
  throw new Error("no SOF");
}

/** The detail a video job's collector publishes from the same kind of frames (core's one builder). */
async function videoModeDetail(type: DetailType): Promise<Record<string, unknown>> {
  const blobs: BlobStore = { putJson: async () => {}, getJson: async () => ({}) as never, size: async () => undefined };
  const engine = { name: REKOGNITION_VIDEO_ENGINE, version: "3.0", settings: { api: "GetLabelDetection", jobId: "j", aggregation: "TIMESTAMPS" } };
  // A video job's collector says what the job read (the upload or a rendition).
  const analysis = { input: "upload" as const, reason: "H.264 video in MP4, which Rekognition Video reads as uploaded", video: source };
  const result = type === "Labels Detected"
    ? await labelsResult(blobs, { mediaId, source, engine, analysis, frames: [{ timestampMs: 0, detections: [{ name: "Cat", confidence: 97 }] }, { timestampMs: 500, detections: [] }] })
    : await moderationResult(blobs, DEFAULT_THRESHOLDS, { mediaId, source, engine, analysis, frames: [{ timestampMs: 0, labels: [{ name: "Suggestive", parent: "", confidence: 93.71 }] }] });
  return result.emit[0]!.detail as Record<string, unknown>;
}

describe("frames mode (MEDIA_VISION_MODE=frames) in the detect-labels and moderate Lambdas", () => {
  it("detect-labels: samples the video with ffmpeg, calls DetectLabels per frame and emits Labels Detected in the video job's shape", async () => {
    rekognition.on(DetectLabelsCommand).resolves(fixture<DetectLabelsCommandOutput>("detect-labels"));
    const c = cloud();
    await createStageHandler(c, "detect-labels")(probed());

    // No video job; the upload was read once; nothing but the document was written (frames stay in /tmp).
    expect(rekognition.commandCalls(StartLabelDetectionCommand)).toEqual([]);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).toEqual([source.key]);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([`derived/${mediaId}/labels.json`]);

    // A keyframe at 0 and at the cut (3 s), and one every 2 s inside each shot: 0, 2, 3, 5 (and the tail).
    const calls = rekognition.commandCalls(DetectLabelsCommand).map((call) => call.args[0].input);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.length).toBeLessThanOrEqual(5);
    for (const input of calls) {
      const bytes = input.Image!.Bytes!;
      expect(Buffer.from(bytes.subarray(0, 3))).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(bytes.length).toBeLessThan(5_242_880);
      // Scaled from 1920 to the frames-mode width, aspect kept.
      expect(jpegSize(bytes)).toEqual({ width: VISION_FRAME_MAX_WIDTH, height: 720 });
      expect(input).toMatchObject({ MinConfidence: 50, Features: ["GENERAL_LABELS"] });
    }

    const doc = LabelsDocument.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/labels.json`)!.body.toString()));
    expect(doc.framesAnalyzed).toBe(calls.length);
    expect(doc.engine).toMatchObject({ name: REKOGNITION_IMAGE_ENGINE, version: "3.0", settings: { api: "DetectLabels", sampleEveryMs: 2000, maxWidth: VISION_FRAME_MAX_WIDTH, frames: calls.length } });
    const cat = doc.labels.find((l) => l.name === "Cat")!;
    expect(cat.count).toBe(calls.length);
    const seenAt = cat.instances.map((i) => i.timestampMs);
    expect(seenAt.slice(0, 4)).toEqual([0, 2000, expect.any(Number), expect.any(Number)]);
    expect(Math.abs(seenAt[2]! - 3000)).toBeLessThanOrEqual(40);
    // Seen on every sampled frame, so one occurrence over the whole video.
    expect(cat.occurrences).toHaveLength(1);

    const [detected, ...rest] = published();
    expect(rest).toEqual([]);
    expect(detected).toMatchObject({
      "detail-type": "Labels Detected",
      detail: { mediaId, labels: { bucket: BUCKET, key: `derived/${mediaId}/labels.json` }, framesAnalyzed: calls.length, engine: { name: REKOGNITION_IMAGE_ENGINE } },
    });
    expect(Object.keys(detected!.detail).sort()).toEqual(Object.keys({ version: 1, mediaId, correlationId: mediaId, ...(await videoModeDetail("Labels Detected")) }).sort());
    // What was analysed: frames of the upload, not a video job's input.
    expect(detected!.detail).toMatchObject({ analysis: { input: "frames", video: source, reason: expect.stringMatching(/one every 2 s\).*MEDIA_VISION_MODE=frames/) } });
    expect((await c.state.list(mediaId))[0]).toMatchObject({ stage: "detect-labels", status: "done" });
  });

  it("moderate: calls DetectModerationLabels per frame and decides as with a video job", async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves(fixture<DetectModerationLabelsCommandOutput>("detect-moderation-labels"));
    const c = cloud({ FRAME_SAMPLE_SECONDS: "1" });
    await createStageHandler(c, "moderate")(probed());

    expect(rekognition.commandCalls(StartContentModerationCommand)).toEqual([]);
    // Every second inside each shot: more calls than at 2 s.
    const calls = rekognition.commandCalls(DetectModerationLabelsCommand);
    expect(calls.length).toBeGreaterThanOrEqual(7);
    const doc = ModerationDocument.parse(JSON.parse(objects.get(`${BUCKET}/derived/${mediaId}/moderation.json`)!.body.toString()));
    expect(doc.decision).toBe("flagged");
    expect(doc.engine).toMatchObject({ name: REKOGNITION_IMAGE_ENGINE, version: "7.0", settings: { api: "DetectModerationLabels", sampleEveryMs: 1000 } });
    expect(doc.segments.map((s) => s.name)).toEqual(expect.arrayContaining(["Suggestive", "Swimwear or Underwear", "Female Swimwear or Underwear"]));

    const [completed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(completed).toMatchObject({ "detail-type": "Moderation Completed", detail: { decision: "flagged", engine: { name: REKOGNITION_IMAGE_ENGINE } } });
    expect(Object.keys(completed!.detail).sort()).toEqual(Object.keys({ version: 1, mediaId, correlationId: mediaId, ...(await videoModeDetail("Moderation Completed")) }).sort());
  });

  it("fails the stage with a readable reason for media longer than frames mode takes, before any download or call", async () => {
    const c = cloud();
    await createStageHandler(c, "detect-labels")(probed(FRAMES_MODE_MAX_DURATION_MS + 60_000));
    expect(rekognition.calls()).toEqual([]);
    expect(s3.commandCalls(GetObjectCommand)).toEqual([]);
    const [failed] = published();
    expect(failed).toMatchObject({ "detail-type": "Stage Failed", detail: { stage: "detect-labels", error: { name: "NonRetryableError" } } });
    expect(JSON.stringify(failed!.detail)).toMatch(/MEDIA_VISION_MODE=video/);
  });

  it("keeps the frames it samples out of the shot pass's derived/frames/ prefix", () => {
    expect(VISION_FRAMES_PREFIX).not.toBe("derived/frames");
    expect(VISION_FRAMES_PREFIX.startsWith("derived/")).toBe(true);
  });

  it("refuses a mode or interval it does not know at cold start, instead of falling back", () => {
    expect(() => createStageHandler(cloud({ VISION_MODE: "frame" }), "detect-labels")).toThrow(ConfigurationError);
    expect(() => createStageHandler(cloud({ FRAME_SAMPLE_SECONDS: "0.1" }), "moderate")).toThrow(/FRAME_SAMPLE_SECONDS/);
    // Video mode (the default) needs the SNS topic and role, and does not read the frames settings.
    expect(() => createStageHandler(cloud({ VISION_MODE: "" }), "detect-labels")).toThrow(/REKOGNITION_TOPIC_ARN/);
  });
});
