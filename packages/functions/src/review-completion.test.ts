import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ConflictException, StartHumanLoopCommand, ThrottlingException, ValidationException,
} from "@aws-sdk/client-sagemaker-a2i-runtime";
import {
  buildReviewTask, catalog, makeEvent, reviewTaskId, ReviewOutcome, ReviewTask,
  type ModerationDocument, type ObjectRef, type Publish, type StageName,
} from "@media-pipeline/core";
import { beforeEach, describe, expect, it } from "vitest";
import { BUCKET, ENV, MEDIA_ID as mediaId, useMockedCloud } from "../test-support/mocked-cloud.js";
import { ReviewTaskInput } from "./adapters/a2i/index.js";
import type { Cloud } from "./cloud.js";
import { StoredReviewTaskError } from "./cloud-review.js";
import { createReviewCompletion, UnknownHumanLoopError } from "./completions.js";
import { ConfigurationError } from "./errors.js";
import { createStageHandler } from "./stage-handler.js";

/*
 * The review completion Lambda (A2I HumanLoop Status Change) with mocked AWS clients, on the status
 * events and output document as aws-events.md documents them (fixtures under adapters/a2i/fixtures).
 * S3 is a small in-memory bucket behind the mock, so the task request-review stored is the one the
 * completion reads back; HeadObject answers 404 for a missing key, as S3 does with s3:ListBucket.
 */

const FLOW = ENV.a2i.FLOW_DEFINITION_ARN;
const aws = useMockedCloud({ env: { ...ENV.base, ...ENV.a2i } });
const { events, a2i, objects, store, stored, published } = aws;
const taskId = reviewTaskId(mediaId);
const source: ObjectRef = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
const ref = (name: string): ObjectRef => ({ bucket: BUCKET, key: `derived/${mediaId}/${name}` });
const a2iFixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters/a2i/fixtures", `${name}.json`), "utf8"));

/** The moderation fixture, its keyframes in our bucket. */
const moderation: ModerationDocument = (() => {
  const doc = a2iFixture("moderation-document") as ModerationDocument;
  return { ...doc, segments: doc.segments.map((s) => (s.keyframe ? { ...s, keyframe: { ...s.keyframe, bucket: BUCKET } } : s)) };
})();
const storedTask: ReviewTask = buildReviewTask({
  taskId, mediaId, source, moderationRef: ref("moderation.json"), moderation, createdAt: new Date("2026-11-20T10:29:58Z"),
});

/** The status change A2I sends, for loop `name` ending `status` (the documented shapes). */
function statusEvent(status: "Completed" | "Failed" | "Stopped", name = taskId): Record<string, any> {
  const event = a2iFixture(status === "Completed" ? "status-change-completed" : "status-change-failed");
  event.detail.humanLoopName = name;
  event.detail.humanLoopArn = `arn:aws:sagemaker:us-east-1:111122223333:human-loop/${name}`;
  event.resources = [event.detail.humanLoopArn];
  if (status === "Stopped") Object.assign(event.detail, { humanLoopStatus: "Stopped", failureCode: null, failureReason: null });
  return event;
}
const completed = statusEvent("Completed");
const outputRef: ObjectRef = (() => {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(completed.detail.humanLoopOutput.outputS3Uri)!;
  return { bucket: m[1]!, key: m[2]! };
})();

/** S3 writes and bus publishes in the order they happened. */
const order = aws.writes;

beforeEach(() => {
  a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn:aws:sagemaker:us-east-1:111122223333:human-loop/x" });
  store(ref("moderation.json"), moderation);
  store(ref("review-task.json"), storedTask);
  store(outputRef, a2iFixture("output-completed"));
});

/** Every key passed to publish, beside the events: what a runtime that honours them would drop. */
let keys: Array<string | undefined>;

function cloud(overrides: Record<string, string> = {}): Cloud {
  const c = aws.cloud(overrides);
  keys = [];
  const publish: Publish = async (type, detail, options) => {
    keys.push(options?.dedupeKey);
    await c.publish(type, detail, options);
  };
  return { ...c, publish };
}

