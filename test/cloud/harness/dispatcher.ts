import { randomUUID } from "node:crypto";
import path from "node:path";
import { sqssdk, type HarnessClients } from "./clients.js";
import type { InvokeOutcome, LambdaService } from "./lambda-service.js";
import type { Deployment, Schedule } from "./provision.js";

/**
 * moto delivers events to targets without `account`, which EventBridge always sets (and our catalog
 * requires): the harness adds it, the one field it changes in an event. Exported for the consumer.
 */
export function asEventBridgeDelivers(event: any, account: string): any {
  return event && typeof event === "object" && event.account === undefined ? { ...event, account } : event;
}

/** The period of a `rate(…)` schedule expression in milliseconds; undefined for `cron(…)`. */
function ratePeriodMs(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[m[2]!.replace(/s$/, "") as "minute" | "hour" | "day"];
  return Number(m[1]) * unit;
}

/** Lambda's limit on an asynchronous invocation's payload (EventBridge, SNS → Lambda). */
export const ASYNC_PAYLOAD_LIMIT = 256 * 1024;

export interface DispatcherOptions {
  /** Deliver every event twice (EventBridge and SNS deliver at least once). */
  duplicate?: boolean;
  log?: (line: string) => void;
}

/**
 * Carries events from moto to the Lambda stand-in as the AWS services would: EventBridge rule targets
 * and SNS subscriptions invoke asynchronously (the function's retries, then its dead-letter queue;
 * a delivery that fails outright goes to the rule's dead-letter queue); SQS event source mappings
 * invoke synchronously with a batch and delete what succeeded (partial batch responses honoured).
 * Rate schedules fire on their period as the app runs (an asynchronous invocation, as EventBridge
 * makes it); cron schedules, whose times a test cannot wait for, fire only through `fireSchedule`.
 */
export class Dispatcher {
  private running = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private timers: NodeJS.Timeout[] = [];
  readonly deadLettered: { queueArn: string; body: string; reason: string }[] = [];

  constructor(
    private readonly deployment: Deployment,
    private readonly clients: HarnessClients,
    private readonly lambda: LambdaService,
    private readonly options: DispatcherOptions = {},
  ) {}

  /** Invocations in flight (the harness waits for 0 before it calls the flow idle). */
  get busy(): number {
    return this.running;
  }

  start(): void {
    for (const t of this.deployment.ruleTargets) {
      this.loops.push(this.drain(t.queueUrl, 10, async (messages) => {
        for (const m of messages) this.track(this.deliverRuleEvent(t, m.Body!));
        return messages;
      }));
    }
    for (const s of this.deployment.snsTargets) {
      this.loops.push(this.drain(s.queueUrl, 10, async (messages) => {
        for (const m of messages) this.track(this.deliverSns(s, m.Body!));
        return messages;
      }));
    }
    for (const q of this.deployment.queueSources) {
      this.loops.push(this.drain(q.queueUrl, q.batchSize, (messages) => this.deliverBatch(q, messages), true));
    }
    for (const s of this.deployment.schedules) {
      const period = ratePeriodMs(s.expression);
      if (!s.enabled || period === undefined) continue;
      this.timers.push(setInterval(() => this.track(this.deliverScheduled(s, new Date())), period));
    }
  }

  /**
   * Fires one schedule's target at once, synchronously, with the event EventBridge sends at `at`, and
   * returns the function's outcome. `match` names the schedule by its function's name, its handler's
   * file name (`review-expire`) or its rule's name, and must name exactly one.
   */
  async fireSchedule(match: string, at: Date): Promise<InvokeOutcome> {
    const matching = this.deployment.schedules.filter((s) => {
      const fn = this.lambda.get(s.functionArn);
      return s.ruleName === match || fn.name === match || path.basename(fn.handler).replace(/\.[^.]+$/, "") === match;
    });
    if (matching.length !== 1) {
      const known = this.deployment.schedules.map((s) => `${s.ruleName} → ${this.lambda.get(s.functionArn).handler} (${s.expression})`);
      throw new Error(`"${match}" names ${matching.length} schedules; the deployment has: ${known.join("; ") || "none"}`);
    }
    return this.lambda.invoke(matching[0]!.functionArn, this.scheduledEvent(matching[0]!, at));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await Promise.allSettled(this.loops);
  }

  private track(p: Promise<void>) {
    this.running++;
    p.catch((e) => this.options.log?.(`dispatch error: ${(e as Error).message}`)).finally(() => this.running--);
  }

