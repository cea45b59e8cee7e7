import { readFileSync } from "node:fs";
import path from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerA2IRuntimeClient, StartHumanLoopCommand } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { buildReviewTask, MemoryStateStore, reviewTaskId, ReviewOutcome, type ModerationDocument, type ObjectRef } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloud } from "./cloud.js";
import { createReviewCompletion } from "./completions.js";
import { ConfigurationError } from "./errors.js";
import { installObjects, type StoredObjects } from "../test-support/media-bucket.js";

/*
 * The review completion across a deploy that replaced the flow definition (a new template or work
 * team gives it a new name): loops still running on the older one must complete, and a failed one
 * is re-queued on the current one. Same fixtures and in-memory bucket as review-completion.test.ts.
 */

const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const a2i = mockClient(SageMakerA2IRuntimeClient);

const BUCKET = "media-bucket";
const PREFIX = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/prod-media-pipeline-review-flow-";
const CURRENT = `${PREFIX}aaaaaaaaaa`;
const OLDER = `${PREFIX}0123456789`;
const env = { EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: BUCKET, STATE_TABLE: "state", FLOW_DEFINITION_ARN: CURRENT, FLOW_DEFINITION_ARN_PREFIX: PREFIX };
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const taskId = reviewTaskId(mediaId);
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const ref = (name: string): ObjectRef => ({ bucket: BUCKET, key: `derived/${mediaId}/${name}` });
const a2iFixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters/a2i/fixtures", `${name}.json`), "utf8"));

const objects: StoredObjects = new Map();
const store = (at: ObjectRef, value: unknown) => objects.set(`${at.bucket}/${at.key}`, { body: Buffer.from(JSON.stringify(value)) });
const stored = (at: ObjectRef) => {
  const found = objects.get(`${at.bucket}/${at.key}`);
  return found ? JSON.parse(found.body.toString()) : undefined;
};

/** A2I's status change for our task's loop `name`, on flow definition `flow`. */
function statusEvent(status: "Completed" | "Failed" | "Stopped", flow: string, name = taskId): Record<string, any> {
  const event = a2iFixture(status === "Completed" ? "status-change-completed" : "status-change-failed");
  Object.assign(event.detail, { flowDefinitionArn: flow, humanLoopName: name, humanLoopArn: `arn:aws:sagemaker:us-east-1:111122223333:human-loop/${name}` });
  if (status === "Stopped") Object.assign(event.detail, { humanLoopStatus: "Stopped", failureCode: null, failureReason: null });
  return event;
}

beforeEach(() => {
  for (const m of [s3, events, a2i]) m.reset();
  objects.clear();
  installObjects(s3, objects);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
  a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn:aws:sagemaker:us-east-1:111122223333:human-loop/x" });

  const doc = a2iFixture("moderation-document") as ModerationDocument;
  const moderation = { ...doc, segments: doc.segments.map((s) => (s.keyframe ? { ...s, keyframe: { ...s.keyframe, bucket: BUCKET } } : s)) };
  store(ref("moderation.json"), moderation);
  store(ref("review-task.json"), buildReviewTask({ taskId, mediaId, source, moderationRef: ref("moderation.json"), moderation, createdAt: new Date("2026-11-20T10:29:58Z") }));
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(a2iFixture("status-change-completed").detail.humanLoopOutput.outputS3Uri)!;
  store({ bucket: m[1]!, key: m[2]! }, a2iFixture("output-completed"));
});

function completion(overrides: Record<string, string> = {}) {
  const config = { region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } };
  const cloud = createCloud({ ...env, ...overrides }, {
    s3: new S3Client(config), events: new EventBridgeClient(config), a2i: new SageMakerA2IRuntimeClient(config),
  });
  return createReviewCompletion({ ...cloud, state: new MemoryStateStore() });
}
const published = () => events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) => e.DetailType);
const loops = () => a2i.commandCalls(StartHumanLoopCommand).map((c) => c.args[0].input);

describe("review completion after the flow definition was replaced", () => {
  it("completes a loop that ran on an older flow definition of ours: review.json decided, then Review Completed", async () => {
    await completion()(statusEvent("Completed", OLDER));
    expect(ReviewOutcome.parse(stored(ref("review.json")))).toMatchObject({ status: "decided", decision: { taskId, verdict: "approved" } });
    expect(published()).toEqual(["Review Completed"]);
    expect(loops()).toEqual([]);
  });

  it("re-queues a failed loop of an older flow definition on the current one", async () => {
    await completion()(statusEvent("Failed", OLDER));
    expect(loops()).toEqual([expect.objectContaining({ HumanLoopName: `${taskId}-2`, FlowDefinitionArn: CURRENT })]);
    expect(stored(ref("review.json"))).toBeUndefined();
    expect(published()).toEqual([]);
  });

  it("re-queues a loop A2I stopped because its flow definition was deleted, but not one stopped on the current one", async () => {
    await completion()(statusEvent("Stopped", OLDER));
    expect(loops()).toEqual([expect.objectContaining({ HumanLoopName: `${taskId}-2`, FlowDefinitionArn: CURRENT })]);
    expect(published()).toEqual([]);

    a2i.resetHistory();
    await completion()(statusEvent("Stopped", CURRENT, `${taskId}-2`));
    expect(loops()).toEqual([]);
    expect(ReviewOutcome.parse(stored(ref("review.json")))).toMatchObject({ status: "failed", reason: expect.stringContaining("was stopped") });
    expect(published()).toEqual(["Stage Failed"]);
  });

  it("ignores loops of another stage's or app's flow definitions", async () => {
    for (const theirs of [
      "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/staging-media-pipeline-review-flow-0123456789",
      "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/prod-other-app-review-flow-0123456789",
      "arn:aws:sagemaker:us-west-2:111122223333:flow-definition/prod-media-pipeline-review-flow-0123456789",
    ]) {
      await completion()(statusEvent("Completed", theirs));
      await completion()(statusEvent("Failed", theirs));
    }
    expect(stored(ref("review.json"))).toBeUndefined();
    expect(loops()).toEqual([]);
    expect(published()).toEqual([]);
  });

  it("refuses a current flow definition outside its own prefix at cold start", () => {
    expect(() => completion({ FLOW_DEFINITION_ARN: "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/elsewhere" })).toThrow(ConfigurationError);
  });
});
