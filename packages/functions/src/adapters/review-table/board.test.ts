import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { ReviewConflictError, ReviewNotFoundError, ReviewVerdictError, type ReviewTask } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto, type Moto } from "../../../../../test/helpers/moto.js";
import { createDynamoReviewBoard, ReviewItemError, reviewTableDefinition, type DynamoReviewBoard } from "./index.js";

/*
 * The review board against moto_server: real requests, real condition expressions and
 * TransactWriteItems as moto implements them, one table per test. Never skipped: without
 * moto_server on PATH, beforeAll fails with the reason.
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

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const MINUTE = 60_000;
const CLAIM_MS = 30 * MINUTE;
// Unique per run, so a table of an earlier or parallel run on the same emulator is never picked up.
const run = Date.now().toString(36);
let tables = 0;

/** A fresh table and a board on it, with a clock the test moves. */
async function setup() {
  const tableName = `reviews-${run}-${++tables}`;
  await client.send(new CreateTableCommand(reviewTableDefinition(tableName)));
  const clock = { t: T0 };
  const board = createDynamoReviewBoard({ client, tableName, now: () => new Date(clock.t), claimMs: CLAIM_MS });
  return { tableName, clock, board };
}

function task(mediaId: string, createdAt: string | number = T0): ReviewTask {
  const ref = (key: string) => ({ bucket: "media", key });
  return {
    version: 1, taskId: `${mediaId}-review`, mediaId, source: ref(`media/${mediaId}/clip.mp4`), moderation: ref(`derived/${mediaId}/moderation.json`),
    modelDecision: "review", thresholds: { reviewMin: 50, flagMin: 80 },
    segments: [
      { index: 0, startMs: 0, endMs: 1000, category: "Violence", name: "Weapons", parent: "Violence", confidence: 61, decision: "review", keyframe: ref(`derived/${mediaId}/k0.jpg`) },
      { index: 1, startMs: 1000, endMs: 2000, category: "Drugs", name: "Drugs", parent: "", confidence: 88, decision: "flagged" },
    ],
    categories: ["Drugs", "Violence"], createdAt: typeof createdAt === "number" ? new Date(createdAt).toISOString() : createdAt,
  };
}

