import { readFileSync } from "node:fs";
import {
  ConflictException, SageMakerA2IRuntimeClient, ServiceQuotaExceededException, StartHumanLoopCommand, ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-sagemaker-a2i-runtime";
import { reviewTaskId, RetryableError, type ModerationDocument, type ObjectRef } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { HumanLoopBusyError, HumanLoopRequestError } from "./errors.js";
import { HUMAN_LOOP_NAME_PATTERN, humanLoopNameFor, isHumanLoopName } from "./human-loop-name.js";
import { createA2iReviewQueue, type A2iReviewQueueOptions } from "./review-queue.js";
import { MAX_INPUT_CONTENT_CHARS, ReviewTaskInput } from "./task-input.js";

const a2i = mockClient(SageMakerA2IRuntimeClient);
const FLOW = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review";
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const source: ObjectRef = { bucket: "media", key: `media/${mediaId}/source.mp4` };
const moderationRef: ObjectRef = { bucket: "media", key: `derived/${mediaId}/moderation.json` };
const moderation = JSON.parse(readFileSync(new URL("./fixtures/moderation-document.json", import.meta.url), "utf8")) as ModerationDocument;
const presign = async (ref: ObjectRef) => `https://${ref.bucket}.s3.us-east-1.amazonaws.com/${ref.key}?X-Amz-Signature=sig`;

function make(over: Partial<A2iReviewQueueOptions> = {}, doc: unknown = moderation) {
  const loaded: ObjectRef[] = [];
  const queue = createA2iReviewQueue({
    client: new SageMakerA2IRuntimeClient({ region: "us-east-1" }), flowDefinitionArn: FLOW, mediaUrl: presign,
    loadModeration: async (ref) => (loaded.push(ref), doc), ...over,
  });
  return { queue, loaded };
}
const task = { taskId: reviewTaskId(mediaId), mediaId, source, moderation: moderationRef };
const sentInput = () => {
  const input = a2i.commandCalls(StartHumanLoopCommand)[0]!.args[0].input;
  return { input, content: input.HumanLoopInput!.InputContent! };
};

beforeEach(() => a2i.reset());

describe("humanLoopNameFor", () => {
  it("keeps core's review task id, which already follows A2I's rules", () => {
    expect(humanLoopNameFor(reviewTaskId(mediaId))).toBe(`${mediaId}-review`);
  });

  it("derives a conforming, deterministic and distinct name from an id that does not conform", () => {
    const ids = ["Media_42/Review", "media-42-review!", "-" + "x".repeat(80), "ÄÖÜ", "A", "a"];
    const names = ids.map(humanLoopNameFor);
    for (const name of names) {
      expect(isHumanLoopName(name)).toBe(true);
      expect(name).toMatch(HUMAN_LOOP_NAME_PATTERN);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(names[0]).toMatch(/^media-42-review-[0-9a-f]{10}$/);
    expect(names[3]).toMatch(/^task-[0-9a-f]{10}$/);
    expect(new Set(names).size).toBe(ids.length);
    expect(ids.map(humanLoopNameFor)).toEqual(names);
  });
});

describe("createA2iReviewQueue", () => {
  it("starts a human loop named from the task id on our flow definition with the task input", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: `arn:aws:sagemaker:us-east-1:111122223333:human-loop/${mediaId}-review` });
    const { queue, loaded } = make();
    await queue.open(task);

    expect(loaded).toEqual([moderationRef]);
    expect(a2i).toHaveReceivedCommandExactlyOnceWith(StartHumanLoopCommand, {
      HumanLoopName: `${mediaId}-review`, FlowDefinitionArn: FLOW, HumanLoopInput: { InputContent: expect.any(String) },
    });
    const { input, content } = sentInput();
    expect(Object.keys(input).sort()).toEqual(["FlowDefinitionArn", "HumanLoopInput", "HumanLoopName"]);
    expect(input.HumanLoopName).toMatch(HUMAN_LOOP_NAME_PATTERN);
    expect(content.length).toBeLessThanOrEqual(MAX_INPUT_CONTENT_CHARS);
    const parsed = ReviewTaskInput.parse(JSON.parse(content));
    expect(parsed).toEqual({
      taskId: `${mediaId}-review`, mediaId,
      mediaUrl: `https://media.s3.us-east-1.amazonaws.com/media/${mediaId}/source.mp4?X-Amz-Signature=sig`,
      mediaS3Uri: `s3://media/media/${mediaId}/source.mp4`,
      segmentCount: 3,
      segments: [
        {
          index: 0, startMs: 12000, endMs: 15000, category: "Violence", name: "Weapons", parent: "Violence", confidence: 63.2, decision: "review",
          keyframeUrl: `https://media.s3.us-east-1.amazonaws.com/derived/${mediaId}/frames/000012000.jpg?X-Amz-Signature=sig`,
          keyframeS3Uri: `s3://media/derived/${mediaId}/frames/000012000.jpg`,
        },
        {
          index: 1, startMs: 40000, endMs: 41000, category: "Suggestive", name: "Suggestive", parent: "", confidence: 88.5, decision: "flagged",
          keyframeUrl: `https://media.s3.us-east-1.amazonaws.com/derived/${mediaId}/frames/000040000.jpg?X-Amz-Signature=sig`,
          keyframeS3Uri: `s3://media/derived/${mediaId}/frames/000040000.jpg`,
        },
        { index: 2, startMs: 70000, endMs: 72000, category: "Drugs & Tobacco", name: "Alcohol", parent: "Drugs & Tobacco", confidence: 55, decision: "review" },
      ],
      categories: ["Drugs & Tobacco", "Suggestive", "Violence"],
      omitted: { keyframes: 0, segments: [] },
      notes: [],
    });
  });

  it("treats ConflictException as the loop already started for this task", async () => {
    a2i.on(StartHumanLoopCommand).rejects(new ConflictException({ message: "HumanLoop already exists with different input", $metadata: {} }));
    await expect(make().queue.open(task)).resolves.toBeUndefined();
    expect(a2i).toHaveReceivedCommandTimes(StartHumanLoopCommand, 1);
  });

  it("throws a retryable error on throttling and on an exceeded quota", async () => {
    a2i.on(StartHumanLoopCommand).rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }))
      .rejectsOnce(new ServiceQuotaExceededException({ message: "Too many active human loops", $metadata: {} }));
    const { queue } = make();
    const first = await queue.open(task).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(HumanLoopBusyError);
    expect(first).toBeInstanceOf(RetryableError);
    expect(first).toMatchObject({ code: "ThrottlingException", retryable: true });
    await expect(queue.open(task)).rejects.toMatchObject({ code: "ServiceQuotaExceededException", retryable: true });
  });

  it("throws a non-retryable error when A2I refuses the request", async () => {
    a2i.on(StartHumanLoopCommand).rejects(new ValidationException({ message: "Invalid input", $metadata: {} }));
    const error = await make().queue.open(task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HumanLoopRequestError);
    expect(error).toMatchObject({ retryable: false });
  });

  it("trims keyframes, then segments, to fit the input limit and says so", async () => {
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn" });
    const many: ModerationDocument = {
      ...moderation,
      segments: Array.from({ length: 400 }, (_, i) => ({
        ...moderation.segments[0]!, startMs: i * 1000, endMs: i * 1000 + 500, decision: i % 2 ? ("flagged" as const) : ("review" as const),
        keyframe: { bucket: "media", key: `derived/${mediaId}/frames/${String(i).padStart(9, "0")}.jpg` },
      })),
    };
    const longUrl = async (ref: ObjectRef) => `https://media.s3.amazonaws.com/${ref.key}?X-Amz-Security-Token=${"t".repeat(900)}`;
    // Keyframes only: 400 × ~1 000 characters do not fit 200 000; the segments alone do.
    await make({ maxInputChars: 200_000, mediaUrl: longUrl }, many).queue.open(task);
    const kept = ReviewTaskInput.parse(JSON.parse(sentInput().content));
    expect(sentInput().content.length).toBeLessThanOrEqual(200_000);
    expect(kept.segments).toHaveLength(400);
    expect(kept.omitted.segments).toEqual([]);
    expect(kept.omitted.keyframes).toBeGreaterThan(0);
    // The uncertain segments keep their keyframes before the flagged ones do.
    const withFrame = kept.segments.filter((s) => s.keyframeUrl);
    expect(withFrame.length).toBe(400 - kept.omitted.keyframes);
    expect(withFrame.every((s) => s.decision === "review")).toBe(true);
    expect(kept.notes[0]).toMatch(/keyframe link\(s\) left out to fit A2I's 200,000-character input limit/);

    a2i.reset();
    a2i.on(StartHumanLoopCommand).resolves({ HumanLoopArn: "arn" });
    await make({ maxInputChars: 20_000, mediaUrl: longUrl }, many).queue.open(task);
    const fewer = ReviewTaskInput.parse(JSON.parse(sentInput().content));
    expect(sentInput().content.length).toBeLessThanOrEqual(20_000);
    expect(fewer.segments.length).toBeGreaterThan(0);
    expect(fewer.segments.length + fewer.omitted.segments.length).toBe(400);
    expect(fewer.segments.every((s) => s.decision === "review" && !s.keyframeUrl)).toBe(true);
    expect(fewer.notes.join(" ")).toMatch(/segment\(s\) left out/);
  });

  it("refuses a document that is not a moderation document, without calling A2I", async () => {
    await expect(make({}, { segments: "nope" }).queue.open(task)).rejects.toMatchObject({ retryable: false });
    expect(a2i).not.toHaveReceivedCommand(StartHumanLoopCommand);
  });

  it("refuses a flow definition ARN that is not one", () => {
    expect(() => make({ flowDefinitionArn: "media-review" })).toThrow(/flowDefinitionArn must be a flow definition ARN/);
  });
});