const loops = () => a2i.commandCalls(StartHumanLoopCommand).map((c) => c.args[0].input);
const outcome = () => ReviewOutcome.parse(stored(ref("review.json")));
/** A task input without its presigned URLs, which differ with the signing time. */
const withoutUrls = (content: string) => {
  const input = ReviewTaskInput.parse(JSON.parse(content));
  expect(new URL(input.mediaUrl).searchParams.get("X-Amz-Expires")).toBe(String(12 * 3600));
  return { ...input, mediaUrl: new URL(input.mediaUrl).pathname, segments: input.segments.map((s) => ({ ...s, keyframeUrl: s.keyframeUrl && new URL(s.keyframeUrl).pathname })) };
};

describe("review completion: Completed", () => {
  it("records the reviewer's decision in review.json, then publishes Review Completed", async () => {
    await createReviewCompletion(cloud())(completed);

    expect(outcome()).toEqual({
      version: 1, status: "decided", mediaId,
      decision: {
        taskId, verdict: "approved", reviewer: "5f2b7c1e-8d3a-4e6f-9b0c-1a2b3c4d5e6f", decidedAt: "2026-11-20T10:59:41.123Z",
        segments: [{ index: 0, outcome: "false-positive" }, { index: 1, outcome: "confirmed" }, { index: 2, outcome: "wrong-category", category: "Food" }],
        comment: "The weapon is a prop umbrella; the drink is juice.",
      },
    });
    // Written first, so finalize-analysis finds it whichever of the two reports runs second.
    expect(order).toEqual([`put derived/${mediaId}/review.json`, "publish Review Completed"]);
    const [done, ...rest] = published();
    expect(rest).toEqual([]);
    const recorded = outcome();
    if (recorded.status !== "decided") throw new Error("not decided");
    expect(done).toMatchObject({ "detail-type": "Review Completed" });
    expect(done!.detail).toEqual({
      version: 1, mediaId, correlationId: mediaId, ...recorded.decision,
      segmentCount: recorded.decision.segments.length, outcome: { bucket: BUCKET, key: `derived/${mediaId}/review.json` },
    });
    expect(keys).toEqual([`${mediaId}/review/Review Completed`]);
    expect(loops()).toEqual([]);
  });

  it("takes the verdict of a re-queued loop for the same task", async () => {
    await createReviewCompletion(cloud())(statusEvent("Completed", `${taskId}-2`));
    expect(outcome()).toMatchObject({ status: "decided", decision: { taskId, verdict: "approved" } });
    expect(published().map((e) => e["detail-type"])).toEqual(["Review Completed"]);
  });

  it("records a repeated Completed identically, under the same key", async () => {
    const handler = createReviewCompletion(cloud());
    await handler(completed);
    const first = stored(ref("review.json"));
    await handler(structuredClone(completed));
    expect(stored(ref("review.json"))).toEqual(first);
    const [a, b, ...rest] = published();
    expect(rest).toEqual([]);
    // EventBridge has no dedupe: the repeat is the same event under the same key, which consumers drop.
    expect(b).toEqual(a);
    expect(keys).toEqual([`${mediaId}/review/Review Completed`, `${mediaId}/review/Review Completed`]);
    expect(loops()).toEqual([]);
  });

  it("refuses an output without a verdict, recording nothing", async () => {
    store(outputRef, a2iFixture("output-no-verdict"));
    await expect(createReviewCompletion(cloud())(completed)).rejects.toMatchObject({ name: "ReviewOutputError", retryable: false });
    expect(stored(ref("review.json"))).toBeUndefined();
    expect(published()).toEqual([]);
  });
});

