import { randomUUID } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CancellationReason,
  type DynamoDBClient,
  type QueryCommandInput,
  type Update,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import {
  checkVerdict, claimLive, DEFAULT_CLAIM_MS, holdConflict, RetryableError, REVIEWER_NAME, ReviewDecision, ReviewNotFoundError, ReviewTask,
  ReviewVerdict, ReviewVerdictError, taskView, type AuditEntry, type ReviewQueue, type ReviewTaskView, type TaskHold, type TaskStatus,
} from "@media-pipeline/core";
import { ConfigurationError } from "../../errors.js";
import { isTransientAwsError } from "../aws-errors.js";
import { ReviewItemError, ReviewTableError } from "./errors.js";
import { AUDIT_SK_PREFIX, REVIEW_QUEUE_INDEX, TASK_SK } from "./table.js";

export interface DynamoReviewBoardOptions {
  /** `DynamoDBClient` satisfies it. */
  client: Pick<DynamoDBClient, "send">;
  tableName: string;
  /** Injectable so tests can let claims lapse and tasks age. */
  now?: () => Date;
  /** How long a claim holds without renewal (default core's 30 minutes). */
  claimMs?: number;
}

export type ReviewListStatus = TaskStatus | "all";

export interface ReviewList {
  tasks: ReviewTaskView[];
  /** Every task in the table by status, whatever the filter. */
  counts: Record<TaskStatus, number>;
}

/** What `decide` stored. `repeat`: the reviewer's own decision was already stored but never announced. */
export interface ReviewDecided {
  decision: ReviewDecision;
  task: ReviewTask;
  repeat: boolean;
}

/** A task whose end was stored but whose `Review Completed` was not (yet) published. */
export type UnannouncedReview =
  | { task: ReviewTask; state: "decided"; decision: ReviewDecision }
  | { task: ReviewTask; state: "expired"; expiredAt: string };

export interface ExpiredReview {
  task: ReviewTask;
  expiredAt: string;
}

/** The cloud's review board: core's `ReviewQueue` port (`open`) and what reviewers do to the tasks. */
export interface DynamoReviewBoard extends ReviewQueue {
  /** Opens the task; a second open of the same task id keeps the first. */
  open(task: ReviewTask, filename?: string | null): Promise<void>;
  get(taskId: string): Promise<ReviewTaskView>;
  list(filter?: { status?: ReviewListStatus }): Promise<ReviewList>;
  audit(taskId: string): Promise<AuditEntry[]>;
  claim(taskId: string, reviewer: string): Promise<ReviewTaskView>;
  release(taskId: string, reviewer: string): Promise<ReviewTaskView>;
  decide(taskId: string, reviewer: string, verdict: ReviewVerdict): Promise<ReviewDecided>;
  markAnnounced(taskId: string): Promise<void>;
  unannounced(options: { olderThanMs: number }): Promise<UnannouncedReview[]>;
  expire(options: { undecidedForMs: number }): Promise<ExpiredReview[]>;
}

/** A task item read back: the contract's task and the hold core's rules judge. */
interface StoredTask {
  task: ReviewTask;
  hold: TaskHold;
  filename: string | null;
  announced: boolean;
  createdAt: string;
  queueAt: string;
}

type Item = Record<string, unknown>;

/**
 * The task changed between this call's read and its conditional write (or another transaction held
 * it): the step runs again on what the condition saw, so the loser of a race answers from the
 * winner's state. Never leaves this module.
 */
class TaskChangedError extends Error {
  constructor(
    readonly item: Record<string, AttributeValue> | undefined,
    readonly contended: boolean,
    options: { cause?: unknown },
  ) {
    super("The review task changed while it was being written", options);
  }
}

/** Read, judge, write: how often before the task is reported as changing too fast (retryable). */
const ATTEMPTS = 4;
const SYSTEM = "system";

/** Transaction cancellation reasons as the SDK exceptions they stand for, so the shared classifier judges them. */
const REASON_ERRORS: Record<string, string> = {
  ThrottlingError: "ThrottlingException",
  ProvisionedThroughputExceeded: "ProvisionedThroughputExceededException",
};

/**
 * Every attribute name an expression uses, as `#name` placeholders: DynamoDB refuses names an
 * expression does not use, and some (`state`) are reserved words.
 */