async function opened(board: DynamoReviewBoard, mediaId: string, createdAt: string | number = T0) {
  const t = task(mediaId, createdAt);
  await board.open(t, `${mediaId}.mp4`);
  return t.taskId;
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
const approve = { verdict: "approved" as const, segments: [{ index: 0, outcome: "false-positive" as const }] };

describe("review board on the emulator: opening and reading", () => {
  it("opens a task once: a second open keeps the first, and the item has the table's layout", async () => {
    const { tableName, board } = await setup();
    const first = task("m1", "2026-12-01T09:00:00Z");
    await board.open(first, "clip.mp4");
    await board.open({ ...first, modelDecision: "flagged" }, "other.mp4");
    await expect(board.get(first.taskId)).resolves.toEqual({
      ...first, status: "open", filename: "clip.mp4", claimedBy: null, claimExpiresAt: null, decision: null,
    });

    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: first.taskId, sk: "task" }) }));
    expect(unmarshall(Item!)).toEqual({
      pk: "m1-review", sk: "task", mediaId: "m1", task: JSON.stringify(first), filename: "clip.mp4", state: "open",
      // Normalized, so the index's string order is time order whatever precision the task was written with.
      createdAt: "2026-12-01T09:00:00.000Z", queue: "open", queueAt: "2026-12-01T09:00:00.000Z",
    });
  });

  it("refuses a task that does not fit the contract, and answers not found for an unknown task", async () => {
    const { board } = await setup();
    await expect(board.open({ ...task("m1"), segments: [{ index: -1 }] } as unknown as ReviewTask)).rejects.toThrow(ReviewItemError);
    await expect(board.get("m1-review")).rejects.toThrow(ReviewNotFoundError);
    await expect(board.audit("m1-review")).rejects.toThrow(ReviewNotFoundError);
    await expect(board.claim("m1-review", "alice")).rejects.toThrow(ReviewNotFoundError);
    await expect(board.release("m1-review", "alice")).rejects.toThrow(ReviewNotFoundError);
    await expect(board.decide("m1-review", "alice", approve)).rejects.toThrow(ReviewNotFoundError);
  });

  it("lists each queue in its order with every count, and leaves out an item that does not parse", async () => {
    const { tableName, clock, board } = await setup();
    // Opened out of order: the queue orders by creation.
    const c = await opened(board, "c", T0 - 1 * MINUTE);
    const a = await opened(board, "a", T0 - 3 * MINUTE);
    const b = await opened(board, "b", T0 - 2 * MINUTE);
    const d = await opened(board, "d", T0 - 4 * MINUTE);
    const e = await opened(board, "e", T0 - 5 * MINUTE);
    const f = await opened(board, "f", T0 - 6 * MINUTE);
    await client.send(new PutItemCommand({
      TableName: tableName,
      Item: marshall({ pk: "broken-review", sk: "task", mediaId: "broken", task: "{not json", state: "open", createdAt: "2026-01-01T00:00:00.000Z", queue: "open", queueAt: "2026-01-01T00:00:00.000Z" }),
    }));
    await board.claim(b, "alice");
    await board.decide(d, "bob", approve);
    clock.t += MINUTE;
    await board.decide(e, "carol", { verdict: "rejected" });
    await board.expire({ undecidedForMs: 5.5 * MINUTE }); // f only: created 7 minutes ago by now

    const ids = (list: { tasks: Array<{ taskId: string }> }) => list.tasks.map((t) => t.taskId);
    const counts = { open: 3, claimed: 1, decided: 2, expired: 1 }; // the broken item counts as open, as a row does locally
    const open = await board.list({ status: "open" });
    expect(ids(open)).toEqual([a, b, c]);
    expect(open.counts).toEqual(counts);
    expect(open.tasks[1]).toMatchObject({ status: "claimed", claimedBy: "alice", claimExpiresAt: new Date(T0 + CLAIM_MS).toISOString(), filename: "b.mp4" });
    expect(await board.list()).toEqual(open);
    await expect(board.list({ status: "claimed" })).resolves.toEqual({ tasks: [open.tasks[1]], counts });
    const decided = await board.list({ status: "decided" });
    expect(ids(decided)).toEqual([e, d]); // newest decision first
    expect(decided.tasks[0]).toMatchObject({ status: "decided", claimedBy: null, decision: { reviewer: "carol", verdict: "rejected" } });
    expect(decided.counts).toEqual(counts);
    const expired = await board.list({ status: "expired" });
    expect(expired.tasks).toEqual([expect.objectContaining({ taskId: f, status: "expired", decision: null })]);
    expect(expired.counts).toEqual(counts);
    const all = await board.list({ status: "all" });
    expect(ids(all)).toEqual([f, e, d, a, b, c]); // oldest first, whatever the state
    expect(all.counts).toEqual(counts);

    // The holder's claim lapses: it counts as open again.
    clock.t += CLAIM_MS;
    await expect(board.list({ status: "claimed" })).resolves.toEqual({ tasks: [], counts: { ...counts, open: 4, claimed: 0 } });
  });
});

