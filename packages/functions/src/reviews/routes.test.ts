import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ReviewDecision, ReviewTask } from "@media-pipeline/core";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto, type Moto } from "../../../../test/helpers/moto.js";
import type { ApiEvent } from "../api/http.js";
import { createDynamoReviewBoard, reviewTableDefinition } from "../adapters/review-table/index.js";
import { createS3BlobStore, presignedGetUrl } from "../adapters/s3-blob-store.js";
import { claimList } from "./identity.js";
import { createReviewRoutes } from "./routes.js";
import { sweepReviews } from "./sweep.js";

/*
 * The cloud's /reviews handlers on the emulator: the DynamoDB review table and S3 of moto_server, the
 * handlers called with API Gateway's payload 2.0 events as the JWT authorizer passes them on. What
 * the authorizer itself refuses (no token, a wrong audience) is the harness's test
 * (test/cloud/harness-auth.test.ts); the whole flow through the deployed API is test/cloud-review.test.ts.
 */

let moto: Moto;
let dynamo: DynamoDBClient;
let s3: S3Client;
const BUCKET = "media";
const VIDEO = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

beforeAll(async () => {
  moto = await startMoto();
  dynamo = new DynamoDBClient(moto.clientConfig);
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await moto?.stop();
});

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
let tables = 0;

function reviewTask(mediaId: string, createdAt = T0): ReviewTask {
  const ref = (key: string) => ({ bucket: BUCKET, key });
  return {
    version: 1, taskId: `${mediaId}-review`, mediaId, source: ref(`media/${mediaId}/clip.mp4`), moderation: ref(`derived/${mediaId}/moderation.json`),
    modelDecision: "review", thresholds: { reviewMin: 50, flagMin: 80 },
    segments: [
      { index: 0, startMs: 0, endMs: 1000, category: "Violence", name: "Weapons", parent: "Violence", confidence: 61, decision: "review", keyframe: ref(`derived/${mediaId}/k0.jpg`) },
      { index: 1, startMs: 1000, endMs: 2000, category: "Drugs", name: "Drugs", parent: "", confidence: 88, decision: "flagged" },
    ],
    categories: ["Drugs", "Violence"], createdAt: new Date(createdAt).toISOString(),
  };
}

/** A table, a board with a clock the test moves, the routes over them, and what they announced. */
async function setup(options: { failAnnounce?: number } = {}) {
  const tableName = `reviews-${++tables}`;
  await dynamo.send(new CreateTableCommand(reviewTableDefinition(tableName)));
  const clock = { t: T0 };
  const board = createDynamoReviewBoard({ client: dynamo, tableName, now: () => new Date(clock.t) });
  const announced: Array<{ task: ReviewTask; decision: ReviewDecision }> = [];
  let failures = options.failAnnounce ?? 0;
  const routes = createReviewRoutes({
    board,
    presign: (ref) => presignedGetUrl(s3, ref, 600),
    async announce(task, decision) {
      if (failures-- > 0) throw new Error("EventBridge is unreachable");
      announced.push({ task, decision });
    },
    identity: { group: "reviewers" },
  });
  return { tableName, clock, board, routes, announced };
}

async function opened(board: ReturnType<typeof createDynamoReviewBoard>, mediaId: string, createdAt = T0) {
  const task = reviewTask(mediaId, createdAt);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: task.source.key, Body: VIDEO, ContentType: "video/mp4" }));
  await board.open(task, "clip.mp4");
  return task;
}

/** An event as API Gateway passes it after the JWT authorizer: claims as strings, groups as `[a b]`. */
function event(routeKey: string, options: { taskId?: string; body?: unknown; query?: Record<string, string>; user?: string | null; groups?: string } = {}): ApiEvent {
  const user = options.user === undefined ? "alice" : options.user;
  return {
    version: "2.0", routeKey, rawPath: routeKey.split(" ")[1]!, rawQueryString: "", headers: {},
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.taskId ? { pathParameters: { taskId: options.taskId } } : {}),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    isBase64Encoded: false,
    requestContext: {
      ...(user ? { authorizer: { jwt: { claims: { "cognito:username": user, "cognito:groups": options.groups ?? "[reviewers]", sub: `sub-${user}` }, scopes: null } } } : {}),
    },
  } as unknown as ApiEvent;
}

const body = (r: unknown) => JSON.parse(String((r as APIGatewayProxyStructuredResultV2).body));
const status = (r: unknown) => (r as APIGatewayProxyStructuredResultV2).statusCode;