const namesOf = (...expressions: Array<string | undefined>) =>
  Object.fromEntries((expressions.join(" ").match(/#\w+/g) ?? []).map((n) => [n, n.slice(1)]));
const values = (v: Record<string, unknown>) => marshall(v, { removeUndefinedValues: true });
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A DynamoDB item holds at most 400 KB, and a long video's task (every moderation segment) or a verdict
 * answering thousands of segments can pass that as JSON text. Such a document is stored gzipped as a
 * binary attribute instead (the JSON compresses about tenfold); small ones stay readable text.
 */
const PACK_ABOVE = 32 * 1024;
const pack = (value: unknown): string | Uint8Array => {
  const json = JSON.stringify(value);
  return json.length > PACK_ABOVE ? gzipSync(json) : json;
};
const unpack = (stored: unknown): unknown =>
  JSON.parse(stored instanceof Uint8Array ? gunzipSync(stored).toString("utf8") : String(stored));
const packed = (stored: unknown) => typeof stored === "string" || stored instanceof Uint8Array;
/** Code-unit order, as DynamoDB sorts string keys and SQLite sorts the local board's rows (not the locale's). */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Core's review board on one DynamoDB table (layout in table.ts), with the local SQLite board's
 * behaviour: a reviewer claims a task, renews or releases the claim, and decides it; every claim,
 * release, decision and expiry lands in the task's audit log in the same TransactWriteItems as the
 * change, and every change is conditional on the state it was judged from, so of two racing
 * reviewers exactly one wins and the other gets core's `ReviewConflictError`.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
 *
 * Unlike the local board, deciding does not publish: `decide` answers what it stored, the caller
 * publishes `Review Completed` and then `markAnnounced`; `unannounced` finds what a lost publish left.
 *
 * @example
 * const board = createDynamoReviewBoard({ client: new DynamoDBClient({}), tableName: process.env.REVIEW_TABLE! });
 * await board.claim(taskId, "alice");
 * const { decision, repeat } = await board.decide(taskId, "alice", { verdict: "approved" });
 */
export function createDynamoReviewBoard(options: DynamoReviewBoardOptions): DynamoReviewBoard {
  const { client, tableName, now: clock = () => new Date(), claimMs = DEFAULT_CLAIM_MS } = options;
  const issues = [
    ...(typeof client?.send === "function" ? [] : ["client: must have send()"]),
    ...(typeof tableName === "string" && tableName.trim() ? [] : ["tableName: missing or empty"]),
    ...(Number.isFinite(claimMs) && claimMs > 0 ? [] : [`claimMs: must be a positive number, got ${claimMs}`]),
  ];
  if (issues.length) throw new ConfigurationError(`Invalid review board options: ${issues.join("; ")}`, issues);

  const taskKey = (taskId: string) => marshall({ pk: taskId, sk: TASK_SK });

  async function send<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw changed(error) ?? toTableError(error, what);
    }
  }

  async function read(taskId: string): Promise<Item | undefined> {
    const output = await send(`GetItem of review task ${taskId}`, () =>
      client.send(new GetItemCommand({ TableName: tableName, Key: taskKey(taskId), ConsistentRead: true })),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  }

  /**
   * Runs `step` on the stored task; when its conditional write finds the task changed, runs it
   * again on the task the condition saw, so the step's own rules (core's `holdConflict`) answer.
   */
  async function onTask<T>(taskId: string, step: (item: Item) => Promise<T>): Promise<T> {
    let item = await read(taskId);
    for (let attempt = 1; ; attempt++) {
      if (!item) throw new ReviewNotFoundError(`No review task ${taskId}`);
      try {
        return await step(item);
      } catch (error) {
        if (!(error instanceof TaskChangedError)) throw error;
        if (attempt >= ATTEMPTS) {
          throw new RetryableError(`Review task ${taskId} kept changing while it was being written; try again`, { cause: error.cause });
        }
        // Another transaction on the item: give it a moment to commit, then judge what it left.
        if (error.contended) await new Promise((resolve) => setTimeout(resolve, 25 * attempt + Math.random() * 50));
        item = error.item ? unmarshall(error.item) : await read(taskId);
      }
    }
  }

  /** A conditional change of the task item alone (no audit entry); a failed condition hands back the item it saw. */
  function updateTask(what: string, taskId: string, update: string, condition: string, vals: Record<string, unknown>) {
    return send(`UpdateItem (${what}) of review task ${taskId}`, () =>
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: taskKey(taskId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: namesOf(update, condition),
          ExpressionAttributeValues: values(vals),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
  }

  /** The task's change and its audit entry, all or nothing. */
  function transact(taskId: string, update: Omit<Update, "TableName" | "Key">, audit: Omit<AuditEntry, "at">, atMs: number) {
    const item = {
      pk: taskId,
      sk: `${AUDIT_SK_PREFIX}${iso(atMs)}#${randomUUID()}`,
      reviewer: audit.reviewer,
      action: audit.action,
      ...(audit.detail ? { detail: pack(audit.detail) } : {}),
    };
    return send(`TransactWriteItems (${audit.action}) of review task ${taskId}`, () =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            // First, so its cancellation reason is the first one (see `changed`).
            { Update: { TableName: tableName, Key: taskKey(taskId), ...update, ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
            { Put: { TableName: tableName, Item: marshall(item) } },
          ],
        }),
      ),
    );
  }

  /** Every page of a query: its items, and what DynamoDB counted (all that `Select: "COUNT"` answers). */
  async function query(what: string, input: QueryCommandInput): Promise<{ items: Item[]; count: number }> {
    const items: Item[] = [];
    let count = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await send(what, () => client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })));
      for (const item of page.Items ?? []) items.push(unmarshall(item));
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { items, count };
  }

  /**
   * One queue of the GSI, optionally only what entered it before `before`. The index is eventually
   * consistent: listings and sweeps read it, and every write they lead to is conditional on the item.
   */
  function queue(name: TaskHold["state"], extra: Partial<QueryCommandInput> & { before?: string } = {}) {
    const { before, ...rest } = extra;
    const keyCondition = `#queue = :queue${before ? " AND #queueAt < :before" : ""}`;
    return query(`Query of the ${name} review queue`, {
      TableName: tableName,
      IndexName: REVIEW_QUEUE_INDEX.indexName,
      KeyConditionExpression: keyCondition,
      ...rest,
      ExpressionAttributeNames: namesOf(keyCondition, rest.FilterExpression, rest.ProjectionExpression),
      ExpressionAttributeValues: { ...values({ ":queue": name, ":before": before }), ...rest.ExpressionAttributeValues },
    });
  }

  /** Items that parse, the rest left out rather than failing the queue (as the local board does). */
  const readable = (items: Item[]) =>
    items.flatMap((item) => {
      try {
        return [parse(item)];
      } catch {
        return [];
      }
    });

  function checkAge(name: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ConfigurationError(`${name} must be a non-negative number of milliseconds, got ${ms}`, [name]);
  }

  return {
    async open(task, filename) {
      const parsed = ReviewTask.safeParse(task);
      if (!parsed.success) throw new ReviewItemError(`The review task does not fit the contract: ${parsed.error.message}`, { cause: parsed.error });
      const createdAt = new Date(parsed.data.createdAt).toISOString();
      try {
        await send(`PutItem of review task ${parsed.data.taskId}`, () =>
          client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: marshall({
                pk: parsed.data.taskId, sk: TASK_SK, mediaId: parsed.data.mediaId, task: pack(parsed.data),
                ...(filename ? { filename } : {}), state: "open", createdAt, queue: "open", queueAt: createdAt,
              }),
              ConditionExpression: "attribute_not_exists(#pk)",
              ExpressionAttributeNames: namesOf("#pk"),
            }),
          ),
        );
      } catch (error) {
        // Opened already (a repeated request-review): the first task stands, whatever has happened to it since.
        if (!(error instanceof TaskChangedError)) throw error;
      }
    },

    async get(taskId) {
      const item = await read(taskId);
      if (!item) throw new ReviewNotFoundError(`No review task ${taskId}`);
      return view(parse(item), clock().getTime());
    },

    async list(filter = {}) {
      const status = filter.status ?? "open";
      const nowMs = clock().getTime();
      const wants = (state: TaskHold["state"]) => status === "all" || status === state || (state === "open" && status === "claimed");
      const counted = { Select: "COUNT" } as const;
      // The open queue is always read: telling open from claimed for the counts needs each claim.
      const [open, decided, expired] = await Promise.all([
        queue("open", wants("open") ? {} : { ProjectionExpression: "#pk, #claimedBy, #claimExpiresMs" }),
        queue("decided", wants("decided") ? {} : counted),
        queue("expired", wants("expired") ? {} : counted),
      ]);
      const claimed = open.items.filter((item) => claimLive(holdOf(item), nowMs)).length;
      const counts: Record<TaskStatus, number> = { open: open.count - claimed, claimed, decided: decided.count, expired: expired.count };
      const oldestFirst = (a: StoredTask, b: StoredTask) => compare(a.createdAt, b.createdAt) || compare(a.hold.taskId, b.hold.taskId);
      const newestEndFirst = (a: StoredTask, b: StoredTask) => compare(b.queueAt, a.queueAt) || compare(a.hold.taskId, b.hold.taskId);
      const tasks =
        status === "all" ? readable([...open.items, ...decided.items, ...expired.items]).sort(oldestFirst)
        : status === "decided" ? readable(decided.items).sort(newestEndFirst)
        : status === "expired" ? readable(expired.items).sort(newestEndFirst)
        : readable(open.items).sort(oldestFirst);
      const views = tasks.map((t) => view(t, nowMs));
      return { tasks: status === "claimed" ? views.filter((t) => t.status === "claimed") : views, counts };
    },

    async audit(taskId) {
      const { items } = await query(`Query of review task ${taskId}'s audit log`, {
        TableName: tableName,
        KeyConditionExpression: "#pk = :pk",
        // The task item comes along with its sort key alone: it tells a task without entries from no task.
        ProjectionExpression: "#sk, #reviewer, #action, #detail",
        ExpressionAttributeNames: namesOf("#pk #sk, #reviewer, #action, #detail"),
        ExpressionAttributeValues: values({ ":pk": taskId }),
        ConsistentRead: true,
      });
      if (!items.some((i) => i.sk === TASK_SK)) throw new ReviewNotFoundError(`No review task ${taskId}`);
      // Sort keys order the entries by time: `audit#<at ISO>#<random>`.
      return items
        .filter((i) => String(i.sk).startsWith(AUDIT_SK_PREFIX))
        .map((i) => ({
          at: String(i.sk).slice(AUDIT_SK_PREFIX.length).split("#")[0],
          reviewer: String(i.reviewer),
          action: i.action as AuditEntry["action"],
          detail: packed(i.detail) ? (unpack(i.detail) as Record<string, unknown>) : null,
        }));
    },

    claim: (taskId, reviewer) =>
      onTask(taskId, async (item) => {
        const nowMs = clock().getTime();
        const stored = parse(item);
        const conflict = holdConflict(stored.hold, reviewer, nowMs);
        if (conflict) throw conflict;
        const until = nowMs + claimMs;
        if (stored.hold.claimedBy === reviewer && claimLive(stored.hold, nowMs)) {
          // A renewal (the page renews while it is open) extends the claim without filling the audit log.
          const update = "SET #claimExpiresMs = :until";
          const condition = "#state = :open AND #claimedBy = :reviewer AND #claimExpiresMs > :now";
          await updateTask("renew", taskId, update, condition, { ":until": until, ":open": "open", ":reviewer": reviewer, ":now": nowMs });
        } else {
          // Free, or held under a claim that has lapsed (the holder's own included: that is a new claim).
          const update = "SET #claimedBy = :reviewer, #claimExpiresMs = :until";
          const condition = "#state = :open AND (attribute_not_exists(#claimedBy) OR #claimExpiresMs <= :now)";
          await transact(
            taskId,
            {
              UpdateExpression: update,
              ConditionExpression: condition,
              ExpressionAttributeNames: namesOf(update, condition),
              ExpressionAttributeValues: values({ ":reviewer": reviewer, ":until": until, ":open": "open", ":now": nowMs }),
            },
            { reviewer, action: "claim", detail: { until: iso(until) } },
            nowMs,
          );
        }
        return view({ ...stored, hold: { ...stored.hold, claimedBy: reviewer, claimExpiresMs: until } }, nowMs);
      }),

    release: (taskId, reviewer) =>
      onTask(taskId, async (item) => {
        const nowMs = clock().getTime();
        const stored = parse(item);
        const conflict = holdConflict(stored.hold, reviewer, nowMs);
        if (conflict) throw conflict;
        // Not holding it (never, or a lapsed claim someone else took over): nothing to give back.
        if (stored.hold.claimedBy !== reviewer) return view(stored, nowMs);
        const update = "REMOVE #claimedBy, #claimExpiresMs";
        const condition = "#state = :open AND #claimedBy = :reviewer";
        await transact(
          taskId,
          {
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: namesOf(update, condition),
            ExpressionAttributeValues: values({ ":open": "open", ":reviewer": reviewer }),
          },
          { reviewer, action: "release", detail: null },
          nowMs,
        );
        return view({ ...stored, hold: { ...stored.hold, claimedBy: null, claimExpiresMs: null } }, nowMs);
      }),

    async decide(taskId, reviewer, verdict) {
      // Checked here too, not only at the API: a stored decision that breaks the contract could never be announced.
      const shape = ReviewVerdict.safeParse(verdict);
      if (!shape.success) {
        const problems = shape.error.issues.map((i) => `${i.path.join(".") || "(verdict)"}: ${i.message}`);
        throw new ReviewVerdictError(`The verdict is malformed: ${problems.join("; ")}`, problems);
      }
      if (!REVIEWER_NAME.test(reviewer)) throw new ReviewVerdictError("The reviewer name must be 1–200 characters", ["reviewer"]);
      return onTask(taskId, async (item) => {
        const now = clock();
        const nowMs = now.getTime();
        const stored = parse(item);
        const { hold, task } = stored;
        // This reviewer's decision is stored but was never announced (the publish after it failed):
        // the stored decision stands and the caller announces it again.
        if (hold.state === "decided" && hold.decision?.reviewer === reviewer && !stored.announced) {
          return { decision: hold.decision, task, repeat: true };
        }
        const conflict = holdConflict(hold, reviewer, nowMs);
        if (conflict) throw conflict;
        const checked = checkVerdict(task, shape.data);
        const decision: ReviewDecision = { taskId, reviewer, decidedAt: now.toISOString(), ...checked, segments: checked.segments ?? [] };
        // The decider keeps the claim attribute so the item says who decided; an unclaimed task is claimed on the way.
        const update =
          "SET #state = :decided, #queue = :decided, #queueAt = :decidedAt, #decision = :decision, #announced = :false, " +
          "#claimedBy = :reviewer REMOVE #claimExpiresMs";
        const condition = "#state = :open AND (attribute_not_exists(#claimedBy) OR #claimedBy = :reviewer OR #claimExpiresMs <= :now)";
        await transact(
          taskId,
          {
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: namesOf(update, condition),
            ExpressionAttributeValues: values({
              ":decided": "decided", ":decidedAt": decision.decidedAt, ":decision": pack(decision), ":false": false,
              ":reviewer": reviewer, ":open": "open", ":now": nowMs,
            }),
          },
          {
            reviewer,
            action: "decide",
            detail: { verdict: decision.verdict, segments: decision.segments, ...(decision.comment ? { comment: decision.comment } : {}) },
          },
          nowMs,
        );
        return { decision, task, repeat: false };
      });
    },

    async markAnnounced(taskId) {
      const update = "SET #announced = :true";
      const condition = "#state IN (:decided, :expired)";
      try {
        await updateTask("announced", taskId, update, condition, { ":true": true, ":decided": "decided", ":expired": "expired" });
      } catch (error) {
        // Not ended (or no such task): there is no announcement to record, and the condition keeps an item from appearing.
        if (!(error instanceof TaskChangedError)) throw error;
      }
    },

    async unannounced({ olderThanMs }) {
      checkAge("olderThanMs", olderThanMs);
      const before = iso(clock().getTime() - olderThanMs);
      const unannouncedOnly = { FilterExpression: "#announced = :false", ExpressionAttributeValues: values({ ":false": false }), before };
      const [decided, expired] = await Promise.all([queue("decided", unannouncedOnly), queue("expired", unannouncedOnly)]);
      const ended = readable([...decided.items, ...expired.items]).sort((a, b) => compare(a.queueAt, b.queueAt));
      return ended.map((t): UnannouncedReview =>
        t.hold.state === "decided" && t.hold.decision
          ? { task: t.task, state: "decided", decision: t.hold.decision }
          : { task: t.task, state: "expired", expiredAt: t.queueAt },
      );
    },

    async expire({ undecidedForMs }) {
      checkAge("undecidedForMs", undecidedForMs);
      const now = clock();
      const nowMs = now.getTime();
      const expiredAt = now.toISOString();
      const expired: ExpiredReview[] = [];
      for (const stored of readable((await queue("open", { before: iso(nowMs - undecidedForMs) })).items)) {
        // A live claim defers expiry: the reviewer is on it, and the next sweep after it lapses ends the task.
        if (claimLive(stored.hold, nowMs)) continue;
        const update =
          "SET #state = :expired, #queue = :expired, #queueAt = :expiredAt, #announced = :false REMOVE #claimedBy, #claimExpiresMs";
        const condition = "#state = :open AND (attribute_not_exists(#claimedBy) OR #claimExpiresMs <= :now)";
        try {
          await transact(
            stored.hold.taskId,
            {
              UpdateExpression: update,
              ConditionExpression: condition,
              ExpressionAttributeNames: namesOf(update, condition),
              ExpressionAttributeValues: values({ ":expired": "expired", ":expiredAt": expiredAt, ":false": false, ":open": "open", ":now": nowMs }),
            },
            { reviewer: SYSTEM, action: "expire", detail: { after: `${undecidedForMs / 60_000} minutes` } },
            nowMs,
          );
          expired.push({ task: stored.task, expiredAt });
        } catch (error) {
          // Decided or claimed since the query (the reviewer wins), or in another transaction right now:
          // a task still open is the next sweep's.
          if (!(error instanceof TaskChangedError)) throw error;
        }
      }
      return expired;
    },
  };
}