describe("review board on the emulator: claims", () => {
  it("claims, renews without a new audit entry, refuses others, and releases once", async () => {
    const { clock, board } = await setup();
    const id = await opened(board, "m1");
    const until = (ms: number) => new Date(ms).toISOString();

    await expect(board.claim(id, "alice")).resolves.toMatchObject({ taskId: id, status: "claimed", claimedBy: "alice", claimExpiresAt: until(T0 + CLAIM_MS) });
    clock.t += 10 * MINUTE;
    await expect(board.claim(id, "alice")).resolves.toMatchObject({ claimedBy: "alice", claimExpiresAt: until(T0 + 10 * MINUTE + CLAIM_MS) });
    await expect(board.get(id)).resolves.toMatchObject({ status: "claimed", claimedBy: "alice", claimExpiresAt: until(T0 + 10 * MINUTE + CLAIM_MS) });

    const claimed = await rejection(board.claim(id, "bob"));
    expect(claimed).toBeInstanceOf(ReviewConflictError);
    expect(claimed).toMatchObject({ code: "claimed", holder: "alice", message: expect.stringMatching(/claimed by alice/) });
    await expect(board.release(id, "bob")).rejects.toMatchObject({ code: "claimed", holder: "alice" });

    clock.t += MINUTE;
    await expect(board.release(id, "alice")).resolves.toMatchObject({ status: "open", claimedBy: null, claimExpiresAt: null });
    clock.t += MINUTE;
    await expect(board.release(id, "alice")).resolves.toMatchObject({ status: "open" }); // not holding: nothing happens
    await expect(board.claim(id, "bob")).resolves.toMatchObject({ claimedBy: "bob" });

    expect(await board.audit(id)).toEqual([
      { at: until(T0), reviewer: "alice", action: "claim", detail: { until: until(T0 + CLAIM_MS) } },
      { at: until(T0 + 11 * MINUTE), reviewer: "alice", action: "release", detail: null },
      { at: until(T0 + 12 * MINUTE), reviewer: "bob", action: "claim", detail: { until: until(T0 + 12 * MINUTE + CLAIM_MS) } },
    ]);
  });

  it("lets a lapsed claim be taken over, and the former holder then loses", async () => {
    const { clock, board } = await setup();
    const id = await opened(board, "m1");
    await board.claim(id, "alice");
    clock.t += CLAIM_MS - 1;
    await expect(board.claim(id, "bob")).rejects.toMatchObject({ code: "claimed", holder: "alice" });
    clock.t += 1; // a claim holds while claimExpiresMs > now, as in the local store
    await expect(board.claim(id, "bob")).resolves.toMatchObject({ claimedBy: "bob" });
    await expect(board.claim(id, "alice")).rejects.toMatchObject({ code: "claimed", holder: "bob" });
    await expect(board.decide(id, "alice", approve)).rejects.toMatchObject({ code: "claimed", holder: "bob" });
    // Alice's lapsed claim is not hers to release any more: a no-op, not a release of Bob's.
    clock.t += CLAIM_MS;
    await expect(board.release(id, "alice")).resolves.toMatchObject({ status: "open", claimedBy: null });
    // Re-claiming one's own lapsed claim is a new claim, audited as one.
    await board.claim(id, "bob");
    expect((await board.audit(id)).map((e) => `${e.action} ${e.reviewer}`)).toEqual(["claim alice", "claim bob", "claim bob"]);
  });

  /**
   * Two reviewers at once, where both have read the free task before either writes: the loser's
   * conditional write must fail and answer with the winner's hold. moto's TransactWriteItems is not
   * isolated under concurrent requests (measured on moto 5.2.1: of 100 pairs of racing transactions
   * with the same condition, both committed in 10, and in 9 the loser's rollback undid the winner's
   * write), while DynamoDB guarantees it; so the transactions reach moto one at a time, in whatever
   * order they were sent. What runs is our conditions and the loser's path, against a real implementation.
   */
  async function race<T>(tableName: string, act: (board: DynamoReviewBoard, reviewer: string) => Promise<T>) {
    let reads = 0;
    let bothRead!: () => void;
    const gate = new Promise<void>((resolve) => (bothRead = resolve));
    let turn = Promise.resolve();
    const racing = {
      async send(command: Parameters<DynamoDBClient["send"]>[0]) {
        if (!(command instanceof TransactWriteItemsCommand)) {
          const output = await client.send(command as never);
          if (command instanceof GetItemCommand && ++reads === 2) bothRead();
          return output;
        }
        await gate;
        const sent = turn.then(() => client.send(command));
        turn = sent.then(() => undefined, () => undefined);
        return sent;
      },
    } as Pick<DynamoDBClient, "send">;
    const board = createDynamoReviewBoard({ client: racing, tableName, now: () => new Date(T0), claimMs: CLAIM_MS });
    const results = await Promise.allSettled([act(board, "alice"), act(board, "bob")]);
    return {
      won: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
      lost: results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])),
      reads,
    };
  }

  it("of two reviewers claiming at once, exactly one wins and the other gets the holder (20 rounds)", async () => {
    const { tableName, board } = await setup();
    for (let round = 0; round < 20; round++) {
      const id = await opened(board, `race${round}`);
      const { won, lost, reads } = await race(tableName, (b, reviewer) => b.claim(id, reviewer));
      expect(won, `round ${round}`).toHaveLength(1);
      // The loser judged the item its failed condition returned (moto, like DynamoDB, returns it with
      // a cancelled transaction's reasons): no second read.
      expect(reads).toBe(2);
      const winner = won[0].claimedBy;
      expect(lost[0]).toBeInstanceOf(ReviewConflictError);
      expect(lost[0]).toMatchObject({ code: "claimed", holder: winner });
      await expect(board.get(id)).resolves.toMatchObject({ claimedBy: winner });
      expect(await board.audit(id)).toEqual([expect.objectContaining({ action: "claim", reviewer: winner })]);
    }
  });

  it("of two reviewers deciding an unclaimed task at once, exactly one decision stands (20 rounds)", async () => {
    const { tableName, board } = await setup();
    for (let round = 0; round < 20; round++) {
      const id = await opened(board, `race${round}`);
      const { won, lost, reads } = await race(tableName, (b, reviewer) => b.decide(id, reviewer, approve));
      expect(won, `round ${round}`).toHaveLength(1);
      expect(reads).toBe(2);
      const winner = won[0].decision.reviewer;
      expect(lost[0]).toBeInstanceOf(ReviewConflictError);
      expect(lost[0]).toMatchObject({ code: "decided", holder: winner });
      await expect(board.get(id)).resolves.toMatchObject({ status: "decided", decision: { reviewer: winner } });
      expect((await board.audit(id)).map((e) => `${e.action} ${e.reviewer}`)).toEqual([`decide ${winner}`]);
    }
  });
});

