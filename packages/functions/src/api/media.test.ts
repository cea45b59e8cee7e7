import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { Readable } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloudApi } from "./cloud-api.js";
import { createRoutes } from "./routes.js";
import { apiEvent, fakeTable, presigningS3 } from "../../test-support/api.js";

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBClient);
const env = { MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state" };
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
let items: ReturnType<typeof fakeTable>;
let routes: ReturnType<typeof createRoutes>;
const body = (r: { body?: string }) => JSON.parse(r.body!);

function stage(name: string, status: string, events: Array<{ type: string; detail: Record<string, unknown> }> = [], extra: Record<string, unknown> = {}) {
  items.set(`media#${mediaId}|stage#${name}`, {
    pk: `media#${mediaId}`, sk: `stage#${name}`, mediaId, stage: name, status, attempts: 1,
    startedAt: `2026-11-20T10:00:0${items.size}Z`, ...(status === "running" ? {} : { finishedAt: "2026-11-20T10:01:00Z", output: { events } }), ...extra,
  });
}

beforeEach(() => {
  s3.reset();
  dynamo.reset();
  items = fakeTable(dynamo);
  routes = createRoutes(createCloudApi(env, { s3: presigningS3(), dynamo: new DynamoDBClient({}) }));
});

describe("GET /media/{mediaId}", () => {
  it("answers 404 for a media item that was never requested nor processed", async () => {
    const res = await routes.getMedia(apiEvent("GET /media/{mediaId}", { mediaId }));
    expect(res.statusCode).toBe(404);
    expect(body(res)).toMatchObject({ error: { code: "not_found" } });
  });

  it("answers awaiting-upload right after POST /uploads", async () => {
    const created = body(await routes.createUpload(apiEvent("POST /uploads", { body: { filename: "a.wav", contentType: "audio/wav", size: 10 } })));
    const res = await routes.getMedia(apiEvent("GET /media/{mediaId}", { mediaId: created.mediaId }));
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({
      mediaId: created.mediaId,
      status: "awaiting-upload",
      upload: { filename: "a.wav", contentType: "audio/wav", size: 10, mode: "post", status: "requested", key: created.key },
      stages: [],
      links: { self: `https://abc123.execute-api.us-east-1.amazonaws.com/media/${created.mediaId}` },
    });
  });

  it("lists each stage's status and presigned links to its results, only for this media item's derived/ keys", async () => {
    stage("probe", "done", [{ type: "Media Probed", detail: { mediaId, probe: { bucket: "media-bucket", key: `derived/${mediaId}/probe.json` }, source: { bucket: "media-bucket", key: `media/${mediaId}/a.mp4` } } }]);
    stage("extract-audio", "done", [{ type: "Audio Extracted", detail: { mediaId, audio: { bucket: "media-bucket", key: `derived/${mediaId}/audio.wav` }, other: { bucket: "elsewhere", key: `derived/${mediaId}/x` } } }]);
    stage("transcribe", "failed", [{ type: "Stage Failed", detail: { mediaId } }], { error: { name: "TranscribeError", message: "boom" } });
    stage("detect-shots", "running");
    const res = await routes.getMedia(apiEvent("GET /media/{mediaId}", { mediaId }));
    expect(res.statusCode).toBe(200);
    const media = body(res);
    expect(media.status).toBe("processing");
    expect(media.upload).toBeUndefined();
    expect(media.links.report).toBeUndefined();
    const byStage = Object.fromEntries(media.stages.map((s: { stage: string }) => [s.stage, s]));
    expect(byStage["detect-shots"]).toEqual({ stage: "detect-shots", status: "running", attempts: 1, startedAt: expect.any(String), events: [], results: [] });
    expect(byStage.transcribe).toMatchObject({ status: "failed", events: ["Stage Failed"], error: { name: "TranscribeError", message: "boom" } });
    // The upload under media/ and another bucket's key are not signed; derived/ outputs are.
    expect(byStage.probe.results).toEqual([{ from: "Media Probed.probe", bucket: "media-bucket", key: `derived/${mediaId}/probe.json`, url: expect.any(String) }]);
    expect(byStage["extract-audio"].results.map((r: { key: string }) => r.key)).toEqual([`derived/${mediaId}/audio.wav`]);
    const url = new URL(byStage.probe.results[0].url);
    expect(url.pathname).toBe(`/derived/${mediaId}/probe.json`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(media.linksExpireAt)).toBeGreaterThan(Date.now());
  });

  it("answers completed with a report link once complete-analysis is done, rejected when probe rejected the media", async () => {
    stage("complete-analysis", "done", [{ type: "Analysis Completed", detail: { mediaId, report: { bucket: "media-bucket", key: `derived/${mediaId}/report.json` } } }]);
    const done = body(await routes.getMedia(apiEvent("GET /media/{mediaId}", { mediaId })));
    expect(done.status).toBe("completed");
    expect(done.links.report).toBe(`https://abc123.execute-api.us-east-1.amazonaws.com/media/${mediaId}/report`);

    items.clear();
    stage("probe", "done", [{ type: "Media Rejected", detail: { mediaId, reason: "not media" } }]);
    expect(body(await routes.getMedia(apiEvent("GET /media/{mediaId}", { mediaId }))).status).toBe("rejected");
  });

  it("answers 400 naming mediaId for a malformed id", async () => {
    const res = await routes.getMedia(apiEvent("GET /media/{mediaId}", { mediaId: "../etc" }));
    expect(res.statusCode).toBe(400);
    expect(body(res).error.issues).toEqual([{ field: "mediaId", message: expect.any(String) }]);
  });
});

describe("GET /media/{mediaId}/report", () => {
  it("returns report.json from S3 as JSON once complete-analysis is done", async () => {
    stage("complete-analysis", "done", [{ type: "Analysis Completed", detail: { mediaId, report: { bucket: "media-bucket", key: `derived/${mediaId}/report.json` } } }]);
    const report = { mediaId, status: "completed" };
    s3.on(GetObjectCommand, { Bucket: "media-bucket", Key: `derived/${mediaId}/report.json` })
      .callsFake(() => ({ Body: sdkStreamMixin(Readable.from([Buffer.from(JSON.stringify(report))])) }));
    const res = await routes.getReport(apiEvent("GET /media/{mediaId}/report", { mediaId }));
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ "content-type": "application/json" });
    expect(body(res)).toEqual(report);
  });

  it("serves report.html with the keyframes inlined from derived/frames, and reads no other keys", async () => {
    stage("complete-analysis", "done", [{ type: "Analysis Completed", detail: { mediaId, report: { bucket: "media-bucket", key: `derived/${mediaId}/report.json` } } }]);
    const keyframe = `s3://media-bucket/derived/frames/${mediaId}/000001.jpg`;
    const report = {
      mediaId, generatedAt: "2026-11-20T10:00:00Z", status: "completed",
      media: { kind: "video", durationMs: 4000, sizeBytes: 10, container: "mp4", streams: [] },
      shots: [{ index: 0, startMs: 0, endMs: 2000, keyframe }, { index: 1, startMs: 2000, endMs: 4000, keyframe: "s3://other-bucket/secret.jpg" }],
      labels: [], faces: [], faceRanges: [], moderation: { decision: "clean", thresholds: null, labels: [] },
      transcript: { language: null, hasWords: false, notes: [], speakers: [], segments: [] }, scenes: [],
      review: { status: "not-required" }, decision: { value: "clean", by: "model" }, stages: {},
    };
    s3.on(GetObjectCommand, { Bucket: "media-bucket", Key: `derived/${mediaId}/report.json` })
      .callsFake(() => ({ Body: sdkStreamMixin(Readable.from([Buffer.from(JSON.stringify(report))])) }));
    s3.on(GetObjectCommand, { Bucket: "media-bucket", Key: `derived/frames/${mediaId}/000001.jpg` })
      .callsFake(() => ({ Body: sdkStreamMixin(Readable.from([Buffer.from([0xff, 0xd8, 0xff, 0xe0])])) }));
    const res = await routes.getReportHtml(apiEvent("GET /media/{mediaId}/report.html", { mediaId }));
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ "content-type": "text/html; charset=utf-8" });
    expect(res.body).toContain("data:image/jpeg;base64,/9j/4A==");
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain("secret.jpg");
  });

  it("answers 404 not_found for unknown media and 404 report_not_ready while processing, without reading S3", async () => {
    const unknown = await routes.getReport(apiEvent("GET /media/{mediaId}/report", { mediaId }));
    expect([unknown.statusCode, body(unknown).error.code]).toEqual([404, "not_found"]);
    stage("probe", "running");
    const pending = await routes.getReport(apiEvent("GET /media/{mediaId}/report", { mediaId }));
    expect([pending.statusCode, body(pending).error.code]).toEqual([404, "report_not_ready"]);
    expect(body(pending).error.message).toContain("processing");
    expect(s3.calls()).toHaveLength(0);
  });

  it("answers 404 report_expired when derived/ expired, 500 without details when S3 fails otherwise", async () => {
    stage("complete-analysis", "done", []);
    s3.on(GetObjectCommand).rejectsOnce(Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" }));
    const expired = await routes.getReport(apiEvent("GET /media/{mediaId}/report", { mediaId }));
    expect([expired.statusCode, body(expired).error.code]).toEqual([404, "report_expired"]);
    s3.on(GetObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    const res = await routes.getReport(apiEvent("GET /media/{mediaId}/report", { mediaId }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("Access Denied");
  });
});
