import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import {
  GetLabelDetectionCommand, GetTextDetectionCommand, RekognitionClient, StartTextDetectionCommand, type TextDetectionResult,
} from "@aws-sdk/client-rekognition";
import type { FrameText, TextDetection } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseVideoJobCompletion } from "../../../packages/functions/src/adapters/rekognition/completion.js";
import { RekognitionJobInProgressError } from "../../../packages/functions/src/adapters/rekognition/errors.js";
import { detectImageText } from "../../../packages/functions/src/adapters/rekognition/image.js";
import { startTextDetection } from "../../../packages/functions/src/adapters/rekognition/jobs.js";
import { getTextFrames } from "../../../packages/functions/src/adapters/rekognition/results.js";
import { createEmulatorEngines, type EmulatorOcr } from "./engines.js";
import { createBucket, startEmulatorFixture, upload, type EmulatorFixture } from "./fixture.js";
import { startServer, type RunningServer } from "./http.js";
import { createMotoAccess } from "./moto-access.js";
import { rekognitionHandler } from "./rekognition.js";
import { WorkQueue } from "./work-queue.js";

const run = promisify(execFile);

/*
 * Rekognition text detection (StartTextDetection, GetTextDetection, its SNS completion, DetectText)
 * through the real client and our adapters. Most tests inject a deterministic FAKE OCR: they check the
 * wire protocol (requests, filters, ids, paging, job states, the notice), not how well text is read;
 * the last one runs the harness's own OCR, the local runtime's Tesseract, on a video with a sign. It answers the same lines and words
 * for any video, and holds a job IN_PROGRESS until the test lets it go.
 */

const bucket = "media";
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source = { bucket, key: `media/${mediaId}/slides.mp4` };
const roleArn = "arn:aws:iam::123456789012:role/rekognition-sns";

const box = (left: number, top: number, width: number, height: number) => ({ left, top, width, height });
const line = (id: number, text: string, confidence: number, b: TextDetection["box"]): TextDetection => ({ text, type: "line", confidence, box: b, id });
const word = (id: number, parentId: number, text: string, confidence: number, b: TextDetection["box"]): TextDetection => ({ text, type: "word", confidence, box: b, id, parentId });

/** What the fake OCR "reads" in any video: kept, too unsure, too small, half kept, and a frame with nothing. */
const OCR_FRAMES: FrameText[] = [
  {
    timestampMs: 0,
    detections: [
      line(0, "MEDIA PIPELINE", 99.2, box(0.3, 0.4, 0.4, 0.08)),
      line(1, "blurry sign", 61, box(0.7, 0.1, 0.2, 0.03)),
      line(2, "fine print", 95, box(0.05, 0.95, 0.1, 0.01)),
      word(3, 0, "MEDIA", 99.5, box(0.3, 0.4, 0.16, 0.08)),
      word(4, 0, "PIPELINE", 98.9, box(0.48, 0.4, 0.22, 0.08)),
      word(5, 1, "blurry", 60, box(0.7, 0.1, 0.1, 0.03)),
      word(6, 1, "sign", 62, box(0.81, 0.1, 0.09, 0.03)),
      word(7, 2, "fine", 95, box(0.05, 0.95, 0.04, 0.01)),
      word(8, 2, "print", 95, box(0.1, 0.95, 0.05, 0.01)),
    ],
  },
  {
    timestampMs: 1000,
    detections: [
      line(0, "Speaker: Ada Lovelace", 96.3, box(0.05, 0.82, 0.3, 0.042)),
      word(1, 0, "Speaker:", 97.9, box(0.05, 0.82, 0.11, 0.042)),
      word(2, 0, "Ada", 95.1, box(0.17, 0.82, 0.05, 0.042)),
      word(3, 0, "Lovelace", 95.8, box(0.23, 0.82, 0.12, 0.042)),
    ],
  },
  { timestampMs: 2000, detections: [] },
  {
    timestampMs: 2500,
    detections: [
      line(0, "MIXED 42", 88, box(0.4, 0.5, 0.2, 0.05)),
      word(1, 0, "MIXED", 90, box(0.4, 0.5, 0.12, 0.05)),
      word(2, 0, "42", 70, box(0.54, 0.5, 0.06, 0.05)),
    ],
  },
];
const FAKE_ENGINE = { name: "fake-ocr", version: "0.0.0-test-double" };

