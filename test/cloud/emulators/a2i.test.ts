import { readFileSync } from "node:fs";
import {
  DeleteHumanLoopCommand, DescribeHumanLoopCommand, ListHumanLoopsCommand, SageMakerA2IRuntimeClient, StartHumanLoopCommand, StopHumanLoopCommand,
} from "@aws-sdk/client-sagemaker-a2i-runtime";
import { ReviewTask } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseA2iOutput } from "../../../packages/functions/src/adapters/a2i/output.js";
import { createA2iReviewQueue } from "../../../packages/functions/src/adapters/a2i/review-queue.js";
import { parseA2iStatusEvent } from "../../../packages/functions/src/adapters/a2i/status-event.js";
import { createBucket, s3sdk, startEmulatorFixture, type EmulatorFixture } from "./fixture.js";

/** The A2I runtime emulator: the real client, the documented output and status-change event, our adapters reading them. */
let f: EmulatorFixture;
let events: { url: string };
const flowDefinitionArn = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/media-review";
const outputS3Uri = "s3://review-output/a2i-results";

beforeAll(async () => {
  f = await startEmulatorFixture("a2i");
  await createBucket(f, "review-output");
  f.emulators.a2i.registerFlowDefinition({ arn: flowDefinitionArn, outputS3Uri });
  events = await f.defaultBusRuleToQueue("a2i-status", { source: ["aws.sagemaker"], "detail-type": ["SageMaker A2I HumanLoop Status Change"] });
});
afterAll(async () => {
  await f?.stop();
});

/** A review task as request-review stores it (core's contract), from the adapter's fixture. */
function task(taskId: string): ReviewTask {
  const fixture = JSON.parse(readFileSync(new URL("../../../packages/functions/src/adapters/a2i/fixtures/output-completed.json", import.meta.url), "utf8"));
  return ReviewTask.parse({ ...fixture.inputContent, taskId });
}

async function nextEvent(): Promise<Record<string, unknown>> {
  const [body] = await f.receive(events.url, 1);
  expect(body, "a status-change event on the default bus").toBeDefined();
  // moto leaves `account` out of the events it delivers to SQS targets; EventBridge always sets it.
  return { account: f.moto.account, ...(JSON.parse(body!) as Record<string, unknown>) };
}

