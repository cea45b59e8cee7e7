import { routes } from "@media-pipeline/core";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { beforeAll, describe, expect, it } from "vitest";
import sstConfig from "../sst.config.js";
import { Bus } from "../stacks/bus.js";
import { DELIVERY } from "../stacks/delivery.js";
import { Pipeline } from "../stacks/pipeline.js";
import { Storage } from "../stacks/storage.js";

// Offline synthesis: NODE_ENV=test stops app.finish() from looking up bootstrap resources (which needs
// credentials); a stage stops initProject from prompting for one.
process.env.NODE_ENV = "test";

let storage: Template;
let bus: Template;
let pipeline: Template;

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (t: Template, type: string): Array<Record<string, any>> =>
  Object.entries(t.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r.Properties }));

beforeAll(async () => {
  await initProject({ stage: "test" });
  const config = await sstConfig.config({ stage: "test" });
  const app = new App({ mode: "deploy", name: config.name, stage: "test", region: config.region, account: "123456789012" });
  await sstConfig.stacks(app);
  await app.finish();
  storage = Template.fromStack(getStack(Storage));
  bus = Template.fromStack(getStack(Bus));
  pipeline = Template.fromStack(getStack(Pipeline));
});

describe("storage", () => {
  it("sends bucket events to EventBridge and blocks public access", () => {
    const [bucketId] = Object.keys(storage.findResources("AWS::S3::Bucket"));
    // CDK turns EventBridge on through its bucket-notifications custom resource, not the bucket's own
    // NotificationConfiguration property.
    storage.hasResourceProperties("Custom::S3BucketNotifications", {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    storage.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    });
  });

  it("keys the state table on pk/sk, on demand, with TTL and point-in-time recovery", () => {
    storage.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe("bus", () => {
  it("creates the media bus with an archive of every pipeline event", () => {
    bus.resourceCountIs("AWS::Events::EventBus", 1);
    bus.hasResourceProperties("AWS::Events::Archive", { EventPattern: { source: ["media-pipeline"] } });
  });

  it("forwards S3 Object Created for the media bucket's upload prefix from the default bus to ingest", () => {
    const [rule, ...others] = resourcesOf(bus, "AWS::Events::Rule");
    expect(others).toHaveLength(0);
    expect(rule.EventBusName).toBe("default");
    expect(rule.EventPattern).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: {
        bucket: { name: [expect.objectContaining({ "Fn::ImportValue": expect.stringContaining("Media") })] },
        object: { key: [{ prefix: "media/" }] },
      },
    });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0]).toMatchObject({
      RetryPolicy: { MaximumEventAgeInSeconds: DELIVERY.maxEventAge.toSeconds(), MaximumRetryAttempts: DELIVERY.retryAttempts },
      DeadLetterConfig: { Arn: { "Fn::GetAtt": [expect.any(String), "Arn"] } },
    });
    const ingest = bus.toJSON().Resources[rule.Targets[0].Arn["Fn::GetAtt"][0]];
    expect(ingest.Properties.Handler).toBe("packages/functions/src/handlers/ingest.handler");
    expect(ingest.Properties.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: expect.stringMatching(/^MediaEventBus/) });
  });
});

describe("pipeline", () => {
  const rules = () => resourcesOf(pipeline, "AWS::Events::Rule");

  it("creates exactly one rule per route", () => {
    expect(rules()).toHaveLength(routes.length);
  });

  it.each(routes.map((r) => [r.name, r] as const))("wires %s with its exact pattern", (name, route) => {
    const rule = rules().find((r) => r.Description === route.description && String(r.Name).endsWith(`-${name}`));
    expect(rule, `rule for route ${name}`).toBeDefined();
    expect(rule!.EventPattern).toEqual(route.pattern);
    expect(rule!.EventBusName).toEqual(expect.objectContaining({ "Fn::ImportValue": expect.any(String) }));
    expect(rule!.Targets).toHaveLength(1);

    const [target] = rule!.Targets;
    expect(target.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: DELIVERY.maxEventAge.toSeconds(),
      MaximumRetryAttempts: DELIVERY.retryAttempts,
    });
    const dlqId = target.DeadLetterConfig.Arn["Fn::GetAtt"][0];
    expect(pipeline.toJSON().Resources[dlqId].Type).toBe("AWS::SQS::Queue");

    const fnId = target.Arn["Fn::GetAtt"][0];
    const fn = pipeline.toJSON().Resources[fnId];
    expect(fn.Type).toBe("AWS::Lambda::Function");
    expect(fn.Properties).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: expect.stringMatching(new RegExp(`${route.stage}\\.handler$`)),
      DeadLetterConfig: { TargetArn: { "Fn::GetAtt": [dlqId, "Arn"] } },
      Environment: { Variables: expect.objectContaining({ EVENT_BUS_NAME: expect.anything(), STATE_TABLE: expect.anything() }) },
    });
  });

  it("retries failed executions before dead-lettering them", () => {
    pipeline.resourceCountIs("AWS::Lambda::EventInvokeConfig", routes.length);
    pipeline.allResourcesProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: DELIVERY.functionRetryAttempts,
      MaximumEventAgeInSeconds: DELIVERY.functionMaxEventAge.toSeconds(),
    });
  });
});

describe("permissions", () => {
  const statements = (t: Template) =>
    [...resourcesOf(t, "AWS::IAM::Policy"), ...resourcesOf(t, "AWS::IAM::Role")].flatMap((r) => [
      ...(r.PolicyDocument?.Statement ?? []),
      ...(r.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement),
    ]);

  it("grants no wildcard action anywhere", () => {
    const all = [storage, bus, pipeline].flatMap(statements);
    expect(all.length).toBeGreaterThan(routes.length);
    const actions = all.flatMap((s) => [s.Action].flat()).filter(Boolean) as string[];
    expect(actions.filter((a) => a === "*" || a.endsWith(":*") || a.includes("*"))).toEqual([]);
    expect(all.filter((s) => s.NotAction)).toEqual([]);
  });

  it("lets the stages publish only to the media bus", () => {
    const putEvents = statements(pipeline).filter((s) => [s.Action].flat().includes("events:PutEvents"));
    expect(putEvents).toHaveLength(routes.length);
    for (const s of putEvents) expect(s.Resource).toEqual(expect.objectContaining({ "Fn::ImportValue": expect.any(String) }));
  });
});