describe("review completion: the re-queue policy", () => {
  /** The state request-review needs: probe facts (the source) and moderation done with review. */
  async function requestReview(c: Cloud): Promise<void> {
    const plan: StageName[] = ["probe", "moderate", "request-review", "complete-analysis"];
    for (const [stage, facts] of [["probe", { ref: ref("probe.json"), plan, source, durationMs: 80_000, filename: "clip.mp4" }], ["moderate", { ref: ref("moderation.json"), decision: "review" }]] as const) {
      await c.state.begin(mediaId, stage, 60_000);
      await c.state.finish(mediaId, stage, { events: [], facts });
    }
    objects.delete(`${BUCKET}/derived/${mediaId}/review-task.json`);
    const moderated = makeEvent("Moderation Completed", { ...catalog["Moderation Completed"].example, mediaId, correlationId: mediaId, moderation: ref("moderation.json"), decision: "review" }, { id: "e1", time: new Date("2026-11-20T10:29:58Z"), account: "1", region: "us-east-1" });
    await createStageHandler(c, "request-review")(moderated);
  }

  it("re-queues a Failed loop as <taskId>-2 from the stored task, with the input request-review sent", async () => {
    const c = cloud();
    await requestReview(c);
    expect(ReviewTask.parse(stored(ref("review-task.json")))).toMatchObject({ taskId, mediaId, source });
    expect(loops().map((l) => l.HumanLoopName)).toEqual([taskId]);
    events.resetHistory();
    order.length = 0;

    await createReviewCompletion(c)(statusEvent("Failed"));

    const [first, second, ...rest] = loops();
    expect(rest).toEqual([]);
    expect(second).toMatchObject({ HumanLoopName: `${taskId}-2`, FlowDefinitionArn: FLOW });
    expect(second!.HumanLoopName).toMatch(/^[a-z0-9](-*[a-z0-9])*$/);
    expect(withoutUrls(second!.HumanLoopInput!.InputContent!)).toEqual(withoutUrls(first!.HumanLoopInput!.InputContent!));
    expect(withoutUrls(second!.HumanLoopInput!.InputContent!)).toMatchObject({ ...storedTask, createdAt: expect.any(String), segments: expect.any(Array) });
    // Still under review: nothing recorded, nothing published.
    expect(stored(ref("review.json"))).toBeUndefined();
    expect(published()).toEqual([]);
  });

  it("re-queues -2 as -3, and ends the review when the last allowed loop fails: review.json failed, then Stage Failed", async () => {
    const handler = createReviewCompletion(cloud());
    await handler(statusEvent("Failed", `${taskId}-2`));
    expect(loops().map((l) => l.HumanLoopName)).toEqual([`${taskId}-3`]);
    expect(published()).toEqual([]);

    a2i.resetHistory();
    const last = statusEvent("Failed", `${taskId}-3`);
    await handler(last);
    expect(loops()).toEqual([]);
    expect(outcome()).toEqual({
      version: 1, status: "failed", mediaId, taskId, endedAt: new Date(last.time).toISOString(),
      reason: `Human loop ${taskId}-3 failed on its last allowed attempt 3 of 3: TaskExpired: No worker completed the task before it expired.`,
    });
    expect(order).toEqual([`put derived/${mediaId}/review.json`, "publish Stage Failed"]);
    const [failed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({
      "detail-type": "Stage Failed",
      detail: { mediaId, stage: "request-review", trigger: "Review Requested", error: { name: "HumanLoopFailedError", message: expect.stringContaining("attempt 3 of 3") } },
    });
  });

  it("follows REVIEW_MAX_ATTEMPTS: with 1, the first failed loop ends the review", async () => {
    await createReviewCompletion(cloud({ REVIEW_MAX_ATTEMPTS: "1" }))(statusEvent("Failed"));
    expect(loops()).toEqual([]);
    expect(outcome()).toMatchObject({ status: "failed", reason: expect.stringContaining("attempt 1 of 1") });
    expect(published().map((e) => e["detail-type"])).toEqual(["Stage Failed"]);
    for (const bad of ["0", "11", "two", "1.5"]) expect(() => createReviewCompletion(cloud({ REVIEW_MAX_ATTEMPTS: bad }))).toThrow(ConfigurationError);
  });

  it("never re-queues a Stopped loop: the review fails and the model's decision stands", async () => {
    await createReviewCompletion(cloud())(statusEvent("Stopped"));
    expect(loops()).toEqual([]);
    expect(outcome()).toMatchObject({ status: "failed", taskId, reason: expect.stringContaining("was stopped") });
    const [failed, ...rest] = published();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({ "detail-type": "Stage Failed", detail: { stage: "request-review", error: { name: "HumanLoopStoppedError" } } });
  });

  it("ends the review when A2I refuses the re-queued loop, and leaves throttling to Lambda's retry", async () => {
    a2i.on(StartHumanLoopCommand).rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }))
      .rejectsOnce(new ValidationException({ message: "Invalid input", $metadata: {} }));
    const handler = createReviewCompletion(cloud());
    await expect(handler(statusEvent("Failed"))).rejects.toMatchObject({ code: "ThrottlingException", retryable: true });
    expect(stored(ref("review.json"))).toBeUndefined();
    expect(published()).toEqual([]);

    await handler(statusEvent("Failed"));
    expect(outcome()).toMatchObject({ status: "failed", reason: expect.stringContaining("re-queue (attempt 2) was refused") });
    expect(published()[0]).toMatchObject({ "detail-type": "Stage Failed", detail: { error: { name: "HumanLoopRequestError" } } });
  });
});

