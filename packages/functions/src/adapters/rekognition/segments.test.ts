import { GetSegmentDetectionCommand, RekognitionClient } from "@aws-sdk/client-rekognition";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { RekognitionJobFailedError } from "./errors.js";
import { getShotSegments } from "./segments.js";

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });

/** A segment as GetSegmentDetection documents it (timecodes and frame numbers left out: not read). */
const shot = (index: number, start: number, end: number, confidence: number) => ({
  Type: "SHOT" as const, StartTimestampMillis: start, EndTimestampMillis: end, DurationMillis: end - start, ShotSegment: { Index: index, Confidence: confidence },
});

beforeEach(() => rekognition.reset());

describe("getShotSegments", () => {
  it("maps every page's SHOT segments onto core's shots, leaving technical cues out", async () => {
    rekognition.on(GetSegmentDetectionCommand, { JobId: "j", NextToken: undefined }).resolves({
      JobStatus: "SUCCEEDED", NextToken: "p2",
      VideoMetadata: [{ Codec: "h264", DurationMillis: 9000, FrameRate: 25, FrameWidth: 1280, FrameHeight: 720 }],
      SelectedSegmentTypes: [{ Type: "SHOT", ModelVersion: "2.0" }],
      Segments: [shot(0, 0, 3000, 99.1), { Type: "TECHNICAL_CUE", StartTimestampMillis: 0, EndTimestampMillis: 9000, TechnicalCueSegment: { Type: "Content", Confidence: 100 } }],
    });
    rekognition.on(GetSegmentDetectionCommand, { JobId: "j", NextToken: "p2" }).resolves({
      JobStatus: "SUCCEEDED", Segments: [shot(1, 3000, 5000, 75), shot(2, 5000, 9000, 50)],
    });
    const { shots, video, engine } = await getShotSegments(client, "j");
    expect(shots).toEqual([
      { index: 0, startMs: 0, endMs: 3000, cutScore: 1 },
      { index: 1, startMs: 3000, endMs: 5000, cutScore: 0.5 },
      { index: 2, startMs: 5000, endMs: 9000, cutScore: 0 },
    ]);
    expect(video).toEqual({ width: 1280, height: 720, durationMs: 9000, fps: 25 });
    expect(engine).toMatchObject({ name: "amazon-rekognition-video", version: "2.0", settings: { api: "GetSegmentDetection", jobId: "j", segmentTypes: ["SHOT"] } });
    expect(engine.settings).not.toHaveProperty("renumbered");
  });

  it("numbers shots by position and says so when Rekognition's indexes have gaps, and runs a shot up to the next one's start", async () => {
    rekognition.on(GetSegmentDetectionCommand).resolves({ JobStatus: "SUCCEEDED", Segments: [shot(0, 0, 2960, 100), shot(2, 3000, 6000, 90)] });
    const { shots, engine } = await getShotSegments(client, "j");
    expect(shots.map((s) => [s.index, s.startMs, s.endMs])).toEqual([[0, 0, 3000], [1, 3000, 6000]]);
    expect(engine.settings).toMatchObject({ renumbered: true });
  });

  it("makes a video in which Rekognition found no shot one shot, and says so", async () => {
    rekognition.on(GetSegmentDetectionCommand).resolves({ JobStatus: "SUCCEEDED", VideoMetadata: [{ DurationMillis: 1500, FrameWidth: 320, FrameHeight: 180 }], Segments: [] });
    const { shots, engine } = await getShotSegments(client, "j");
    expect(shots).toEqual([{ index: 0, startMs: 0, endMs: 1500, cutScore: 1 }]);
    expect(engine.note).toMatch(/no shot boundary/);
  });

  it("throws Rekognition's StatusMessage for a FAILED job", async () => {
    rekognition.on(GetSegmentDetectionCommand).resolves({ JobStatus: "FAILED", StatusMessage: "Unsupported codec/format." });
    await expect(getShotSegments(client, "j")).rejects.toThrow(RekognitionJobFailedError);
    await expect(getShotSegments(client, "j")).rejects.toThrow("Rekognition job j failed: Unsupported codec/format.");
  });
});
