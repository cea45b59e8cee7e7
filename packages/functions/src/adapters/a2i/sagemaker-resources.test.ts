import {
  CreateFlowDefinitionCommand, CreateHumanTaskUiCommand, DeleteFlowDefinitionCommand, DeleteHumanTaskUiCommand,
  DescribeFlowDefinitionCommand, ResourceInUse, ResourceNotFound, SageMakerClient, SageMakerServiceException,
} from "@aws-sdk/client-sagemaker";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { A2iResourceError, IamPropagationTimeoutError } from "./errors.js";
import { A2I_RESOURCE_TYPES, createA2iResourceHandler, isIamPropagationError } from "./sagemaker-resources.js";

/*
 * The review stack's custom resource provider with a mocked SageMaker client, on the requests the
 * CDK provider framework passes on (properties as CloudFormation sends them: numbers as strings).
 */

const sagemaker = mockClient(SageMakerClient);
const ROLE = "arn:aws:iam::111122223333:role/Review-FlowDefinitionRole-1A2B3C";
const PREFIX = "prod-media-pipeline-review-flow-";
const NAME = `${PREFIX}0123456789`;

const flowProperties = (name = NAME) => ({
  ServiceToken: "arn:aws:lambda:us-east-1:111122223333:function:Review-ProviderframeworkonEvent",
  NamePrefix: PREFIX,
  FlowDefinitionName: name,
  RoleArn: ROLE,
  HumanLoopConfig: {
    WorkteamArn: "arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/media-reviewers",
    HumanTaskUiArn: "arn:aws:sagemaker:us-east-1:111122223333:human-task-ui/prod-media-pipeline-review-ui-abcdef0123",
    TaskTitle: "Review flagged video segments",
    TaskDescription: "Watch each flagged segment",
    TaskKeywords: ["video", "moderation"],
    TaskCount: "1",
    TaskTimeLimitInSeconds: "3600",
    TaskAvailabilityLifetimeInSeconds: "259200",
  },
  OutputConfig: { S3OutputPath: "s3://media-bucket/review-output/" },
});
const request = (type: "Create" | "Update" | "Delete", extra: Record<string, unknown> = {}) => ({
  RequestType: type, ResourceType: A2I_RESOURCE_TYPES.flowDefinition, LogicalResourceId: "FlowDefinition",
  RequestId: "8d4b8f6e-0c2a-4d5e-9f1b-2c3d4e5f6a7b", ResourceProperties: flowProperties(), ...extra,
});

/** The ValidationException SageMaker answers while it cannot assume a role created seconds before. */
const cannotAssume = () => new SageMakerServiceException({
  name: "ValidationException", $fault: "client", $metadata: { httpStatusCode: 400 },
  message: `Could not assume role ${ROLE}. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.`,
});

/** A clock that advances only when the handler waits, so bounds are checked without real time. */
function fakeTime() {
  let t = 1_000_000;
  const waits: number[] = [];
  return { now: () => t, sleep: async (ms: number) => { waits.push(ms); t += ms; }, waits };
}

beforeEach(() => sagemaker.reset());