describe("review API identity", () => {
  it("reads API Gateway's group claim in both shapes", () => {
    expect(claimList("[reviewers admins]")).toEqual(["reviewers", "admins"]);
    expect(claimList(["reviewers"])).toEqual(["reviewers"]);
    expect(claimList(undefined)).toEqual([]);
  });

  it("names the reviewer from the token, refuses an account outside the group (403) and a route without verified claims (401)", async () => {
    const { routes } = await setup();
    expect(body(await routes.me(event("GET /reviews/me")))).toEqual({ reviewer: "alice" });
    const outsider = await routes.list(event("GET /reviews", { user: "mallory", groups: "[uploaders]" }));
    expect(status(outsider)).toBe(403);
    expect(body(outsider).error.message).toMatch(/not in the reviewers group/);
    expect(status(await routes.me(event("GET /reviews/me", { user: null })))).toBe(401);
  });
});

describe("review API on the emulator", () => {
  it("lists open tasks oldest first with presigned media links the player can seek in (Range)", async () => {
    const { board, routes } = await setup();
    await opened(board, "m2", T0 + 1000);
    const first = await opened(board, "m1", T0);
    const listed = body(await routes.list(event("GET /reviews")));
    expect(listed.tasks.map((t: { taskId: string }) => t.taskId)).toEqual(["m1-review", "m2-review"]);
    expect(listed.counts).toEqual({ open: 2, claimed: 0, decided: 0, expired: 0 });
    const shown = listed.tasks[0];
    expect(shown).toMatchObject({ status: "open", filename: "clip.mp4", segmentCount: 2 });
    expect(shown.segments[0].keyframeUrl).toMatch(/X-Amz-Signature=/);
    expect(shown.segments[1]).not.toHaveProperty("keyframeUrl");
    expect(shown.segments[0]).not.toHaveProperty("keyframe");

    const ranged = await fetch(shown.mediaUrl, { headers: { range: "bytes=100-199" } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(VIDEO.subarray(100, 200));
    expect(ranged.headers.get("content-range")).toBe(`bytes 100-199/${VIDEO.length}`);
    // (That a link opens its object only is S3's signature check, which moto does not make: not provable offline.)
    expect(new URL(shown.mediaUrl).pathname).toContain(first.source.key);

    expect(status(await routes.list(event("GET /reviews", { query: { status: "nonsense" } })))).toBe(400);
    expect(status(await routes.get(event("GET /reviews/{taskId}", { taskId: "nope-review" })))).toBe(404);
  });

  it("gives a claim to exactly one of two racing reviewers; the loser gets 409 naming the holder", async () => {
    for (let round = 0; round < 5; round++) {
      const { board, routes } = await setup();
      const { taskId } = await opened(board, `r${round}`);
      const answers = await Promise.all(["alice", "bob"].map((user) => routes.claim(event("POST /reviews/{taskId}/claim", { taskId, user }))));
      const codes = answers.map(status).sort();
      expect(codes).toEqual([200, 409]);
      const winner = body(answers.find((a) => status(a) === 200));
      const loser = body(answers.find((a) => status(a) === 409));
      expect(loser.error).toMatchObject({ code: "claimed", message: expect.stringContaining(`claimed by ${winner.claimedBy}`) });
      expect(winner.audit).toEqual([expect.objectContaining({ action: "claim", reviewer: winner.claimedBy })]);
    }
  });

  it("frees a claim on release and on expiry, and keeps the audit log of both", async () => {
    const { board, routes, clock } = await setup();
    const { taskId } = await opened(board, "m3");
    // A second between steps: the audit log orders entries by time (one millisecond keeps no order).
    const step = () => void (clock.t += 1000);
    expect(status(await routes.claim(event("POST /reviews/{taskId}/claim", { taskId, user: "alice" })))).toBe(200);
    step();
    expect(status(await routes.claim(event("POST /reviews/{taskId}/claim", { taskId, user: "bob" })))).toBe(409);
    expect(body(await routes.release(event("POST /reviews/{taskId}/release", { taskId, user: "alice" }))).status).toBe("open");
    step();
    expect(status(await routes.claim(event("POST /reviews/{taskId}/claim", { taskId, user: "bob" })))).toBe(200);
    clock.t += 31 * 60_000; // bob's claim lapses
    const carol = body(await routes.claim(event("POST /reviews/{taskId}/claim", { taskId, user: "carol" })));
    expect(carol).toMatchObject({ status: "claimed", claimedBy: "carol" });
    expect(carol.audit.map((a: { action: string; reviewer: string }) => `${a.action}:${a.reviewer}`)).toEqual(["claim:alice", "release:alice", "claim:bob", "claim:carol"]);
  });

  it("decides once: the verdict is announced, a second reviewer's verdict is refused with 409, a malformed one with 400", async () => {
    const { board, routes, announced } = await setup();
    const { taskId } = await opened(board, "m4");
    const bad = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, body: { verdict: "approved", segments: [{ index: 7, outcome: "confirmed" }] } }));
    expect(status(bad)).toBe(400);
    expect(body(bad).error).toMatchObject({ code: "invalid_verdict", message: expect.stringMatching(/segment 7 is not in this task/) });
    const unknown = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, body: { verdict: "approved", extra: 1 } }));
    expect(status(unknown)).toBe(400);

    const decided = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, body: { verdict: "rejected", segments: [{ index: 0, outcome: "confirmed" }], comment: " a knife " } }));
    expect(status(decided)).toBe(200);
    expect(body(decided)).toMatchObject({
      decision: { taskId, verdict: "rejected", reviewer: "alice", comment: "a knife", segments: [{ index: 0, outcome: "confirmed" }] },
      task: { status: "decided", decision: { verdict: "rejected" } },
    });
    expect(announced).toHaveLength(1);
    expect(announced[0]!.decision).toMatchObject({ verdict: "rejected", reviewer: "alice" });

    const second = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, user: "bob", body: { verdict: "approved" } }));
    expect(status(second)).toBe(409);
    expect(body(second).error).toMatchObject({ code: "decided", message: expect.stringMatching(/rejected by alice/) });
    // The decider's own repeat is refused too once announced: nothing is published twice.
    expect(status(await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, body: { verdict: "rejected" } })))).toBe(409);
    expect(announced).toHaveLength(1);
  });

  it("announces a stored verdict again when the first publish failed: the reviewer's retry, or the sweep", async () => {
    const { board, routes, announced } = await setup({ failAnnounce: 1 });
    const { taskId } = await opened(board, "m5");
    const failed = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, body: { verdict: "approved" } }));
    expect(status(failed)).toBe(500);
    expect(body(failed).error.code).toBe("internal_error");
    expect(announced).toHaveLength(0);
    const retried = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId, body: { verdict: "approved" } }));
    expect(status(retried)).toBe(200);
    expect(announced.map((a) => a.decision.verdict)).toEqual(["approved"]);
  });
});