  /** Long-polls a queue; `handle` returns the messages to delete. */
  private async drain(
    queueUrl: string, max: number,
    handle: (m: import("@aws-sdk/client-sqs").Message[]) => Promise<import("@aws-sdk/client-sqs").Message[]>,
    countAsBusy = false,
  ): Promise<void> {
    while (!this.stopped) {
      let messages: import("@aws-sdk/client-sqs").Message[] = [];
      try {
        const r = await this.clients.sqs.send(new sqssdk.ReceiveMessageCommand({
          QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, max), WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"],
        }));
        messages = r.Messages ?? [];
      } catch (error) {
        if (this.stopped) return;
        this.options.log?.(`receive from ${queueUrl} failed: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!messages.length) continue;
      if (countAsBusy) this.running++;
      try {
        const done = await handle(messages);
        if (done.length) {
          await this.clients.sqs.send(new sqssdk.DeleteMessageBatchCommand({
            QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }));
        }
      } finally {
        if (countAsBusy) this.running--;
      }
    }
  }

  private async deliverRuleEvent(t: Deployment["ruleTargets"][number], body: string): Promise<void> {
    const event = asEventBridgeDelivers(JSON.parse(body), this.deployment.account);
    const copies = this.options.duplicate ? 2 : 1;
    await Promise.all(Array.from({ length: copies }, async () => {
      if (Buffer.byteLength(body) > ASYNC_PAYLOAD_LIMIT) {
        // Lambda refuses the async Invoke; EventBridge retries, then dead-letters the event.
        await this.deadLetter(t.deadLetterArn, body, `payload of ${Buffer.byteLength(body)} bytes exceeds Lambda's async limit`, {
          ERROR_CODE: "LAMBDA_REQUEST_TOO_LARGE", RULE_ARN: t.ruleName, TARGET_ARN: t.functionArn,
        });
        return;
      }
      const outcome = await this.lambda.invokeAsync(t.functionArn, event);
      this.report(t.functionArn, outcome);
    }));
  }

  /** What a schedule's target receives: its constant input, or the "Scheduled Event". */
  private scheduledEvent(s: Schedule, at: Date): unknown {
    if (s.input !== undefined) return JSON.parse(s.input);
    return {
      version: "0", id: randomUUID(), "detail-type": "Scheduled Event", source: "aws.events", account: this.deployment.account,
      time: at.toISOString().replace(/\.\d{3}Z$/, "Z"), region: this.deployment.region, resources: [s.ruleArn], detail: {},
    };
  }

  private async deliverScheduled(s: Schedule, at: Date): Promise<void> {
    const outcome = await this.lambda.invokeAsync(s.functionArn, this.scheduledEvent(s, at));
    this.report(s.functionArn, outcome);
  }

  private async deliverSns(s: Deployment["snsTargets"][number], body: string): Promise<void> {
    const n = JSON.parse(body);
    const event = {
      Records: [{
        EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: s.subscriptionArn,
        Sns: {
          Type: n.Type, MessageId: n.MessageId, TopicArn: n.TopicArn, Subject: n.Subject ?? null, Message: n.Message,
          Timestamp: n.Timestamp, SignatureVersion: n.SignatureVersion ?? "1", Signature: n.Signature ?? "EXAMPLE",
          SigningCertUrl: n.SigningCertURL ?? "", UnsubscribeUrl: n.UnsubscribeURL ?? "", MessageAttributes: n.MessageAttributes ?? {},
        },
      }],
    };
    const copies = this.options.duplicate ? 2 : 1;
    await Promise.all(Array.from({ length: copies }, async () => {
      const outcome = await this.lambda.invokeAsync(s.functionArn, event);
      this.report(s.functionArn, outcome);
    }));
  }

  private async deliverBatch(q: Deployment["queueSources"][number], messages: import("@aws-sdk/client-sqs").Message[]) {
    const event = {
      Records: messages.map((m) => ({
        messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body, attributes: m.Attributes ?? {},
        messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, {
          stringValue: v.StringValue, binaryValue: v.BinaryValue, stringListValues: [], binaryListValues: [], dataType: v.DataType,
        }])),
        md5OfBody: m.MD5OfBody, eventSource: "aws:sqs", eventSourceARN: q.queueArn, awsRegion: this.deployment.region,
      })),
    };
    const outcome = await this.lambda.invoke(q.functionArn, event);
    this.report(q.functionArn, outcome);
    if (!outcome.ok) return []; // visible again after the visibility timeout; the queue's redrive policy applies
    const failed = new Set(
      q.reportBatchItemFailures ? ((outcome.result as any)?.batchItemFailures ?? []).map((f: any) => f.itemIdentifier) : [],
    );
    if (this.options.duplicate) {
      // SQS delivers at least once too: hand the same batch over a second time.
      this.report(q.functionArn, await this.lambda.invoke(q.functionArn, event));
    }
    return messages.filter((m) => !failed.has(m.MessageId));
  }

  private report(functionArn: string, outcome: InvokeOutcome) {
    if (outcome.ok) return;
    const fn = this.lambda.get(functionArn);
    this.options.log?.(`${fn.logicalId} failed: ${outcome.errorType}: ${outcome.errorMessage}`);
  }

  /** Sends a dead letter as the service does: the event as the body, the error in attributes. */
  async deadLetter(queueArn: string | undefined, body: string, reason: string, attributes: Record<string, string>): Promise<void> {
    this.deadLettered.push({ queueArn: queueArn ?? "(none)", body, reason });
    const url = queueArn ? this.deployment.queueUrls.get(queueArn) : undefined;
    if (!url) {
      this.options.log?.(`dead letter with no queue (${reason})`);
      return;
    }
    await this.clients.sqs.send(new sqssdk.SendMessageCommand({
      QueueUrl: url, MessageBody: body,
      MessageAttributes: Object.fromEntries(Object.entries({ ...attributes, ERROR_MESSAGE: reason, RequestID: randomUUID() })
        .map(([k, v]) => [k, { DataType: "String", StringValue: v.slice(0, 1000) }])),
    }));
  }
}
