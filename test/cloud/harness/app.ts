import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readAssembly } from "./assembly.js";
import { clientsFor, ebsdk, snssdk, sqssdk, type HarnessClients } from "./clients.js";
import { asEventBridgeDelivers, Dispatcher } from "./dispatcher.js";
import { HttpApi } from "./http-api.js";
import { LambdaService, type InvokeOutcome } from "./lambda-service.js";
import { harnessQueue, provision, shortHash, type Deployment } from "./provision.js";
import { findBadModes } from "../../../stacks/asset-modes.js";
import { startMoto, type Moto } from "../../helpers/moto.js";
import { endpointEnv, startServiceEmulators, type ServiceEmulators } from "../emulators/index.js";

const ROOT = path.resolve(new URL("../../..", import.meta.url).pathname);

export interface CloudAppOptions {
  /** The SST stage to synthesize (default `e2e`); two stages can share one emulator. */
  stage?: string;
  /** Deployment settings, as the synthesizing process's environment (MEDIA_*, A2I_WORKTEAM_ARN, …). */
  settings?: Record<string, string>;
  /** A cloud assembly already synthesized (skips synthesis). */
  assemblyDir?: string;
  /** Deliver every event twice. */
  duplicate?: boolean;
  /** Multiplies every function's timeout. */
  timeScale?: number;
  /**
   * Timeouts (seconds) that replace the template's for the functions whose handler file is named
   * (`detect-shots` → packages/functions/src/handlers/detect-shots.handler): forces a stage past its deadline.
   */
  timeoutOverrides?: Record<string, number>;
  /** Skip the asset mode check (to show what a function with a lost mode does when it runs). */
  skipModeCheck?: boolean;
  /** Share the emulators of another app (two stages in one account). */
  shared?: { moto: Moto; emulators: ServiceEmulators };
  workDir?: string;
  log?: (line: string) => void;
}

/** A message as an SQS subscriber of a topic receives it (raw delivery off): what an email would carry. */
export interface TopicMessage {
  MessageId: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
}

/** The whole cloud app, deployed into the emulators and running. */
export interface CloudApp {
  deployment: Deployment;
  clients: HarnessClients;
  moto: Moto;
  emulators: ServiceEmulators;
  lambda: LambdaService;
  dispatcher: Dispatcher;
  api: HttpApi;
  apiUrl: string;
  busName: string;
  bucket: string;
  workDir: string;
  /** Every event on the media bus, in arrival order, as a catch-all consumer rule receives them. */
  events: any[];
  /**
   * Fires a schedule now, synchronously, with the "Scheduled Event" EventBridge sends at `at`; `match`
   * is the target function's name, its handler's file name (`review-expire`) or the rule's name.
   */
  fireSchedule(match: string, at: Date): Promise<InvokeOutcome>;
  /**
   * Subscribes a queue of the harness to the topic (once per topic) and returns a reader of the
   * messages published to it since: what a person subscribed by email would receive.
   */
  topicMessages(topicArn: string): Promise<() => Promise<TopicMessage[]>>;
  /** Waits until nothing is queued, running or emulated; resolves false on timeout. */
  settle(timeoutMs: number): Promise<boolean>;
  stop(options?: { keep?: boolean }): Promise<void>;
}

/** Synthesizes the app offline (scripts/synth.mjs, SST's own App/finish/synth) into `outDir`. */
export async function synthesize(outDir: string, stage: string, settings: Record<string, string> = {}): Promise<void> {
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/synth.mjs"), "--stage", stage, outDir], {
      cwd: ROOT, env: { ...process.env, ...settings }, stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`synthesis failed (exit ${code}):\n${output.join("").slice(-4000)}`);
}

