import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startMoto, type Moto } from "../../helpers/moto.js";
import { endpointEnv, startServiceEmulators, type ServiceEmulatorOptions, type ServiceEmulators } from "./index.js";

/*
 * What the emulator tests share: a moto_server, the emulators on top of it, the environment a Lambda
 * function would get (so `new XClient({})` reaches the emulators unmodified), and SQS/SNS/EventBridge
 * plumbing to catch what the services send.
 */

const fromFunctions = createRequire(new URL("../../../packages/functions/src/adapters/", import.meta.url));
export const s3sdk = fromFunctions("@aws-sdk/client-s3") as typeof import("../../../packages/functions/node_modules/@aws-sdk/client-s3");
export const ebsdk = fromFunctions("@aws-sdk/client-eventbridge") as typeof import("../../../packages/functions/node_modules/@aws-sdk/client-eventbridge");

export interface EmulatorFixture {
  moto: Moto;
  emulators: ServiceEmulators;
  workDir: string;
  logs: string[];
  s3: InstanceType<typeof s3sdk.S3Client>;
  sqs: SQSClient;
  events: InstanceType<typeof ebsdk.EventBridgeClient>;
  /** A new SQS queue; returns its URL and ARN. */
  queue(name: string): Promise<{ url: string; arn: string }>;
  /** A default-bus rule with `pattern` whose target is a new queue. */
  defaultBusRuleToQueue(name: string, pattern: unknown): Promise<{ url: string; arn: string }>;
  /** An SNS topic with a new queue subscribed to it. */
  topicToQueue(name: string): Promise<{ topicArn: string; url: string }>;
  /** Messages from a queue until `count` have arrived or `timeoutMs` passed. */
  receive(url: string, count: number, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startEmulatorFixture(prefix: string, options: Partial<ServiceEmulatorOptions> = {}): Promise<EmulatorFixture> {
  const moto = await startMoto();
  const workDir = await mkdtemp(path.join(os.tmpdir(), `mp-emu-${prefix}-`));
  const logs: string[] = [];
  let emulators: ServiceEmulators;
  try {
    emulators = await startServiceEmulators({
      awsEndpoint: moto.endpoint, region: moto.region, account: moto.account, workDir: path.join(workDir, "emulators"),
      log: (line) => logs.push(line), ...options,
    });
  } catch (error) {
    await moto.stop();
    throw error;
  }
  // As the harness gives a function: region, credentials and the endpoint overrides, nothing else.
  Object.assign(process.env, {
    AWS_REGION: moto.region, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", ...endpointEnv(emulators.endpoints),
  });
  const s3 = new s3sdk.S3Client({ ...moto.clientConfig, forcePathStyle: true });
  const sqs = new SQSClient(moto.clientConfig);
  const events = new ebsdk.EventBridgeClient(moto.clientConfig);

  async function queue(name: string) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    return { url: QueueUrl!, arn: attributes.Attributes!.QueueArn! };
  }

  /**
   * SNS's query protocol (no SNS client is installed); returns the response's XML. moto routes a
   * form post by the service in the Authorization header's credential scope (it checks no signature).
   */
  async function sns(action: string, params: Record<string, string>): Promise<string> {
    const response = await fetch(`${moto.endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${moto.region}/sns/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({ Action: action, Version: "2010-03-31", ...params }).toString(),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`SNS ${action} failed: ${text}`);
    return text;
  }

  return {
    moto, emulators, workDir, logs, s3, sqs, events, queue,
    async defaultBusRuleToQueue(name, pattern) {
      const target = await queue(name);
      await events.send(new ebsdk.PutRuleCommand({ Name: name, EventBusName: "default", EventPattern: JSON.stringify(pattern) }));
      await events.send(new ebsdk.PutTargetsCommand({ Rule: name, EventBusName: "default", Targets: [{ Id: "queue", Arn: target.arn }] }));
      return target;
    },
    async topicToQueue(name) {
      const target = await queue(name);
      const topicArn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(await sns("CreateTopic", { Name: name }))![1]!;
      await sns("Subscribe", { TopicArn: topicArn, Protocol: "sqs", Endpoint: target.arn });
      return { topicArn, url: target.url };
    },
    async receive(url, count, timeoutMs = 20_000) {
      const bodies: string[] = [];
      const deadline = Date.now() + timeoutMs;
      while (bodies.length < count && Date.now() < deadline) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of out.Messages ?? []) {
          bodies.push(m.Body ?? "");
          // Taken, as a consumer takes it: left in the queue it comes back after the visibility
          // timeout (30 s), and a later receive would read it again as news.
          await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
        }
      }
      return bodies;
    },
    async stop() {
      await emulators.stop();
      await moto.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Uploads a local file (or bytes) to moto's S3. */
export async function upload(f: Pick<EmulatorFixture, "s3">, bucket: string, key: string, body: Uint8Array | string): Promise<void> {
  await f.s3.send(new s3sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function createBucket(f: Pick<EmulatorFixture, "s3">, bucket: string): Promise<void> {
  await f.s3.send(new s3sdk.CreateBucketCommand({ Bucket: bucket }));
}
