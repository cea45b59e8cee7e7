import { CreateTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { ReviewSegment, ReviewTask } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto, type Moto } from "../../../../../test/helpers/moto.js";
import { createDynamoReviewBoard, reviewTableDefinition } from "./index.js";

/*
 * A long video's review: thousands of moderation segments make a task, and a verdict answering each,
 * larger than DynamoDB's 400 KB item as JSON text. Both are stored gzipped and read back whole.
 */
let moto: Moto;
let client: DynamoDBClient;
beforeAll(async () => {
  moto = await startMoto();
  client = new DynamoDBClient(moto.clientConfig);
});
afterAll(async () => {
  await moto?.stop();
});

describe("review board: a task and a verdict beyond an item's 400 KB as text", () => {
  it("opens, lists, claims and decides a task of 4,000 segments, every answer kept", async () => {
    const tableName = `reviews-large-${Date.now()}`;
    await client.send(new CreateTableCommand(reviewTableDefinition(tableName)));
    const board = createDynamoReviewBoard({ client, tableName });
    const ref = (key: string) => ({ bucket: "media", key });
    const segments: ReviewSegment[] = Array.from({ length: 4000 }, (_, i) => ({
      index: i, startMs: i * 1000, endMs: i * 1000 + 900, category: "Violence", name: "Graphic Violence Or Gore", parent: "Violence",
      confidence: 55 + (i % 40), decision: i % 7 === 0 ? "flagged" : "review", keyframe: ref(`derived/m1/keyframes/segment-${String(i).padStart(5, "0")}.jpg`),
    }));
    const task: ReviewTask = {
      version: 1, taskId: "m1-review", mediaId: "m1", source: ref("media/m1/long.mp4"), moderation: ref("derived/m1/moderation.json"),
      modelDecision: "review", thresholds: { reviewMin: 50, flagMin: 80 }, segments, categories: ["Violence"], createdAt: new Date().toISOString(),
    };
    expect(JSON.stringify(task).length).toBeGreaterThan(400 * 1024);

    await board.open(task, "long.mp4");
    const { tasks } = await board.list({ status: "open" });
    expect(tasks.map((t) => t.segments.length)).toEqual([4000]);
    await board.claim(task.taskId, "alice");
    const answers = segments.map((s) => ({ index: s.index, outcome: "false-positive" as const }));
    const { decision } = await board.decide(task.taskId, "alice", { verdict: "approved", segments: answers, comment: "all fine" });
    expect(decision.segments).toHaveLength(4000);

    expect((await board.get(task.taskId)).decision?.segments).toHaveLength(4000);
    const decided = (await board.audit(task.taskId)).find((a) => a.action === "decide");
    expect((decided?.detail?.segments as unknown[]).length).toBe(4000);
    // Stored compressed: the item is well inside the limit.
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: task.taskId, sk: "task" }) }));
    const item = unmarshall(Item!);
    expect(item.task).toBeInstanceOf(Uint8Array);
    expect((item.task as Uint8Array).length + (item.decision as Uint8Array).length).toBeLessThan(200 * 1024);
  });
});
