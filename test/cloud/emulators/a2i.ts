import { randomUUID } from "node:crypto";
import { AwsServiceError, jsonBody, num, pageToken, readPageToken, str, type Handler } from "./http.js";
import type { MotoAccess } from "./moto-access.js";

/*
 * The Amazon A2I runtime (REST-JSON): StartHumanLoop, DescribeHumanLoop, StopHumanLoop,
 * DeleteHumanLoop, ListHumanLoops. Nobody works the tasks here: the harness or test decides each loop
 * with `completeLoop` / `failLoop`, which write the documented output and send the documented
 * "SageMaker A2I HumanLoop Status Change" event to the default bus, as A2I does when a worker submits.
 * https://docs.aws.amazon.com/augmented-ai/2019-11-07/APIReference/Welcome.html
 */

type LoopStatus = "InProgress" | "Completed" | "Failed" | "Stopping" | "Stopped";

interface HumanLoop {
  name: string;
  arn: string;
  flowDefinitionArn: string;
  inputContent: string;
  status: LoopStatus;
  creationTime: Date;
  failureReason?: string;
  failureCode?: string;
  outputS3Uri?: string;
}

export interface FlowDefinition {
  arn: string;
  /** The flow definition's `OutputConfig.S3OutputPath` (`s3://bucket/prefix`). */
  outputS3Uri: string;
}

export interface A2iControl {
  registerFlowDefinition(f: FlowDefinition): void;
  openLoops(): { name: string; flowDefinitionArn: string; inputContent: string }[];
  completeLoop(name: string, answerContent: unknown, who?: { workerId?: string; sub?: string }): Promise<void>;
  failLoop(name: string, reason: string, code?: string): Promise<void>;
}

const NAME = /^[a-z0-9](-*[a-z0-9])*$/;
const FLOW_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:flow-definition\/.+$/;
/** StartHumanLoop's documented limit on `InputContent`. */
export const MAX_INPUT_CHARS = 3_145_728;

const pad = (n: number) => String(n).padStart(2, "0");

/** `<S3OutputPath>/<flow definition name>/YYYY/MM/DD/hh/mm/ss/<human loop name>/output.json`, the loop's creation time in UTC. */
export function outputLocation(flow: FlowDefinition, loop: { name: string; creationTime: Date }): { bucket: string; key: string; uri: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(flow.outputS3Uri);
  if (!m) throw new Error(`flow definition ${flow.arn} has no s3:// output path: ${flow.outputS3Uri}`);
  const flowName = flow.arn.slice(flow.arn.indexOf("flow-definition/") + "flow-definition/".length);
  const t = loop.creationTime;
  const date = `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}/${pad(t.getUTCHours())}/${pad(t.getUTCMinutes())}/${pad(t.getUTCSeconds())}`;
  const prefix = m[2]!.replace(/\/+$/, "");
  const key = `${prefix ? `${prefix}/` : ""}${flowName}/${date}/${loop.name}/output.json`;
  return { bucket: m[1]!, key, uri: `s3://${m[1]}/${key}` };
}

