import { mkdir } from "node:fs/promises";
import { createA2iEmulator, type A2iControl } from "./a2i.js";
import { bedrockHandler } from "./bedrock.js";
import { createEmulatorEngines } from "./engines.js";
import { startServer, type RunningServer } from "./http.js";
import { createMotoAccess } from "./moto-access.js";
import { rekognitionHandler } from "./rekognition.js";
import { transcribeHandler } from "./transcribe.js";
import { WorkQueue } from "./work-queue.js";

/*
 * Amazon Rekognition, Transcribe, Bedrock Runtime and the A2I runtime on loopback, on their documented
 * wire protocols, answering with the local engines' results. The real SDK clients reach them through
 * endpoint overrides only; a Lambda function gets them from the standard variables
 * (AWS_ENDPOINT_URL_REKOGNITION, AWS_ENDPOINT_URL_TRANSCRIBE, AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
 * AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME: see `endpointEnv`). Their side effects (transcripts, A2I
 * output, SNS completions, default-bus events) go to the moto_server at `awsEndpoint`.
 */

export interface ServiceEmulators {
  endpoints: { rekognition: string; transcribe: string; bedrockRuntime: string; a2iRuntime: string };
  a2i: {
    registerFlowDefinition(f: { arn: string; outputS3Uri: string }): void;
    openLoops(): { name: string; flowDefinitionArn: string; inputContent: string }[];
    completeLoop(name: string, answerContent: unknown, who?: { workerId?: string; sub?: string }): Promise<void>;
    failLoop(name: string, reason: string): Promise<void>;
  };
  /** Resolves when no emulated job is queued or running. */
  idle(): Promise<void>;
  /** Closes the endpoints, drops jobs not started yet and waits for a running one to end. */
  stop(): Promise<void>;
}

export interface ServiceEmulatorOptions {
  /** moto_server's endpoint. */
  awsEndpoint: string;
  region: string;
  account: string;
  /** Downloaded media, frames and derived audio live here. */
  workDir: string;
  /** Stored-video jobs in progress before Rekognition answers LimitExceededException (default 20, AWS's quota). */
  rekognitionConcurrentJobs?: number;
  /** Emulated jobs (Rekognition and Transcribe together) computed at once (default 1: the engines are CPU-bound). */
  workerConcurrency?: number;
  log?: (line: string) => void;
}

export async function startServiceEmulators(options: ServiceEmulatorOptions): Promise<ServiceEmulators> {
  const log = options.log ?? (() => undefined);
  await mkdir(options.workDir, { recursive: true });
  const moto = createMotoAccess(options);
  const engines = createEmulatorEngines(options.workDir, moto);
  const queue = new WorkQueue(options.workerConcurrency ?? 1);
  const a2i = createA2iEmulator({ moto, region: options.region, account: options.account, log });

  const servers: RunningServer[] = [];
  try {
    const start = async (name: string, handler: Parameters<typeof startServer>[1]) => {
      const server = await startServer(name, handler, log);
      servers.push(server);
      return server.endpoint;
    };
    const rekognition = await start("rekognition", rekognitionHandler({ moto, engines, queue, concurrentJobs: options.rekognitionConcurrentJobs ?? 20, log }));
    const transcribe = await start("transcribe", transcribeHandler({ moto, engines, queue, region: options.region, account: options.account, log }));
    const bedrockRuntime = await start("bedrock-runtime", bedrockHandler());
    const a2iRuntime = await start("a2i-runtime", a2i.handler);
    const control: A2iControl = a2i.control;
    return {
      endpoints: { rekognition, transcribe, bedrockRuntime, a2iRuntime },
      a2i: {
        registerFlowDefinition: (f) => control.registerFlowDefinition(f),
        openLoops: () => control.openLoops(),
        completeLoop: (name, answer, who) => control.completeLoop(name, answer, who),
        failLoop: (name, reason) => control.failLoop(name, reason),
      },
      idle: () => queue.idle(),
      async stop() {
        await Promise.all(servers.map((s) => s.close()));
        // Jobs not started yet are dropped; a running one finishes (an engine call cannot be cut short).
        await queue.close();
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
}

/** The environment a function needs to reach the emulators with its unmodified `new XClient({})`. */
export function endpointEnv(endpoints: ServiceEmulators["endpoints"]): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_REKOGNITION: endpoints.rekognition,
    AWS_ENDPOINT_URL_TRANSCRIBE: endpoints.transcribe,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: endpoints.bedrockRuntime,
    AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME: endpoints.a2iRuntime,
  };
}
