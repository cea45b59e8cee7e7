import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildReviewTask, catalog, isRetryable, type ModerationDocument, type SceneInput, type SceneSummarizer } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { AWS_ERROR_CASES } from "../../test-support/aws-error-cases.js";
import { createA2iReviewQueue } from "./a2i/review-queue.js";
import { createBedrockSummarizer } from "./bedrock/bedrock-summarizer.js";
import { createDynamoStateStore } from "./dynamodb-state-store.js";
import { createEventBridgePublish } from "./eventbridge-publish.js";
import { createDynamoBacklog } from "./rekognition/dynamodb-backlog.js";
import { classifyRekognitionError } from "./rekognition/errors.js";
import { createS3BlobStore } from "./s3-blob-store.js";
import { putFile, s3ByteSource } from "./s3-media.js";
import { createS3Workspace } from "./s3-workspace.js";
import { startTranscription } from "./transcribe/job.js";

/*
 * Every adapter decides retryable or not as the one classifier does (aws-errors.ts), for every row of
 * its table: a client that throws the row's error, and `isRetryable` on what the adapter throws.
 * Bedrock retries passing faults itself before falling back, so it is checked by its calls.
 */

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const ref = { bucket: "media-bucket", key: `derived/${mediaId}/doc.json` };
const failing = (error: Error) => ({ send: async () => Promise.reject(error) }) as never;
const dir = mkdtempSync(path.join(os.tmpdir(), "aws-errors-"));
const file = path.join(dir, "clip.bin");
writeFileSync(file, Buffer.alloc(16));

const moderation: ModerationDocument = {
  decision: "review", thresholds: { reviewMin: 50, flagMin: 80 }, framesAnalyzed: 1, engine: { name: "test", version: "1" },
  segments: [{ name: "Suggestive", parent: "", confidence: 61, startMs: 0, endMs: 1000, frames: 1, decision: "review" }],
};
const task = buildReviewTask({
  taskId: `${mediaId}-review`, mediaId, source: { bucket: "media-bucket", key: `media/${mediaId}/clip.mp4` },
  moderationRef: ref, moderation, createdAt: new Date("2026-11-20T10:00:00Z"),
});

const adapters: Array<[string, (error: Error) => Promise<unknown>]> = [
  ["S3 blob store", (e) => createS3BlobStore(failing(e)).putJson(ref, {})],
  ["S3 ranged reads", (e) => s3ByteSource(failing(e), ref).read(Buffer.alloc(8), 0, 8, 0)],
  ["S3 uploads", (e) => putFile(failing(e), file, ref, "application/octet-stream")],
  ["S3 workspace", (e) => createS3Workspace({ s3: failing(e), root: mkdtempSync(path.join(dir, "ws-")) }).fetch(ref)],
  ["DynamoDB state store", (e) => createDynamoStateStore({ client: failing(e), tableName: "state" }).list(mediaId)],
  ["DynamoDB backlog", (e) => createDynamoBacklog({ client: failing(e), tableName: "state" }).shift()],
  ["EventBridge", (e) => createEventBridgePublish({ client: failing(e), eventBusName: "media-bus" })("Stage Failed", catalog["Stage Failed"].example)],
  ["Rekognition", async (e) => Promise.reject(classifyRekognitionError(e, "StartLabelDetection"))],
  ["Transcribe", (e) => startTranscription(failing(e), { mediaId, audio: ref, maxSpeakers: 2, language: "en-US", outputBucket: "media-bucket" })],
  [
    "A2I",
    (e) =>
      createA2iReviewQueue({
        client: failing(e), flowDefinitionArn: "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review",
        mediaUrl: async () => "https://media-bucket.s3.amazonaws.com/clip.mp4",
      }).start(task, 1),
  ],
];

describe("every AWS adapter classifies errors alike", () => {
  describe.each(adapters)("%s", (_, call) => {
    it.each(AWS_ERROR_CASES.map((c) => [c.what, c] as const))("throws %s as the classifier says", async (_, c) => {
      const thrown = await call(c.error).then(() => undefined, (error: unknown) => error);
      expect(thrown, "the call should fail").toBeDefined();
      expect(isRetryable(thrown), `${c.what} is ${c.kind}`).toBe(c.kind !== "refused");
    });
  });
});

describe("the Bedrock summarizer follows the same table", () => {
  const scene: SceneInput = {
    index: 0, startMs: 0, endMs: 5000, shotIndexes: [0], moderation: [], labels: [{ name: "Laptop", confidence: 90 }],
    transcript: [{ speaker: "spk_0", text: "Hello there.", startMs: 0, endMs: 1000 }],
  };
  const fallback: SceneSummarizer = {
    async summarize(scenes) {
      return {
        scenes: scenes.map((s) => ({ ...s, summary: "extractive", labels: [], speakers: [], summarizer: "extractive" as const })),
        engine: { name: "extractive-summarizer", version: "0" },
      };
    },
  };

  it.each(AWS_ERROR_CASES.map((c) => [c.what, c] as const))("on %s: retries a passing fault, falls back on a refusal, throws what AWS did not answer", async (_, c) => {
    let calls = 0;
    const client = { send: async () => { calls += 1; throw c.error; } } as never;
    const summarizer = createBedrockSummarizer({ client, modelId: "amazon.nova-lite-v1:0", fallback, maxRetries: 1, sleep: async () => {} });
    const result = await summarizer.summarize([scene]).then((r) => r, (error: unknown) => ({ thrown: error }));
    if (c.kind === "network") {
      expect(result).toEqual({ thrown: c.error });
      return;
    }
    expect(calls).toBe(c.kind === "refused" ? 1 : 2);
    expect("scenes" in result && result.scenes[0]?.summarizer).toBe("extractive");
  });
});