describe("review sweep on the emulator", () => {
  it("ends a task undecided past the timeout as the model decided, with Stage Failed for request-review saying so", async () => {
    const { board, routes, clock } = await setup();
    const old = await opened(board, "m6", T0);
    const fresh = await opened(board, "m7", T0 + 3 * 3_600_000);
    const published: Array<{ type: string; detail: any }> = [];
    const blobs = createS3BlobStore(s3);
    clock.t = T0 + 4 * 3_600_000;
    const swept = await sweepReviews({ board, blobs, publish: async (type, detail) => void published.push({ type, detail }), undecidedForMs: 3 * 3_600_000 });
    expect(swept).toEqual({ expired: 1, repaired: 0 });
    expect(published).toEqual([{
      type: "Stage Failed",
      detail: expect.objectContaining({
        mediaId: "m6", stage: "request-review",
        error: { name: "ReviewTimedOutError", message: "No reviewer decided the task within 3 hours; the model's decision stands" },
      }),
    }]);
    // The outcome is beside the media for the final report.
    await expect(blobs.getJson({ bucket: BUCKET, key: "derived/m6/review.json" })).resolves.toMatchObject({ status: "failed", taskId: old.taskId });

    const late = await routes.verdict(event("POST /reviews/{taskId}/verdict", { taskId: old.taskId, body: { verdict: "approved" } }));
    expect(status(late)).toBe(409);
    expect(body(late).error.code).toBe("expired");
    expect(body(await routes.get(event("GET /reviews/{taskId}", { taskId: fresh.taskId }))).status).toBe("open");
    const expired = body(await routes.list(event("GET /reviews", { query: { status: "expired" } })));
    expect(expired.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([old.taskId]);
    expect(expired.counts).toMatchObject({ open: 1, expired: 1 });

    // A second sweep finds nothing more to do.
    published.length = 0;
    await expect(sweepReviews({ board, blobs, publish: async (type, detail) => void published.push({ type, detail }), undecidedForMs: 3 * 3_600_000 })).resolves.toEqual({ expired: 0, repaired: 0 });
    expect(published).toEqual([]);
  });
});