export function createA2iEmulator(options: { moto: MotoAccess; region: string; account: string; log: (line: string) => void }): { handler: Handler; control: A2iControl } {
  const { moto, log } = options;
  const flows = new Map<string, FlowDefinition>();
  const loops = new Map<string, HumanLoop>();

  const notFound = (name: string) => new AwsServiceError("ResourceNotFoundException", `Human loop ${name} was not found.`, 404);

  async function statusChange(loop: HumanLoop): Promise<void> {
    await moto.putDefaultBusEvent({
      source: "aws.sagemaker",
      detailType: "SageMaker A2I HumanLoop Status Change",
      resources: [loop.arn],
      detail: {
        creationTime: loop.creationTime.toISOString(),
        failureCode: loop.failureCode ?? null,
        failureReason: loop.failureReason ?? null,
        flowDefinitionArn: loop.flowDefinitionArn,
        humanLoopArn: loop.arn,
        humanLoopName: loop.name,
        humanLoopOutput: loop.outputS3Uri ? { outputS3Uri: loop.outputS3Uri } : null,
        humanLoopStatus: loop.status,
      },
    });
  }

  function openLoop(name: string): HumanLoop {
    const loop = loops.get(name);
    if (!loop) throw new Error(`no human loop named ${name}`);
    if (loop.status !== "InProgress") throw new Error(`human loop ${name} is ${loop.status}, not InProgress`);
    return loop;
  }

  function summary(loop: HumanLoop) {
    return {
      HumanLoopName: loop.name, HumanLoopStatus: loop.status, CreationTime: loop.creationTime.toISOString(), FlowDefinitionArn: loop.flowDefinitionArn,
      ...(loop.failureReason ? { FailureReason: loop.failureReason } : {}),
    };
  }

  const handler: Handler = async (request) => {
    const path = request.rawPath.replace(/\/+$/, "");
    const named = /^\/human-loops\/([^/]+)$/.exec(path);
    if (request.method === "POST" && path === "/human-loops") {
      const input = jsonBody(request, "ValidationException");
      const name = str(input, "HumanLoopName", { required: true, min: 1, max: 63, pattern: NAME, code: "ValidationException" })!;
      const flowArn = str(input, "FlowDefinitionArn", { required: true, max: 1024, pattern: FLOW_ARN, code: "ValidationException" })!;
      const content = str((input.HumanLoopInput ?? {}) as Record<string, unknown>, "InputContent", { required: true, max: MAX_INPUT_CHARS, code: "ValidationException" })!;
      if (!flows.has(flowArn)) throw new AwsServiceError("ResourceNotFoundException", `Flow definition ${flowArn} does not exist.`, 404);
      const existing = loops.get(name);
      if (existing) {
        if (existing.status === "InProgress" && existing.inputContent === content && existing.flowDefinitionArn === flowArn) return { status: 200, body: { HumanLoopArn: existing.arn } };
        throw new AwsServiceError(
          "ConflictException",
          "Your request has the same name as another active human loop but has different input data. You cannot start two human loops with the same name and different input data.",
          409,
        );
      }
      const loop: HumanLoop = {
        name, arn: `arn:aws:sagemaker:${options.region}:${options.account}:human-loop/${name}`, flowDefinitionArn: flowArn,
        inputContent: content, status: "InProgress", creationTime: new Date(),
      };
      loops.set(name, loop);
      log(`a2i: human loop ${name} started`);
      return { status: 200, body: { HumanLoopArn: loop.arn } };
    }
    if (request.method === "POST" && path === "/human-loops/stop") {
      const name = str(jsonBody(request, "ValidationException"), "HumanLoopName", { required: true, min: 1, max: 63, pattern: NAME, code: "ValidationException" })!;
      const loop = loops.get(name);
      if (!loop) throw notFound(name);
      if (loop.status !== "InProgress") throw new AwsServiceError("ValidationException", `Human loop ${name} is ${loop.status}; only a loop in progress can be stopped.`);
      loop.status = "Stopped";
      await statusChange(loop);
      return { status: 200, body: {} };
    }
    if (request.method === "GET" && named) {
      const loop = loops.get(decodeURIComponent(named[1]!));
      if (!loop) throw notFound(named[1]!);
      return {
        status: 200,
        body: {
          ...summary(loop), HumanLoopArn: loop.arn,
          ...(loop.failureCode ? { FailureCode: loop.failureCode } : {}),
          ...(loop.outputS3Uri ? { HumanLoopOutput: { OutputS3Uri: loop.outputS3Uri } } : {}),
        },
      };
    }
    if (request.method === "DELETE" && named) {
      const name = decodeURIComponent(named[1]!);
      const loop = loops.get(name);
      if (!loop) throw notFound(name);
      if (loop.status === "InProgress" || loop.status === "Stopping") throw new AwsServiceError("ValidationException", `Human loop ${name} is ${loop.status}; stop it before deleting it.`);
      loops.delete(name);
      return { status: 200, body: {} };
    }
    if (request.method === "GET" && path === "/human-loops") {
      const q = Object.fromEntries(request.query);
      const flowArn = str(q, "FlowDefinitionArn", { required: true, pattern: FLOW_ARN, code: "ValidationException" })!;
      const sortOrder = q.SortOrder ?? "Descending";
      if (sortOrder !== "Ascending" && sortOrder !== "Descending") throw new AwsServiceError("ValidationException", "SortOrder must be Ascending or Descending.");
      const max = num({ MaxResults: q.MaxResults === undefined ? undefined : Number(q.MaxResults) }, "MaxResults", { min: 1, max: 100, integer: true, code: "ValidationException" }) ?? 100;
      const after = q.CreationTimeAfter ? Date.parse(q.CreationTimeAfter) : -Infinity;
      const before = q.CreationTimeBefore ? Date.parse(q.CreationTimeBefore) : Infinity;
      const all = [...loops.values()]
        .filter((l) => l.flowDefinitionArn === flowArn && l.creationTime.getTime() > after && l.creationTime.getTime() < before)
        .sort((a, b) => (a.creationTime.getTime() - b.creationTime.getTime()) * (sortOrder === "Ascending" ? 1 : -1) || a.name.localeCompare(b.name));
      const scope = `${flowArn}/${sortOrder}/${q.CreationTimeAfter ?? ""}/${q.CreationTimeBefore ?? ""}`;
      const offset = readPageToken(q.NextToken, scope, "ValidationException");
      const next = offset + max < all.length ? pageToken(scope, offset + max) : undefined;
      return { status: 200, body: { HumanLoopSummaries: all.slice(offset, offset + max).map(summary), ...(next ? { NextToken: next } : {}) } };
    }
    throw new AwsServiceError("UnknownOperationException", `No A2I runtime operation at ${request.method} ${request.rawPath}.`, 404);
  };

  const control: A2iControl = {
    registerFlowDefinition(flow) {
      if (!FLOW_ARN.test(flow.arn)) throw new Error(`not a flow definition ARN: ${flow.arn}`);
      if (!/^s3:\/\/[^/]+/.test(flow.outputS3Uri)) throw new Error(`not an s3:// output path: ${flow.outputS3Uri}`);
      flows.set(flow.arn, { ...flow });
    },

    openLoops() {
      return [...loops.values()].filter((l) => l.status === "InProgress").map((l) => ({ name: l.name, flowDefinitionArn: l.flowDefinitionArn, inputContent: l.inputContent }));
    },

    async completeLoop(name, answerContent, who = {}) {
      const loop = openLoop(name);
      const flow = flows.get(loop.flowDefinitionArn)!;
      const location = outputLocation(flow, loop);
      const submitted = new Date();
      let input: unknown = loop.inputContent;
      try {
        input = JSON.parse(loop.inputContent);
      } catch {
        // a custom task's input is JSON; kept as the string it was if not
      }
      await moto.putJson(location.bucket, location.key, {
        flowDefinitionArn: loop.flowDefinitionArn,
        humanAnswers: [
          {
            acceptanceTime: loop.creationTime.toISOString(),
            answerContent,
            submissionTime: submitted.toISOString(),
            timeSpentInSeconds: Math.round((submitted.getTime() - loop.creationTime.getTime()) / 100) / 10,
            workerId: who.workerId ?? "emulated-worker",
            workerMetadata: {
              identityData: {
                identityProviderType: "Cognito",
                issuer: `https://cognito-idp.${options.region}.amazonaws.com/${options.region}_emulated`,
                sub: who.sub ?? randomUUID(),
              },
            },
          },
        ],
        humanLoopName: loop.name,
        inputContent: input,
      });
      loop.status = "Completed";
      loop.outputS3Uri = location.uri;
      log(`a2i: human loop ${name} completed, output at ${location.uri}`);
      await statusChange(loop);
    },

    async failLoop(name, reason, code) {
      const loop = openLoop(name);
      loop.status = "Failed";
      loop.failureReason = reason;
      if (code) loop.failureCode = code;
      log(`a2i: human loop ${name} failed: ${reason}`);
      await statusChange(loop);
    },
  };

  return { handler, control };
}