describe("review completion: repeated and late notices", () => {
  it("starts one loop for a repeated Failed: the same name, and A2I's conflict the second time", async () => {
    a2i.on(StartHumanLoopCommand).resolvesOnce({ HumanLoopArn: "arn" })
      .rejects(new ConflictException({ message: "same name as another active human loop but different input data", $metadata: {} }));
    const handler = createReviewCompletion(cloud());
    await handler(statusEvent("Failed"));
    await handler(statusEvent("Failed"));
    expect(loops().map((l) => l.HumanLoopName)).toEqual([`${taskId}-2`, `${taskId}-2`]);
    expect(stored(ref("review.json"))).toBeUndefined();
    expect(published()).toEqual([]);
  });

  it("records a repeated Stopped identically, under the same key, without a loop", async () => {
    const handler = createReviewCompletion(cloud());
    await handler(statusEvent("Stopped"));
    const first = stored(ref("review.json"));
    await handler(statusEvent("Stopped"));
    expect(stored(ref("review.json"))).toEqual(first);
    const [a, b, ...rest] = published();
    expect(rest).toEqual([]);
    expect(b).toEqual(a);
    expect(keys).toEqual([`${mediaId}/review/Stage Failed`, `${mediaId}/review/Stage Failed`]);
    expect(loops()).toEqual([]);
  });

  it("ignores a Failed or Stopped that arrives after the verdict", async () => {
    const handler = createReviewCompletion(cloud());
    await handler(completed);
    const decided = stored(ref("review.json"));
    events.resetHistory();
    await handler(statusEvent("Failed"));
    await handler(statusEvent("Stopped", `${taskId}-2`));
    expect(stored(ref("review.json"))).toEqual(decided);
    expect(loops()).toEqual([]);
    expect(published()).toEqual([]);
  });

  it("does not restart a review already recorded as failed on a late notice of an earlier loop", async () => {
    const handler = createReviewCompletion(cloud());
    await handler(statusEvent("Stopped", `${taskId}-2`));
    events.resetHistory();
    await handler(statusEvent("Failed"));
    expect(loops()).toEqual([]);
    expect(published()).toEqual([]);
    expect(outcome()).toMatchObject({ status: "failed", reason: expect.stringContaining(`${taskId}-2 was stopped`) });
  });
});

describe("review completion: what it refuses", () => {
  it("ignores another flow definition's loop, and refuses a loop not named after one of our tasks", async () => {
    const theirs = structuredClone(completed);
    theirs.detail.flowDefinitionArn = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/someone-else";
    await createReviewCompletion(cloud())(theirs);
    await expect(createReviewCompletion(cloud())(statusEvent("Failed", "someone-elses-loop"))).rejects.toBeInstanceOf(UnknownHumanLoopError);
    expect(loops()).toEqual([]);
    expect(published()).toEqual([]);
  });

  it("refuses a loop whose task was not stored, or is another media's", async () => {
    objects.delete(`${BUCKET}/derived/${mediaId}/review-task.json`);
    await expect(createReviewCompletion(cloud())(statusEvent("Failed"))).rejects.toBeInstanceOf(StoredReviewTaskError);
    store(ref("review-task.json"), { ...storedTask, mediaId: "01jd8x7k2m4n6p8q0r2s4t6v8x", taskId: "01jd8x7k2m4n6p8q0r2s4t6v8x-review" });
    await expect(createReviewCompletion(cloud())(statusEvent("Failed"))).rejects.toThrow(/not task 01jd8x7k2m4n6p8q0r2s4t6v8w-review/);
    expect(loops()).toEqual([]);
  });
});