export async function startCloudApp(options: CloudAppOptions = {}): Promise<CloudApp> {
  const log = options.log ?? (() => {});
  const stage = options.stage ?? "e2e";
  const workDir = options.workDir ?? mkdtempSync(path.join(os.tmpdir(), `cloud-e2e-${stage}-`));
  mkdirSync(workDir, { recursive: true });
  chmodSync(workDir, 0o755);

  let assemblyDir = options.assemblyDir;
  if (!assemblyDir) {
    assemblyDir = path.join(workDir, "assembly");
    const t = Date.now();
    await synthesize(assemblyDir, stage, options.settings);
    log(`synthesized stage ${stage} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const stacks = readAssembly(assemblyDir);

  // Every executable in every asset must run as the Lambda user: refuse an asset that would not.
  for (const stack of options.skipModeCheck ? [] : stacks) {
    for (const dir of new Set(stack.assets.values())) {
      const bad = findBadModes(dir);
      if (bad.length) {
        throw new Error(`asset ${path.basename(dir)} of ${stack.stackName} has files Lambda's non-root user cannot run or read: ${bad.map((b) => `${b.path} (${b.mode})`).join(", ")}`);
      }
    }
  }

  const moto = options.shared?.moto ?? (await startMoto());
  let emulators: ServiceEmulators | undefined;
  try {
    emulators = options.shared?.emulators ?? (await startServiceEmulators({
      awsEndpoint: moto.endpoint, region: moto.region, account: moto.account, workDir: path.join(workDir, "emulators"), log,
    }));
    return await deploy(options, { stacks, moto, emulators, workDir, stage, log });
  } catch (error) {
    if (!options.shared) {
      await emulators?.stop().catch(() => undefined);
      await moto.stop();
    }
    throw error;
  }
}