function view(stored: StoredTask, nowMs: number): ReviewTaskView {
  return taskView(stored.task, stored.hold, stored.filename, nowMs);
}

/** The claim of an open-queue item, as far as counting needs it (no parsing of the task). */
function holdOf(item: Item): TaskHold {
  return {
    taskId: String(item.pk),
    state: "open",
    claimedBy: typeof item.claimedBy === "string" ? item.claimedBy : null,
    claimExpiresMs: typeof item.claimExpiresMs === "number" ? item.claimExpiresMs : null,
    decision: null,
  };
}

function parse(item: Item): StoredTask {
  try {
    const state = item.state;
    if (state !== "open" && state !== "decided" && state !== "expired") throw new Error(`unknown state ${String(state)}`);
    return {
      task: ReviewTask.parse(unpack(item.task)),
      hold: { ...holdOf(item), state, decision: packed(item.decision) ? ReviewDecision.parse(unpack(item.decision)) : null },
      filename: typeof item.filename === "string" ? item.filename : null,
      announced: item.announced === true,
      createdAt: String(item.createdAt),
      queueAt: String(item.queueAt),
    };
  } catch (error) {
    throw new ReviewItemError(`Review task item ${String(item.pk)} does not fit the review contract`, { cause: error });
  }
}

/** A failed condition, or a transaction another one on the same item cancelled. */
function changed(error: unknown): TaskChangedError | undefined {
  const e = error as { name?: string; Item?: Record<string, AttributeValue>; CancellationReasons?: CancellationReason[] } | undefined;
  if (e?.name === "ConditionalCheckFailedException") return new TaskChangedError(e.Item, false, { cause: error });
  if (e?.name !== "TransactionCanceledException") return undefined;
  const reasons = e.CancellationReasons ?? [];
  // The task's update is always the first item of a transaction here.
  if (reasons[0]?.Code === "ConditionalCheckFailed") return new TaskChangedError(reasons[0].Item, false, { cause: error });
  // DynamoDB cancels a transaction that meets another in progress on the same item (a racing reviewer).
  if (reasons.some((r) => r.Code === "TransactionConflict")) return new TaskChangedError(undefined, true, { cause: error });
  return undefined;
}

function toTableError(error: unknown, what: string): Error {
  const e = error as { name?: string; message?: string; CancellationReasons?: CancellationReason[] } | undefined;
  const reasons = (e?.CancellationReasons ?? []).flatMap((r) => (r.Code && r.Code !== "None" ? [r.Code] : []));
  const message = `DynamoDB ${what} failed: ${e?.name ?? "Error"}${e?.message ? ` ${e.message}` : ""}${reasons.length ? ` (${reasons.join(", ")})` : ""}`;
  // A cancelled transaction is a client error as a whole; whether it is worth another attempt is its reasons'.
  const transient = e?.name === "TransactionCanceledException"
    ? reasons.some((code) => REASON_ERRORS[code] !== undefined && isTransientAwsError({ name: REASON_ERRORS[code], $metadata: { httpStatusCode: 400 } }))
    : isTransientAwsError(error);
  return transient ? new RetryableError(message, { cause: error }) : new ReviewTableError(message, { cause: error });
}