describe("A2I resource provider: create", () => {
  it("creates the flow definition after SageMaker refused the new role 3 times, waiting longer each time", async () => {
    sagemaker.on(CreateFlowDefinitionCommand)
      .rejectsOnce(cannotAssume()).rejectsOnce(cannotAssume()).rejectsOnce(cannotAssume())
      .resolves({ FlowDefinitionArn: `arn:aws:sagemaker:us-east-1:111122223333:flow-definition/${NAME}` });
    const time = fakeTime();
    const handler = createA2iResourceHandler({ client: new SageMakerClient({ region: "us-east-1" }), ...time, log: () => {} });

    await expect(handler(request("Create"))).resolves.toEqual({ PhysicalResourceId: NAME });

    const calls = sagemaker.commandCalls(CreateFlowDefinitionCommand);
    expect(calls).toHaveLength(4);
    expect(time.waits).toEqual([2_000, 4_000, 8_000]);
    // The numbers CloudFormation turned into strings go to SageMaker as numbers.
    expect(calls[3]!.args[0].input).toEqual({
      FlowDefinitionName: NAME, RoleArn: ROLE,
      HumanLoopConfig: { ...flowProperties().HumanLoopConfig, TaskCount: 1, TaskTimeLimitInSeconds: 3600, TaskAvailabilityLifetimeInSeconds: 259200 },
      OutputConfig: { S3OutputPath: "s3://media-bucket/review-output/" },
    });
  });

  it("fails at once on a ValidationException that is not about the role", async () => {
    sagemaker.on(CreateFlowDefinitionCommand).rejects(new SageMakerServiceException({
      name: "ValidationException", $fault: "client", $metadata: { httpStatusCode: 400 },
      message: "The specified Workteam 'arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/media-reviewers' does not exist or you do not have access to it.",
    }));
    const time = fakeTime();
    const handler = createA2iResourceHandler({ client: new SageMakerClient({ region: "us-east-1" }), ...time, log: () => {} });

    const error = await handler(request("Create")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(A2iResourceError);
    expect(error).not.toBeInstanceOf(IamPropagationTimeoutError);
    expect((error as Error).message).toMatch(/Creating the flow definition .* failed: ValidationException: The specified Workteam/);
    expect(sagemaker.commandCalls(CreateFlowDefinitionCommand)).toHaveLength(1);
    expect(time.waits).toEqual([]);
  });

  it("gives up after its bound with a message that says what it waited for", async () => {
    sagemaker.on(CreateFlowDefinitionCommand).rejects(cannotAssume());
    const time = fakeTime();
    const handler = createA2iResourceHandler({ client: new SageMakerClient({ region: "us-east-1" }), ...time, log: () => {}, maxWaitMs: 60_000 });

    const error = await handler(request("Create")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IamPropagationTimeoutError);
    expect((error as Error).message).toMatch(/SageMaker still could not use the role after \d+ s and \d+ attempts .*Could not assume role/);
    // 2 + 4 + 8 + 16 + 20 s of waits, and no wait that would end past the bound.
    expect(time.waits).toEqual([2_000, 4_000, 8_000, 16_000, 20_000]);
    expect((error as IamPropagationTimeoutError).attempts).toBe(6);
    expect(time.waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
  });

  it("stops retrying early enough to report before the Lambda times out", async () => {
    sagemaker.on(CreateFlowDefinitionCommand).rejects(cannotAssume());
    const time = fakeTime();
    const handler = createA2iResourceHandler({ client: new SageMakerClient({ region: "us-east-1" }), ...time, log: () => {} });
    // 40 s left: 20 s are kept to report, so at most 20 s of waiting.
    await expect(handler(request("Create"), { getRemainingTimeInMillis: () => 40_000 })).rejects.toThrow(IamPropagationTimeoutError);
    expect(time.waits).toEqual([2_000, 4_000, 8_000]);
  });

  it("creates the human task UI from its template", async () => {
    sagemaker.on(CreateHumanTaskUiCommand).resolves({ HumanTaskUiArn: "arn:ui" });
    const handler = createA2iResourceHandler({ client: new SageMakerClient({ region: "us-east-1" }), log: () => {} });
    const ui = {
      RequestType: "Create", ResourceType: A2I_RESOURCE_TYPES.humanTaskUi,
      ResourceProperties: { NamePrefix: "prod-media-pipeline-review-ui-", HumanTaskUiName: "prod-media-pipeline-review-ui-abcdef0123", UiTemplate: { Content: "<crowd-form></crowd-form>" } },
    };
    await expect(handler(ui)).resolves.toEqual({ PhysicalResourceId: "prod-media-pipeline-review-ui-abcdef0123" });
    expect(sagemaker.commandCalls(CreateHumanTaskUiCommand)[0]!.args[0].input).toEqual({
      HumanTaskUiName: "prod-media-pipeline-review-ui-abcdef0123", UiTemplate: { Content: "<crowd-form></crowd-form>" },
    });
  });

  it("adopts an active flow definition of the same name (a rollback re-creating it) and refuses one being deleted", async () => {
    sagemaker.on(CreateFlowDefinitionCommand).rejects(new ResourceInUse({ $metadata: {}, message: "Resource already exists" }));
    sagemaker.on(DescribeFlowDefinitionCommand).resolvesOnce({ FlowDefinitionStatus: "Active" }).resolvesOnce({ FlowDefinitionStatus: "Deleting" });
    const handler = createA2iResourceHandler({ client: new SageMakerClient({ region: "us-east-1" }), log: () => {} });
    await expect(handler(request("Create"))).resolves.toEqual({ PhysicalResourceId: NAME });
    await expect(handler(request("Create"))).rejects.toThrow(/already exists in status Deleting/);
  });
});

describe("A2I resource provider: update and delete", () => {
  const client = () => new SageMakerClient({ region: "us-east-1" });

  it("replaces on a new name: creates it under the new physical id (CloudFormation deletes the old one)", async () => {
    sagemaker.on(CreateFlowDefinitionCommand).resolves({});
    const renamed = `${PREFIX}fedcba9876`;
    const handler = createA2iResourceHandler({ client: client(), log: () => {} });
    const result = await handler(request("Update", { PhysicalResourceId: NAME, ResourceProperties: flowProperties(renamed), OldResourceProperties: flowProperties() }));
    expect(result).toEqual({ PhysicalResourceId: renamed });
    expect(sagemaker.commandCalls(CreateFlowDefinitionCommand)[0]!.args[0].input.FlowDefinitionName).toBe(renamed);
  });

  it("changes nothing when only the service token changed, and refuses other changes under the same name", async () => {
    const handler = createA2iResourceHandler({ client: client(), log: () => {} });
    const same = { ...flowProperties(), ServiceToken: "arn:aws:lambda:us-east-1:111122223333:function:other" };
    await expect(handler(request("Update", { PhysicalResourceId: NAME, ResourceProperties: same, OldResourceProperties: flowProperties() })))
      .resolves.toEqual({ PhysicalResourceId: NAME });
    const otherRole = { ...flowProperties(), RoleArn: "arn:aws:iam::111122223333:role/another" };
    await expect(handler(request("Update", { PhysicalResourceId: NAME, ResourceProperties: otherRole, OldResourceProperties: flowProperties() })))
      .rejects.toThrow(/cannot change in place .* its name, which must change with its definition, did not/);
    expect(sagemaker.calls()).toHaveLength(0);
  });

  it("deletes by physical id, ignores one already gone, and never deletes a name outside its prefix", async () => {
    sagemaker.on(DeleteFlowDefinitionCommand).resolvesOnce({}).rejectsOnce(new ResourceNotFound({ $metadata: {}, message: "not found" }));
    const handler = createA2iResourceHandler({ client: client(), log: () => {} });
    await expect(handler(request("Delete", { PhysicalResourceId: NAME }))).resolves.toEqual({ PhysicalResourceId: NAME });
    await expect(handler(request("Delete", { PhysicalResourceId: NAME }))).resolves.toEqual({ PhysicalResourceId: NAME });
    // A create that failed leaves the framework's placeholder id; another app's name is not ours to delete.
    await handler(request("Delete", { PhysicalResourceId: "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED" }));
    await handler(request("Delete", { PhysicalResourceId: "someone-elses-flow" }));
    expect(sagemaker.commandCalls(DeleteFlowDefinitionCommand).map((c) => c.args[0].input.FlowDefinitionName)).toEqual([NAME, NAME]);
  });

  it("fails a delete SageMaker refuses for another reason", async () => {
    sagemaker.on(DeleteHumanTaskUiCommand).rejects(new ResourceInUse({ $metadata: {}, message: "in use" }));
    const handler = createA2iResourceHandler({ client: client(), log: () => {} });
    await expect(handler({
      RequestType: "Delete", ResourceType: A2I_RESOURCE_TYPES.humanTaskUi, PhysicalResourceId: "prod-media-pipeline-review-ui-abcdef0123",
      ResourceProperties: { NamePrefix: "prod-media-pipeline-review-ui-", HumanTaskUiName: "prod-media-pipeline-review-ui-abcdef0123", UiTemplate: { Content: "x" } },
    })).rejects.toThrow(/Deleting the human task UI .* failed: ResourceInUse/);
  });
});

describe("isIamPropagationError", () => {
  it("knows SageMaker's and IAM's wordings for a role not yet usable, and nothing else", () => {
    const e = (name: string, message: string) => Object.assign(new Error(message), { name });
    expect(isIamPropagationError(cannotAssume())).toBe(true);
    expect(isIamPropagationError(e("ValidationException", "SageMaker is unable to assume the role arn:aws:iam::1:role/x"))).toBe(true);
    expect(isIamPropagationError(e("AccessDeniedException", "User: arn:aws:sts::1:assumed-role/p/f is not authorized to perform: iam:PassRole on resource: arn:aws:iam::1:role/x"))).toBe(true);
    expect(isIamPropagationError(e("ValidationException", "1 validation error detected: Value at 'humanLoopConfig.taskCount' failed to satisfy constraint"))).toBe(false);
    expect(isIamPropagationError(e("ThrottlingException", "Could not assume role"))).toBe(false);
    expect(isIamPropagationError(e("AccessDeniedException", "User: x is not authorized to perform: sagemaker:CreateFlowDefinition on resource: y"))).toBe(true);
    expect(isIamPropagationError(e("AccessDeniedException", "Access to the work team is denied"))).toBe(false);
  });
});