/** The fake OCR; `release()` lets the jobs waiting on it finish. */
function fakeOcr() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const videoCalls: string[] = [];
  const ocr: EmulatorOcr = {
    async recognizeText(media) {
      videoCalls.push(media.id);
      await gate;
      return { frames: structuredClone(OCR_FRAMES), engine: FAKE_ENGINE };
    },
    async recognizeImageText() {
      return {
        detections: [
          line(0, "EXIT 24", 99.4, box(0.29, 0.19, 0.23, 0.1)),
          word(1, 0, "EXIT", 99.5, box(0.29, 0.19, 0.14, 0.1)),
          word(2, 0, "24", 99.2, box(0.45, 0.19, 0.07, 0.1)),
        ],
        engine: FAKE_ENGINE,
      };
    },
  };
  return { ocr, release, videoCalls };
}

let f: EmulatorFixture;
let sns: { topicArn: string; url: string };
let server: RunningServer;
let queue: WorkQueue;
let rek: RekognitionClient;
let jpeg: Buffer;
const fake = fakeOcr();

beforeAll(async () => {
  f = await startEmulatorFixture("rekognition-text");
  await createBucket(f, bucket);
  sns = await f.topicToQueue("AmazonRekognition-text-jobs");
  const video = path.join(f.workDir, "slides.mp4");
  const ffmpeg = (args: string[]) => run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args]);
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", video]);
  await upload(f, bucket, source.key, await readFile(video));
  const still = path.join(f.workDir, "still.jpg");
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180", "-frames:v", "1", still]);
  jpeg = await readFile(still);

  // A Rekognition endpoint of its own on the fixture's moto, with the fake OCR injected.
  const moto = createMotoAccess({ awsEndpoint: f.moto.endpoint, region: f.moto.region, account: f.moto.account });
  queue = new WorkQueue(1);
  const log = (l: string) => f.logs.push(l);
  server = await startServer("rekognition-text", rekognitionHandler({
    moto, engines: createEmulatorEngines(path.join(f.workDir, "text-engines"), moto, { ocr: fake.ocr }), queue, concurrentJobs: 20, log,
  }), log);
  rek = new RekognitionClient({ endpoint: server.endpoint });
});
afterAll(async () => {
  fake.release();
  await server?.close();
  await queue?.close();
  await f?.stop();
});

async function completions(count: number) {
  const bodies = await f.receive(sns.url, count);
  return bodies.map((b) => JSON.parse(JSON.parse(b).Message) as Record<string, unknown>);
}

/** Every item of a job, MaxResults at a time, following NextToken. */
async function allItems(jobId: string, maxResults: number): Promise<{ items: TextDetectionResult[]; pages: number }> {
  const items: TextDetectionResult[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await rek.send(new GetTextDetectionCommand({ JobId: jobId, MaxResults: maxResults, NextToken: token }));
    items.push(...page.TextDetections!);
    token = page.NextToken;
    pages += 1;
  } while (token);
  return { items, pages };
}