async function deploy(
  options: CloudAppOptions,
  { stacks, moto, emulators, workDir, stage, log }: {
    stacks: ReturnType<typeof readAssembly>; moto: Moto; emulators: ServiceEmulators; workDir: string; stage: string; log: (l: string) => void;
  },
): Promise<CloudApp> {
  const clients = clientsFor(moto.clientConfig);
  const deployment = await provision(stacks, clients, { endpoint: moto.endpoint, region: moto.region, account: moto.account });
  for (const f of deployment.flowDefinitions) emulators.a2i.registerFlowDefinition({ arn: f.arn, outputS3Uri: f.outputS3Uri });
  const unsupported = Object.keys(deployment.notEmulated).filter((t) => t.startsWith("UNSUPPORTED"));
  if (unsupported.length) throw new Error(`the templates use resource types the harness cannot stand in for: ${unsupported.join(", ")}`);

  // The functions' credentials, as a role's are: temporary, with a session token.
  const functionCredentials = { accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing" };
  const platformEnv = {
    AWS_REGION: moto.region, AWS_DEFAULT_REGION: moto.region,
    AWS_ACCESS_KEY_ID: functionCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: functionCredentials.secretAccessKey,
    AWS_SESSION_TOKEN: functionCredentials.sessionToken,
    // The only difference from a real deployment: the SDK's standard endpoint overrides.
    AWS_ENDPOINT_URL_S3: moto.endpoint, AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
    AWS_ENDPOINT_URL_SQS: moto.endpoint, AWS_ENDPOINT_URL_SNS: moto.endpoint, AWS_ENDPOINT_URL_SSM: moto.endpoint,
    AWS_ENDPOINT_URL_STS: moto.endpoint, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: moto.endpoint,
    ...endpointEnv(emulators.endpoints),
  };
  let dispatcher: Dispatcher;
  const lambda = new LambdaService({
    platformEnv, workDir, timeScale: options.timeScale, log,
    deadLetter: async (fn, event, outcome) => {
      await dispatcher.deadLetter(fn.deadLetterArn, JSON.stringify(event), `${outcome.errorType}: ${outcome.errorMessage}`, {
        RequestID: "harness", ErrorCode: "200", ErrorMessage: outcome.errorMessage,
      });
    },
  });
  for (const fn of deployment.functions) {
    const file = path.basename(fn.handler).replace(/\.[^.]+$/, "");
    const override = options.timeoutOverrides?.[file];
    lambda.register(override === undefined ? fn : { ...fn, timeoutSeconds: override });
  }
  dispatcher = new Dispatcher(deployment, clients, lambda, { duplicate: options.duplicate, log });

  // The IAM routes take the harness's own signature (its callers, signedFetch) and the functions'.
  const api = new HttpApi(deployment.apiRoutes, lambda, {
    account: moto.account, region: moto.region, motoEndpoint: moto.endpoint,
    credentials: [moto.clientConfig.credentials, functionCredentials],
  });
  const apiUrl = await api.start();

  // A consumer's catch-all rule on the media bus, as the README tells consumers to subscribe.
  const busName = Object.values(deployment.outputs).map((o) => o.EventBusName).find(Boolean);
  const bucket = Object.values(deployment.outputs).map((o) => o.MediaBucket).find(Boolean);
  if (!busName || !bucket) throw new Error("the templates have no EventBusName/MediaBucket output");
  const { QueueUrl: catchAll } = await clients.sqs.send(new sqssdk.CreateQueueCommand({ QueueName: `harness-catch-all-${stage}` }));
  const { Attributes } = await clients.sqs.send(new sqssdk.GetQueueAttributesCommand({ QueueUrl: catchAll, AttributeNames: ["QueueArn"] }));
  await clients.events.send(new ebsdk.PutRuleCommand({ Name: `harness-catch-all-${stage}`, EventBusName: busName, EventPattern: JSON.stringify({ source: ["media-pipeline"] }) }));
  await clients.events.send(new ebsdk.PutTargetsCommand({ Rule: `harness-catch-all-${stage}`, EventBusName: busName, Targets: [{ Id: "catch-all", Arn: Attributes!.QueueArn! }] }));
  const events: any[] = [];
  let consuming = true;
  const consumer = (async () => {
    while (consuming) {
      const r = await clients.sqs.send(new sqssdk.ReceiveMessageCommand({ QueueUrl: catchAll, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })).catch(() => ({ Messages: [] as any[] }));
      for (const m of r.Messages ?? []) {
        events.push(asEventBridgeDelivers(JSON.parse(m.Body!), moto.account));
        await clients.sqs.send(new sqssdk.DeleteMessageCommand({ QueueUrl: catchAll, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
  })();

  const topicReaders = new Map<string, Promise<() => Promise<TopicMessage[]>>>();
  const topicMessages = (topicArn: string) => {
    let reader = topicReaders.get(topicArn);
    if (!reader) {
      reader = topicReader(clients, topicArn);
      topicReaders.set(topicArn, reader);
    }
    return reader;
  };

  dispatcher.start();
  log(`deployed ${deployment.functions.length} functions, ${deployment.ruleTargets.length} rule targets, ${deployment.apiRoutes.length} API routes into moto at ${moto.endpoint}`);

  return {
    deployment, clients, moto, emulators, lambda, dispatcher, api, apiUrl, busName, bucket, workDir, events, topicMessages,
    fireSchedule: (match, at) => dispatcher.fireSchedule(match, at),
    async settle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (Date.now() < deadline) {
        await emulators.idle();
        const queued = await queuedMessages(clients, deployment);
        if (dispatcher.busy === 0 && queued === 0) quiet++;
        else quiet = 0;
        // Three quiet looks in a row: nothing in flight between the pollers either.
        if (quiet >= 3) return true;
        await new Promise((r) => setTimeout(r, 700));
      }
      return false;
    },
    async stop({ keep = false } = {}) {
      consuming = false;
      await dispatcher.stop();
      await consumer;
      await lambda.stop();
      await api.stop();
      if (!options.shared) {
        await emulators.stop();
        await moto.stop();
      }
      if (!keep && !options.workDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** A harness queue subscribed to the topic, and a reader that drains it into the messages seen so far. */
async function topicReader(clients: HarnessClients, topicArn: string): Promise<() => Promise<TopicMessage[]>> {
  const queue = await harnessQueue(clients, `topic-${shortHash(topicArn)}`);
  await clients.sns.send(new snssdk.SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queue.arn, ReturnSubscriptionArn: true }));
  const seen: TopicMessage[] = [];
  return async () => {
    for (;;) {
      const { Messages = [] } = await clients.sqs.send(new sqssdk.ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!Messages.length) return [...seen];
      for (const m of Messages) {
        const { MessageId, Subject, Message, Timestamp } = JSON.parse(m.Body!);
        seen.push({ MessageId, ...(Subject ? { Subject } : {}), Message, Timestamp });
      }
      await clients.sqs.send(new sqssdk.DeleteMessageBatchCommand({
        QueueUrl: queue.url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }));
    }
  };
}

async function queuedMessages(clients: HarnessClients, deployment: Deployment): Promise<number> {
  const urls = [
    ...deployment.ruleTargets.map((t) => t.queueUrl), ...deployment.snsTargets.map((s) => s.queueUrl),
    // A delayed message (the Transcribe check) is not pending work for the flow.
  ];
  let total = 0;
  for (const url of urls) {
    const { Attributes } = await clients.sqs.send(new sqssdk.GetQueueAttributesCommand({
      QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }));
    total += Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return total;
}