describe("A2I runtime emulator", () => {
  it("starts a loop through the review queue adapter, completes it with the documented output and event, and our adapters read both", async () => {
    const client = new SageMakerA2IRuntimeClient({});
    let n = 0;
    // Presigned URLs differ per call, so a repeated start has other input: ConflictException, taken as "already started".
    const queue = createA2iReviewQueue({ client, flowDefinitionArn, mediaUrl: async () => `https://media.example/source.mp4?sig=${++n}` });
    const t = task("01jd8x7k2m4n6p8q0r2s4t6v8w-review");
    await expect(queue.start(t, 1)).resolves.toEqual({ humanLoopName: t.taskId, started: true });
    await expect(queue.start(t, 1)).resolves.toEqual({ humanLoopName: t.taskId, started: false });

    const open = f.emulators.a2i.openLoops();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ name: t.taskId, flowDefinitionArn });
    expect(JSON.parse(open[0]!.inputContent)).toMatchObject({ taskId: t.taskId, mediaUrl: "https://media.example/source.mp4?sig=1" });
    await expect(client.send(new DescribeHumanLoopCommand({ HumanLoopName: t.taskId }))).resolves.toMatchObject({ HumanLoopStatus: "InProgress" });

    await f.emulators.a2i.completeLoop(t.taskId, { verdict: "rejected", "segment-0-outcome": "confirmed", comment: "as flagged" }, { workerId: "w-1", sub: "reviewer-sub" });
    const event = await nextEvent();
    const status = parseA2iStatusEvent(event, { flowDefinitionArn });
    expect(status).toMatchObject({ humanLoopName: t.taskId, status: "Completed", humanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${t.taskId}` });
    // <output path>/<flow definition name>/YYYY/MM/DD/hh/mm/ss/<loop name>/output.json
    expect(status!.outputS3Uri).toMatch(new RegExp(`^s3://review-output/a2i-results/media-review/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{2}/\\d{2}/${t.taskId}/output\\.json$`));
    const object = await f.s3.send(new s3sdk.GetObjectCommand({ Bucket: status!.outputRef!.bucket, Key: status!.outputRef!.key }));
    const output = JSON.parse(await object.Body!.transformToString());
    expect(parseA2iOutput(output, { taskId: t.taskId })).toMatchObject({
      verdict: "rejected", reviewer: "reviewer-sub", segments: [{ index: 0, outcome: "confirmed" }], comment: "as flagged",
    });
    expect(output.humanAnswers[0]).toMatchObject({ workerId: "w-1", workerMetadata: { identityData: { sub: "reviewer-sub" } } });

    const described = await client.send(new DescribeHumanLoopCommand({ HumanLoopName: t.taskId }));
    expect(described).toMatchObject({ HumanLoopStatus: "Completed", HumanLoopOutput: { OutputS3Uri: status!.outputS3Uri }, FlowDefinitionArn: flowDefinitionArn });
    expect(described.CreationTime).toBeInstanceOf(Date);
    expect(f.emulators.a2i.openLoops()).toEqual([]);
  });

  it("sends Failed with the reason when a loop fails, and Stopped when it is stopped", async () => {
    const client = new SageMakerA2IRuntimeClient({});
    const start = (name: string) => client.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flowDefinitionArn, HumanLoopInput: { InputContent: JSON.stringify({ taskId: name, segments: [] }) } }));
    await start("loop-to-fail");
    await f.emulators.a2i.failLoop("loop-to-fail", "No worker completed the task before it expired.");
    expect(parseA2iStatusEvent(await nextEvent(), { flowDefinitionArn })).toMatchObject({ status: "Failed", failureReason: "No worker completed the task before it expired." });

    await start("loop-to-stop");
    await client.send(new StopHumanLoopCommand({ HumanLoopName: "loop-to-stop" }));
    expect(parseA2iStatusEvent(await nextEvent(), { flowDefinitionArn })).toMatchObject({ humanLoopName: "loop-to-stop", status: "Stopped" });
    await expect(client.send(new StopHumanLoopCommand({ HumanLoopName: "loop-to-stop" }))).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("enforces the name rules, the input limit, the flow definition and idempotent starts", async () => {
    const client = new SageMakerA2IRuntimeClient({});
    const start = (name: string, content = "{}", flow = flowDefinitionArn) =>
      client.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flow, HumanLoopInput: { InputContent: content } }));
    await expect(start("Upper-Case")).rejects.toMatchObject({ name: "ValidationException" });
    await expect(start("ends-with-")).rejects.toMatchObject({ name: "ValidationException" });
    await expect(start("a".repeat(64))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(start("too-large", "x".repeat(3_145_729))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(start("unknown-flow", "{}", "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/other")).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const first = await start("same-input", '{"a":1}');
    await expect(start("same-input", '{"a":1}')).resolves.toMatchObject({ HumanLoopArn: first.HumanLoopArn });
    await expect(start("same-input", '{"a":2}')).rejects.toMatchObject({ name: "ConflictException", $metadata: { httpStatusCode: 409 } });
    await expect(start("a".repeat(63), "x".repeat(3_145_728))).resolves.toMatchObject({ HumanLoopArn: expect.stringContaining("human-loop/") });
  });

  it("lists a flow definition's loops page by page, newest first, and deletes only a finished loop", async () => {
    const client = new SageMakerA2IRuntimeClient({});
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowDefinitionArn, MaxResults: 2, NextToken: token }));
      expect(page.HumanLoopSummaries!.length).toBeLessThanOrEqual(2);
      names.push(...page.HumanLoopSummaries!.map((s) => s.HumanLoopName!));
      token = page.NextToken;
    } while (token);
    expect(names).toHaveLength(new Set(names).size);
    expect(names).toEqual(expect.arrayContaining(["01jd8x7k2m4n6p8q0r2s4t6v8w-review", "loop-to-fail", "loop-to-stop", "same-input"]));
    expect(names.indexOf("loop-to-stop")).toBeLessThan(names.indexOf("loop-to-fail"));
    await expect(client.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowDefinitionArn, NextToken: "bogus" }))).rejects.toMatchObject({ name: "ValidationException" });

    await expect(client.send(new DeleteHumanLoopCommand({ HumanLoopName: "same-input" }))).rejects.toMatchObject({ name: "ValidationException" });
    await client.send(new DeleteHumanLoopCommand({ HumanLoopName: "loop-to-stop" }));
    await expect(client.send(new DescribeHumanLoopCommand({ HumanLoopName: "loop-to-stop" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