describe("Rekognition text detection emulator (fake OCR)", () => {
  let textJob: string;
  let wideJob: string;
  const notification = () => ({ snsTopicArn: sns.topicArn, roleArn });

  it("starts an idempotent job that stays IN_PROGRESS while the OCR reads, then announces TEXT_DETECTION on SNS", async () => {
    ({ jobId: textJob } = await startTextDetection(rek, { mediaId, source, minConfidence: 80, notification: notification() }));
    await expect(startTextDetection(rek, { mediaId, source, minConfidence: 80, notification: notification() })).resolves.toEqual({ jobId: textJob });
    // The same token with another filter is another request.
    await expect(startTextDetection(rek, { mediaId, source, minConfidence: 90, notification: notification() }))
      .rejects.toMatchObject({ code: "IdempotentParameterMismatchException" });

    await expect(rek.send(new GetTextDetectionCommand({ JobId: textJob }))).resolves.toMatchObject({ JobStatus: "IN_PROGRESS", TextDetections: [] });
    await expect(getTextFrames(rek, textJob)).rejects.toBeInstanceOf(RekognitionJobInProgressError);

    // A second job on the object, with its own filters: a region of interest on the top half, no size floor.
    ({ JobId: wideJob } = (await rek.send(new StartTextDetectionCommand({
      Video: { S3Object: { Bucket: bucket, Name: source.key } }, ClientRequestToken: "text-wide-1", JobTag: `${mediaId}-text`,
      NotificationChannel: { SNSTopicArn: sns.topicArn, RoleArn: roleArn },
      Filters: { WordFilter: { MinConfidence: 50 }, RegionsOfInterest: [{ BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 0.5 } }] },
    }))) as { JobId: string });

    fake.release();
    await queue.idle();
    const messages = await completions(2);
    expect(messages.map((m) => m.API)).toEqual(["TEXT_DETECTION", "TEXT_DETECTION"]);
    const mine = messages.find((m) => m.JobId === textJob)!;
    expect(mine).toMatchObject({ Status: "SUCCEEDED", JobTag: `${mediaId}-text`, Video: { S3Bucket: bucket, S3ObjectName: source.key } });
    expect(parseVideoJobCompletion({ Sns: { Message: JSON.stringify(mine) } })).toMatchObject({
      jobId: textJob, status: "SUCCEEDED", api: "TEXT_DETECTION", mediaId, kind: "text", video: source,
    });
    // Both jobs read the one object: the OCR ran once.
    expect(fake.videoCalls).toHaveLength(1);
  });

  it("gives the words the job's filter lets through, and their lines, through getTextFrames", async () => {
    const { frames, engine } = await getTextFrames(rek, textJob, { minConfidence: 80 });
    expect(engine).toEqual({
      name: "amazon-rekognition-video",
      version: "emulated: fake-ocr 0.0.0-test-double",
      settings: { api: "GetTextDetection", jobId: textJob, wordFilter: { minConfidence: 80, minBoundingBoxHeight: 0.02, minBoundingBoxWidth: 0 } },
    });
    // Renumbered per frame as Rekognition numbers them: lines first, then words naming their line.
    expect(frames).toEqual([
      {
        timestampMs: 0,
        detections: [
          line(0, "MEDIA PIPELINE", 99.2, box(0.3, 0.4, 0.4, 0.08)),
          word(1, 0, "MEDIA", 99.5, box(0.3, 0.4, 0.16, 0.08)),
          word(2, 0, "PIPELINE", 98.9, box(0.48, 0.4, 0.22, 0.08)),
        ],
      },
      { timestampMs: 1000, detections: OCR_FRAMES[1]!.detections },
      { timestampMs: 2500, detections: [line(0, "MIXED 42", 88, box(0.4, 0.5, 0.2, 0.05)), word(1, 0, "MIXED", 90, box(0.4, 0.5, 0.12, 0.05))] },
    ]);
  });

  it("answers GetTextDetection in Rekognition's shape, paged by NextToken, for text jobs only", async () => {
    const first = await rek.send(new GetTextDetectionCommand({ JobId: textJob }));
    expect(first).toMatchObject({
      JobStatus: "SUCCEEDED", JobId: textJob, JobTag: `${mediaId}-text`, TextModelVersion: "emulated: fake-ocr 0.0.0-test-double",
      Video: { S3Object: { Bucket: bucket, Name: source.key } },
      VideoMetadata: { Codec: "h264", FrameRate: 25, FrameWidth: 640, FrameHeight: 360, DurationMillis: 3000 },
    });
    expect(first.NextToken).toBeUndefined();
    expect(first.TextDetections![1]).toEqual({
      Timestamp: 0,
      TextDetection: {
        DetectedText: "MEDIA", Type: "WORD", Id: 1, ParentId: 0, Confidence: 99.5,
        Geometry: {
          BoundingBox: { Width: 0.16, Height: 0.08, Left: 0.3, Top: 0.4 },
          Polygon: [{ X: 0.3, Y: 0.4 }, { X: 0.3 + 0.16, Y: 0.4 }, { X: 0.3 + 0.16, Y: 0.4 + 0.08 }, { X: 0.3, Y: 0.4 + 0.08 }],
        },
      },
    });
    expect(first.TextDetections![0]!.TextDetection).not.toHaveProperty("ParentId");

    const paged = await allItems(textJob, 2);
    expect(paged.pages).toBe(Math.ceil(first.TextDetections!.length / 2));
    expect(paged.items).toEqual(first.TextDetections);
    await expect(rek.send(new GetTextDetectionCommand({ JobId: textJob, NextToken: "not-a-token" }))).rejects.toMatchObject({ name: "InvalidPaginationTokenException" });
    await expect(rek.send(new GetLabelDetectionCommand({ JobId: textJob }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("applies a job's own word filter and regions of interest", async () => {
    const { frames } = await getTextFrames(rek, wideJob);
    // Top half only, words from 50: the blurry sign and the heading; the caption, the fine print and "MIXED 42" lie below.
    expect(frames.map((fr) => [fr.timestampMs, fr.detections.map((d) => d.text)])).toEqual([
      [0, ["MEDIA PIPELINE", "blurry sign", "MEDIA", "PIPELINE", "blurry", "sign"]],
    ]);
    await expect(rek.send(new StartTextDetectionCommand({
      Video: { S3Object: { Bucket: bucket, Name: source.key } }, Filters: { WordFilter: { MinConfidence: 120 } },
    }))).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("reads text on an image with DetectText through detectImageText", async () => {
    const { detections, version } = await detectImageText(rek, jpeg, { minConfidence: 80 });
    expect(version).toBe("emulated: fake-ocr 0.0.0-test-double");
    expect(detections.map((d) => [d.type, d.text, d.id, d.parentId])).toEqual([["line", "EXIT 24", 0, undefined], ["word", "EXIT", 1, 0], ["word", "24", 2, 0]]);
    await expect(detectImageText(rek, Buffer.from("not an image at all"), { minConfidence: 80 })).rejects.toMatchObject({ code: "InvalidImageFormatException" });
  });
});

describe("Rekognition text detection emulator with the harness's OCR (the local runtime's Tesseract)", () => {
  it("reads the words a video shows, at the times it shows them, through a job announced on SNS", async () => {
    // The fixture's own emulators, which the harness runs: their OCR is the local text engine.
    const video = path.join(f.workDir, "sign.mp4");
    await run("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "color=c=white:s=640x360:r=25:d=4",
      "-vf", "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='EXIT 24':fontsize=64:fontcolor=black:x=(w-tw)/2:y=(h-th)/2:enable='gte(t,1)'",
      "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", video,
    ]);
    const signId = "01jd8x7k2m4n6p8q0r2s4t6v9z";
    const sign = { bucket, key: `media/${signId}/sign.mp4` };
    await upload(f, bucket, sign.key, await readFile(video));
    const harnessRek = new RekognitionClient({});
    const { jobId } = await startTextDetection(harnessRek, { mediaId: signId, source: sign, minConfidence: 80, notification: { snsTopicArn: sns.topicArn, roleArn } });
    await f.emulators.idle();
    const [message] = await completions(1);
    expect(message).toMatchObject({ JobId: jobId, Status: "SUCCEEDED", API: "TEXT_DETECTION", JobTag: `${signId}-text` });
    const { frames, engine } = await getTextFrames(harnessRek, jobId, { minConfidence: 80 });
    expect(engine).toMatchObject({ name: "amazon-rekognition-video", version: expect.stringMatching(/^emulated: tesseract /) });
    const words = frames.flatMap((fr) => fr.detections.filter((d) => d.type === "word").map((d) => ({ text: d.text, at: fr.timestampMs })));
    expect(new Set(words.map((w) => w.text))).toEqual(new Set(["EXIT", "24"]));
    // Shown from 1 s: no frame before it reads anything.
    expect(Math.min(...words.map((w) => w.at))).toBeGreaterThanOrEqual(1000);
  });
});
