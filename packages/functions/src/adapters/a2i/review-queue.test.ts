import { readFileSync } from "node:fs";
import {
  ConflictException, SageMakerA2IRuntimeClient, ServiceQuotaExceededException, StartHumanLoopCommand, ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-sagemaker-a2i-runtime";
import { buildReviewTask, reviewTaskId, RetryableError, type ModerationDocument, type ObjectRef, type ReviewTask } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { HumanLoopBusyError, HumanLoopRequestError } from "./errors.js";
import { HUMAN_LOOP_NAME_PATTERN, humanLoopNameFor, isHumanLoopName, loopOfName, mediaOfReviewTask } from "./human-loop-name.js";
import { createA2iReviewQueue, type A2iReviewQueueOptions } from "./review-queue.js";
import { MAX_INPUT_CONTENT_CHARS, ReviewTaskInput } from "./task-input.js";

const a2i = mockClient(SageMakerA2IRuntimeClient);
const FLOW = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review";
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source: ObjectRef = { bucket: "media", key: `media/${mediaId}/source.mp4` };
const moderationRef: ObjectRef = { bucket: "media", key: `derived/${mediaId}/moderation.json` };
const moderation = JSON.parse(readFileSync(new URL("./fixtures/moderation-document.json", import.meta.url), "utf8")) as ModerationDocument;
const presign = async (ref: ObjectRef) => `https://${ref.bucket}.s3.us-east-1.amazonaws.com/${ref.key}?X-Amz-Signature=sig`;

/** Core's task for a moderation document, as request-review builds and stores it. */
const taskFor = (doc: ModerationDocument): ReviewTask =>
  buildReviewTask({ taskId: reviewTaskId(mediaId), mediaId, source, moderationRef, moderation: doc, createdAt: new Date("2026-11-20T10:29:58Z") });
const task = taskFor(moderation);

function make(over: Partial<A2iReviewQueueOptions> = {}) {
  return createA2iReviewQueue({ client: new SageMakerA2IRuntimeClient({ region: "us-east-1" }), flowDefinitionArn: FLOW, mediaUrl: presign, ...over });
}
const sentInput = (n = 0) => {
  const input = a2i.commandCalls(StartHumanLoopCommand)[n]!.args[0].input;
  return { input, content: input.HumanLoopInput!.InputContent! };
};

beforeEach(() => a2i.reset());

describe("humanLoopNameFor", () => {
  it("keeps core's review task id, which already follows A2I's rules", () => {
    expect(humanLoopNameFor(reviewTaskId(mediaId))).toBe(`${mediaId}-review`);
  });

  it("derives a conforming, deterministic and distinct name from an id that does not conform", () => {
    const ids = ["Media_42/Review", "media-42-review!", "-" + "x".repeat(80), "ÄÖÜ", "A", "a"];
    const names = ids.map((id) => humanLoopNameFor(id));
    for (const name of names) {
      expect(isHumanLoopName(name)).toBe(true);
      expect(name).toMatch(HUMAN_LOOP_NAME_PATTERN);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(names[0]).toMatch(/^media-42-review-[0-9a-f]{10}$/);
    expect(names[3]).toMatch(/^task-[0-9a-f]{10}$/);
    expect(new Set(names).size).toBe(ids.length);
    expect(ids.map((id) => humanLoopNameFor(id))).toEqual(names);
  });

  it("names a re-queued loop <name>-<attempt>, within 63 characters, and maps it back to task and attempt", () => {
    const taskId = reviewTaskId(mediaId);
    expect([1, 2, 3, 10].map((n) => humanLoopNameFor(taskId, n))).toEqual([taskId, `${taskId}-2`, `${taskId}-3`, `${taskId}-10`]);
    for (const n of [1, 2, 3, 10]) expect(loopOfName(humanLoopNameFor(taskId, n))).toEqual({ taskId, attempt: n });
    expect(mediaOfReviewTask(taskId)).toBe(mediaId);

    // A conforming id that leaves no room for the suffix is shortened (and hashed) rather than overflowing.
    const long = `${"a".repeat(55)}-review`;
    expect(humanLoopNameFor(long)).toBe(long);
    const second = humanLoopNameFor(long, 2);
    expect(isHumanLoopName(second)).toBe(true);
    expect(second).toMatch(/-[0-9a-f]{10}-2$/);
    expect(humanLoopNameFor(long, 2)).toBe(second);
    expect(new Set([long, second, humanLoopNameFor(long, 3)]).size).toBe(3);

    expect(() => humanLoopNameFor(taskId, 0)).toThrow(RangeError);
    expect(() => humanLoopNameFor(taskId, 1.5)).toThrow(RangeError);
  });

  it("maps back only names it gives for core's task ids", () => {
    for (const name of ["someone-elses-loop", `${mediaId}-review-1`, `${mediaId}-review-02`, `${mediaId}-review-x`, "Media-review", `${mediaId}-reviews`]) {
      expect(loopOfName(name), name).toBeUndefined();
    }
    expect(mediaOfReviewTask("media-42")).toBeUndefined();
    expect(mediaOfReviewTask("-review")).toBeUndefined();
  });
});

describe("createA2iReviewQueue", () => {
  const expectedInput = (over: Partial<ReviewTaskInput> = {}): ReviewTaskInput => ({
    ...task,
    mediaUrl: `https://media.s3.us-east-1.amazonaws.com/media/${mediaId}/source.mp4?X-Amz-Signature=sig`,
    mediaS3Uri: `s3://media/media/${mediaId}/source.mp4`,
    segmentCount: 3,
    segments: [
      {
        index: 0, startMs: 12000, endMs: 15000, category: "Violence", name: "Weapons", parent: "Violence", confidence: 63.2, decision: "review",
        keyframe: { bucket: "media", key: `derived/${mediaId}/frames/000012000.jpg` },
        keyframeUrl: `https://media.s3.us-east-1.amazonaws.com/derived/${mediaId}/frames/000012000.jpg?X-Amz-Signature=sig`,
        keyframeS3Uri: `s3://media/derived/${mediaId}/frames/000012000.jpg`,
      },
      {
        index: 1, startMs: 40000, endMs: 41000, category: "Suggestive", name: "Suggestive", parent: "", confidence: 88.5, decision: "flagged",
        keyframe: { bucket: "media", key: `derived/${mediaId}/frames/000040000.jpg` },
        keyframeUrl: `https://media.s3.us-east-1.amazonaws.com/derived/${mediaId}/frames/000040000.jpg?X-Amz-Signature=sig`,
        keyframeS3Uri: `s3://media/derived/${mediaId}/frames/000040000.jpg`,
      },
      { index: 2, startMs: 70000, endMs: 72000, category: "Drugs & Tobacco", name: "Alcohol", parent: "Drugs & Tobacco", confidence: 55, decision: "review" },
    ],
    omitted: { keyframes: 0, segments: [] },
    notes: [],
    ...over,
  });

  it("starts a human loop named from the task id on our flow definition, with core's task and the URLs as input", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: `arn:aws:sagemaker:us-east-1:111122223333:human-loop/${mediaId}-review` });
    await make().open(task);

    expect(a2i).toHaveReceivedCommandExactlyOnceWith(StartHumanLoopCommand, {
      HumanLoopName: `${mediaId}-review`, FlowDefinitionArn: FLOW, HumanLoopInput: { InputContent: expect.any(String) },
    });
    const { input, content } = sentInput();
    expect(Object.keys(input).sort()).toEqual(["FlowDefinitionArn", "HumanLoopInput", "HumanLoopName"]);
    expect(input.HumanLoopName).toMatch(HUMAN_LOOP_NAME_PATTERN);
    expect(content.length).toBeLessThanOrEqual(MAX_INPUT_CONTENT_CHARS);
    const parsed = ReviewTaskInput.parse(JSON.parse(content));
    expect(parsed).toEqual(expectedInput());
    // Every field of the core task is there as it was stored.
    expect(parsed).toMatchObject({
      version: 1, taskId: task.taskId, mediaId, source, moderation: moderationRef, modelDecision: "review",
      thresholds: { reviewMin: 50, flagMin: 80 }, categories: ["Drugs & Tobacco", "Suggestive", "Violence"], createdAt: "2026-11-20T10:29:58.000Z",
    });
  });

  it("starts a later attempt under <taskId>-<attempt> with the same input", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn" });
    const queue = make();
    await queue.open(task);
    await expect(queue.start(task, 2)).resolves.toEqual({ humanLoopName: `${mediaId}-review-2`, started: true });
    expect(sentInput(1).input.HumanLoopName).toBe(`${mediaId}-review-2`);
    expect(sentInput(1).content).toBe(sentInput(0).content);
    expect(queue.humanLoopName(task.taskId, 3)).toBe(`${mediaId}-review-3`);
  });

  it("treats ConflictException as the loop already started for this task", async () => {
    a2i.on(StartHumanLoopCommand).rejects(new ConflictException({ message: "HumanLoop already exists with different input", $metadata: {} }));
    await expect(make().open(task)).resolves.toBeUndefined();
    await expect(make().start(task, 2)).resolves.toEqual({ humanLoopName: `${mediaId}-review-2`, started: false });
    expect(a2i).toHaveReceivedCommandTimes(StartHumanLoopCommand, 2);
  });

  it("throws a retryable error on throttling and on an exceeded quota", async () => {
    a2i.on(StartHumanLoopCommand).rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }))
      .rejectsOnce(new ServiceQuotaExceededException({ message: "Too many active human loops", $metadata: {} }));
    const queue = make();
    const first = await queue.open(task).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(HumanLoopBusyError);
    expect(first).toBeInstanceOf(RetryableError);
    expect(first).toMatchObject({ code: "ThrottlingException", retryable: true });
    await expect(queue.open(task)).rejects.toMatchObject({ code: "ServiceQuotaExceededException", retryable: true });
  });

  it("throws a non-retryable error when A2I refuses the request", async () => {
    a2i.on(StartHumanLoopCommand).rejects(new ValidationException({ message: "Invalid input", $metadata: {} }));
    const error = await make().open(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HumanLoopRequestError);
    expect(error).toMatchObject({ retryable: false });
  });

  it("trims keyframes, then segments, to fit the input limit and says so", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn" });
    const many = taskFor({
      ...moderation,
      segments: Array.from({ length: 400 }, (_, i) => ({
        ...moderation.segments[0]!, startMs: i * 1000, endMs: i * 1000 + 500, decision: i % 2 ? ("flagged" as const) : ("review" as const),
        keyframe: { bucket: "media", key: `derived/${mediaId}/frames/${String(i).padStart(9, "0")}.jpg` },
      })),
    });
    const longUrl = async (ref: ObjectRef) => `https://media.s3.amazonaws.com/${ref.key}?X-Amz-Security-Token=${"t".repeat(900)}`;
    // Keyframes only: 400 × ~1 000 characters do not fit 200 000; the segments alone do.
    await make({ maxInputChars: 200_000, mediaUrl: longUrl }).open(many);
    const kept = ReviewTaskInput.parse(JSON.parse(sentInput().content));
    expect(sentInput().content.length).toBeLessThanOrEqual(200_000);
    expect(kept.segments).toHaveLength(400);
    expect(kept.segmentCount).toBe(400);
    expect(kept.omitted.segments).toEqual([]);
    expect(kept.omitted.keyframes).toBeGreaterThan(0);
    // The uncertain segments keep their keyframes before the flagged ones do; a trimmed one loses all three fields.
    const withFrame = kept.segments.filter((s) => s.keyframeUrl);
    expect(withFrame.length).toBe(400 - kept.omitted.keyframes);
    expect(withFrame.every((s) => s.decision === "review" && s.keyframeS3Uri && s.keyframe)).toBe(true);
    expect(kept.segments.filter((s) => !s.keyframeUrl).every((s) => !s.keyframe && !s.keyframeS3Uri)).toBe(true);
    expect(kept.notes[0]).toMatch(/keyframe link\(s\) left out to fit A2I's 200,000-character input limit/);

    a2i.reset();
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn" });
    await make({ maxInputChars: 20_000, mediaUrl: longUrl }).open(many);
    const fewer = ReviewTaskInput.parse(JSON.parse(sentInput().content));
    expect(sentInput().content.length).toBeLessThanOrEqual(20_000);
    expect(fewer.segments.length).toBeGreaterThan(0);
    expect(fewer.segments.length + fewer.omitted.segments.length).toBe(400);
    expect(fewer.segments.every((s) => s.decision === "review" && !s.keyframeUrl)).toBe(true);
    expect(fewer.notes.join(" ")).toMatch(/segment\(s\) left out/);
  });

  it("refuses something that is not a review task, without calling A2I", async () => {
    await expect(make().open({ ...task, segments: "nope" } as unknown as ReviewTask)).rejects.toMatchObject({ retryable: false });
    expect(a2i).not.toHaveReceivedCommand(StartHumanLoopCommand);
  });

  it("refuses a flow definition ARN that is not one, and the old loadModeration option", () => {
    expect(() => make({ flowDefinitionArn: "media-review" })).toThrow(/flowDefinitionArn must be a flow definition ARN/);
    expect(() => make({ loadModeration: async () => ({}) } as Partial<A2iReviewQueueOptions>)).toThrow(/unknown option\(s\): loadModeration/);
  });
});