describe("review board on the emulator: verdicts", () => {
  it("decides a claimed task for its holder, and refuses everyone else before and after (the 409 cases)", async () => {
    const { clock, board } = await setup();
    const id = await opened(board, "m1");
    await board.claim(id, "alice");
    await expect(board.decide(id, "bob", approve)).rejects.toMatchObject({ code: "claimed", holder: "alice" });
    clock.t += MINUTE;
    const { decision, task: decidedTask, repeat } = await board.decide(id, "alice", { ...approve, comment: "  a toy gun  " });
    expect(repeat).toBe(false);
    expect(decidedTask).toEqual(task("m1"));
    expect(decision).toEqual({
      taskId: id, reviewer: "alice", decidedAt: new Date(T0 + MINUTE).toISOString(), verdict: "approved",
      segments: [{ index: 0, outcome: "false-positive" }], comment: "a toy gun",
    });
    await expect(board.get(id)).resolves.toMatchObject({ status: "decided", claimedBy: null, claimExpiresAt: null, decision });

    const second = await rejection(board.decide(id, "bob", { verdict: "rejected" }));
    expect(second).toBeInstanceOf(ReviewConflictError);
    expect(second).toMatchObject({ code: "decided", holder: "alice", message: expect.stringMatching(/approved by alice/) });
    await expect(board.claim(id, "bob")).rejects.toMatchObject({ code: "decided" });
    await expect(board.release(id, "alice")).rejects.toMatchObject({ code: "decided" });
    expect((await board.audit(id)).slice(1)).toEqual([
      { at: new Date(T0 + MINUTE).toISOString(), reviewer: "alice", action: "decide", detail: { verdict: "approved", segments: [{ index: 0, outcome: "false-positive" }], comment: "a toy gun" } },
    ]);
  });

  it("claims an unclaimed task on the way to deciding it, and takes over a lapsed claim", async () => {
    const { clock, board } = await setup();
    const direct = await opened(board, "m1");
    await expect(board.decide(direct, "alice", { verdict: "rejected" })).resolves.toMatchObject({ decision: { reviewer: "alice", segments: [] }, repeat: false });
    expect(await board.audit(direct)).toEqual([expect.objectContaining({ action: "decide", reviewer: "alice", detail: { verdict: "rejected", segments: [] } })]);

    const lapsed = await opened(board, "m2");
    await board.claim(lapsed, "alice");
    clock.t += CLAIM_MS;
    await expect(board.decide(lapsed, "bob", approve)).resolves.toMatchObject({ decision: { reviewer: "bob" } });
  });

  it("refuses malformed and ill-fitting verdicts, listing the problems, and leaves the task open", async () => {
    const { board } = await setup();
    const id = await opened(board, "m1");
    const invalid = async (reviewer: string, verdict: unknown, pattern: RegExp) => {
      const error = await rejection(board.decide(id, reviewer, verdict as never));
      expect(error).toBeInstanceOf(ReviewVerdictError);
      expect((error as ReviewVerdictError).issues.join("\n")).toMatch(pattern);
    };
    await invalid("alice", { verdict: "maybe" }, /^verdict: /);
    await invalid("alice", { verdict: "approved", segments: [{ index: 0, outcome: "meh" }] }, /segments\.0\.outcome/);
    await invalid("", approve, /reviewer/);
    await invalid(" alice", approve, /reviewer/);
    await invalid("alice", { verdict: "approved", segments: [{ index: 7, outcome: "confirmed" }] }, /segment 7 is not in this task/);
    await invalid("alice", { verdict: "rejected", segments: [{ index: 0, outcome: "wrong-category" }] }, /needs the right category/);
    await invalid("alice", { verdict: "rejected", segments: [{ index: 0, outcome: "wrong-category", category: "violence" }] }, /the category the model gave/);
    await invalid("alice", { verdict: "rejected", segments: [{ index: 1, outcome: "confirmed" }, { index: 1, outcome: "confirmed" }] }, /answered twice/);
    await expect(board.get(id)).resolves.toMatchObject({ status: "open", claimedBy: null, decision: null });
    expect(await board.audit(id)).toEqual([]);
  });

  it("answers the same reviewer's unannounced decision as a repeat, and a conflict once it is announced", async () => {
    const { clock, board } = await setup();
    const id = await opened(board, "m1");
    const first = await board.decide(id, "alice", approve);
    clock.t += MINUTE;
    // The caller's publish after the first decide failed; the reviewer sends the verdict again.
    await expect(board.decide(id, "alice", { verdict: "rejected" })).resolves.toEqual({ ...first, repeat: true });
    await expect(board.decide(id, "bob", approve)).rejects.toMatchObject({ code: "decided", holder: "alice" });
    await board.markAnnounced(id);
    await expect(board.decide(id, "alice", approve)).rejects.toMatchObject({ code: "decided", holder: "alice" });
    expect((await board.audit(id)).map((e) => e.action)).toEqual(["decide"]);
  });
});

describe("review board on the emulator: expiry and announcing", () => {
  it("expires old undecided tasks only, defers under a live claim, never touches a decided one", async () => {
    const { clock, board } = await setup();
    const old = await opened(board, "old", T0 - 3 * 60 * MINUTE);
    const fresh = await opened(board, "fresh", T0 - 10 * MINUTE);
    const held = await opened(board, "held", T0 - 3 * 60 * MINUTE);
    const decided = await opened(board, "decided", T0 - 3 * 60 * MINUTE);
    const lapsed = await opened(board, "lapsed", T0 - 3 * 60 * MINUTE);
    await board.claim(held, "alice");
    await board.decide(decided, "bob", approve);
    clock.t -= CLAIM_MS; // a claim that has lapsed by now
    await board.claim(lapsed, "carol");
    clock.t = T0;

    const expired = await board.expire({ undecidedForMs: 60 * MINUTE });
    expect(expired.map((e) => e.task.taskId).sort()).toEqual([lapsed, old]);
    expect(expired[0]).toEqual({ task: expect.objectContaining({ mediaId: expect.any(String) }), expiredAt: new Date(T0).toISOString() });
    await expect(board.get(old)).resolves.toMatchObject({ status: "expired", claimedBy: null, decision: null });
    await expect(board.get(fresh)).resolves.toMatchObject({ status: "open" });
    await expect(board.get(held)).resolves.toMatchObject({ status: "claimed", claimedBy: "alice" });
    await expect(board.get(decided)).resolves.toMatchObject({ status: "decided" });
    expect((await board.audit(old)).at(-1)).toEqual({ at: new Date(T0).toISOString(), reviewer: "system", action: "expire", detail: { after: "60 minutes" } });

    // An expired task refuses everyone, with the expired conflict.
    await expect(board.claim(old, "alice")).rejects.toMatchObject({ code: "expired" });
    await expect(board.decide(old, "alice", approve)).rejects.toMatchObject({ code: "expired" });
    await expect(board.release(old, "alice")).rejects.toMatchObject({ code: "expired" });
    // Again at once: nothing more to expire.
    await expect(board.expire({ undecidedForMs: 60 * MINUTE })).resolves.toEqual([]);

    // The claim lapses undecided: the next sweep expires the task.
    clock.t = T0 + CLAIM_MS;
    await expect(board.expire({ undecidedForMs: 60 * MINUTE })).resolves.toEqual([{ task: task("held", T0 - 3 * 60 * MINUTE), expiredAt: new Date(T0 + CLAIM_MS).toISOString() }]);
    await expect(board.get(decided)).resolves.toMatchObject({ status: "decided" });
    await expect(board.get(fresh)).resolves.toMatchObject({ status: "open" });
  });

  it("finds decided and expired tasks left unannounced once older than the grace, until they are marked", async () => {
    const { clock, board } = await setup();
    const decided = await opened(board, "decided", T0 - 3 * 60 * MINUTE);
    const expiring = await opened(board, "expiring", T0 - 3 * 60 * MINUTE);
    const announced = await opened(board, "announced", T0 - 3 * 60 * MINUTE);
    const open = await opened(board, "open", T0 - 3 * 60 * MINUTE);
    await board.claim(open, "dave");
    const { decision } = await board.decide(decided, "alice", approve);
    await board.decide(announced, "bob", approve);
    await board.markAnnounced(announced);
    clock.t += MINUTE;
    await board.expire({ undecidedForMs: 60 * MINUTE });

    // Within the grace a publish may still be on its way; "older than" is strict.
    await expect(board.unannounced({ olderThanMs: 2 * MINUTE })).resolves.toEqual([]);
    clock.t += 2 * MINUTE;
    expect((await board.unannounced({ olderThanMs: 2 * MINUTE })).map((u) => u.task.taskId)).toEqual([decided]);
    clock.t += 1;
    expect(await board.unannounced({ olderThanMs: 2 * MINUTE })).toEqual([
      { task: task("decided", T0 - 3 * 60 * MINUTE), state: "decided", decision },
      { task: task("expiring", T0 - 3 * 60 * MINUTE), state: "expired", expiredAt: new Date(T0 + MINUTE).toISOString() },
    ]);

    await board.markAnnounced(decided);
    await board.markAnnounced(expiring);
    await board.markAnnounced(open); // not ended: nothing to record
    await board.markAnnounced("no-such-review"); // and no item appears
    await expect(board.unannounced({ olderThanMs: 2 * MINUTE })).resolves.toEqual([]);
    await expect(board.get(open)).resolves.toMatchObject({ status: "claimed", claimedBy: "dave" });
    await expect(board.get("no-such-review")).rejects.toThrow(ReviewNotFoundError);
    await expect(board.decide(decided, "alice", approve)).rejects.toMatchObject({ code: "decided" });
  });
});
