import { existsSync, readFileSync } from "node:fs";
import { routes } from "@media-pipeline/core";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { DELIVERY } from "../../stacks/delivery.js";
import { stageHandler } from "../../stacks/handlers.js";
import { SIZES } from "../../stacks/sizing.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf, targetFunction, statementsOfFunction, actionsOf } from "../helpers/stack-templates.js";

/*
 * The pipeline stack: one EventBridge rule and Lambda per route of core's route table, with its
 * retries and dead-letter queue, each function sized for its work and allowed the services it calls.
 */

let pipeline: Template;

beforeAll(async () => {
  ({ Pipeline: pipeline } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

describe("pipeline", () => {
  const rules = () => resourcesOf(pipeline, "AWS::Events::Rule");

  it("creates exactly one rule per route", () => {
    expect(rules()).toHaveLength(routes.length);
  });

  it("has an entry point for every route's stage", () => {
    for (const route of routes) {
      const file = stageHandler(route.stage).replace(/\.handler$/, ".ts");
      expect(existsSync(file), file).toBe(true);
      expect(readFileSync(file, "utf8"), file).toContain(`createStageHandler(createCloud(process.env), "${route.stage}")`);
    }
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
      // The ffmpeg stages run where the static binaries of their layer run.
      Architectures: [["probe", "prepare-video", "extract-audio"].includes(route.stage) ? "x86_64" : "arm64"],
      Handler: expect.stringMatching(new RegExp(`${route.stage}\\.handler$`)),
      DeadLetterConfig: { TargetArn: { "Fn::GetAtt": [dlqId, "Arn"] } },
      Environment: { Variables: expect.objectContaining({ EVENT_BUS_NAME: expect.anything(), STATE_TABLE: expect.anything() }) },
    });
  });

  it("retries failed executions before dead-lettering them", () => {
    // One per route, plus the Rekognition completion collector.
    pipeline.resourceCountIs("AWS::Lambda::EventInvokeConfig", routes.length + 1);
    pipeline.allResourcesProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: DELIVERY.functionRetryAttempts,
      MaximumEventAgeInSeconds: DELIVERY.functionMaxEventAge.toSeconds(),
    });
  });
});

describe("pipeline: function sizes and service access", () => {
  const routeFunction = (name: string) => {
    const rule = resourcesOf(pipeline, "AWS::Events::Rule").find((r) => String(r.Name).endsWith(`-${name}`))!;
    return targetFunction(pipeline, rule);
  };
  const mb = (size: string) => Number.parseInt(size, 10);
  const seconds = (t: string) => Number.parseInt(t, 10) * (t.includes("minute") ? 60 : 1);

  it.each([["extract-audio", SIZES.ffmpeg], ["prepare-video", SIZES.rendition]] as const)("gives the ffmpeg stage %s more memory, its /tmp and a long timeout", (name, size) => {
    expect(routeFunction(name).Properties).toMatchObject({
      MemorySize: mb(size.memorySize),
      EphemeralStorage: { Size: mb(size.diskSize) },
      Timeout: seconds(size.timeout),
    });
    expect(mb(size.memorySize)).toBeGreaterThan(1024);
  });

  it("runs detect-shots as a job start: Rekognition segment detection, no ffmpeg, small and short", () => {
    expect(routeFunction("detect-shots").Properties).toMatchObject({
      MemorySize: mb(SIZES.startJob.memorySize), Timeout: seconds(SIZES.startJob.timeout), Architectures: ["arm64"],
    });
    expect(routeFunction("detect-shots").Properties.Layers).toBeUndefined();
  });

  it("sizes probe for a downloaded upload", () => {
    expect(routeFunction("probe-received-media").Properties).toMatchObject({
      EphemeralStorage: { Size: mb(SIZES.probe.diskSize) },
      Timeout: seconds(SIZES.probe.timeout),
    });
  });

  it("lets each stage call exactly the services it uses", () => {
    const actions = (name: string) => actionsOf(statementsOfFunction(pipeline, routeFunction(name)));
    const service = (a: string) => !/^(s3|dynamodb|events|sqs|xray):/.test(a);
    expect(actions("detect-labels").filter(service).sort()).toEqual(["iam:PassRole", "rekognition:StartLabelDetection"]);
    expect(actions("moderate-content").filter(service).sort()).toEqual(["iam:PassRole", "rekognition:StartContentModeration"]);
    expect(actions("detect-shots").filter(service).sort()).toEqual(["iam:PassRole", "rekognition:StartSegmentDetection"]);
    expect(actions("transcribe-audio").filter(service)).toEqual(["transcribe:StartTranscriptionJob"]);
    expect(actions("summarize-scenes").filter(service)).toEqual(["bedrock:InvokeModel"]);
    // The built-in review: request-review opens its task with a conditional put into the review table, nothing else.
    expect(actions("request-review").filter(service)).toEqual([]);
    for (const name of ["probe-received-media", "prepare-video", "extract-audio", "complete-analysis", "finalize-analysis"]) {
      expect(actions(name).filter(service), name).toEqual([]);
    }

    const statements = (name: string) => statementsOfFunction(pipeline, routeFunction(name));
    const bedrock = statements("summarize-scenes").find((s) => s.Action === "bedrock:InvokeModel");
    expect(JSON.stringify(bedrock.Resource)).toContain(":bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0");
    const table = statements("request-review").filter((s) => JSON.stringify(s.Resource).includes("ReviewTasks"));
    expect(table).toEqual([expect.objectContaining({ Action: "dynamodb:PutItem", Resource: { "Fn::ImportValue": expect.stringMatching(/Review:.*ReviewTasks.*Arn/) } })]);
    expect(routeFunction("request-review").Properties.Environment.Variables).toMatchObject({
      REVIEW_BACKEND: "builtin", REVIEW_TABLE: { "Fn::ImportValue": expect.stringMatching(/Review:.*ReviewTasks/) },
    });
    expect(routeFunction("request-review").Properties.Environment.Variables).not.toHaveProperty("FLOW_DEFINITION_ARN");
    expect(routeFunction("summarize-scenes").Properties.Environment.Variables.BEDROCK_MODEL_ID).toBe("amazon.nova-lite-v1:0");
    // Nova Lite takes images, so scene summaries get keyframes (stacks/settings.ts keeps the allow-list).
    expect(routeFunction("summarize-scenes").Properties.Environment.Variables.BEDROCK_ACCEPTS_IMAGES).toBe("true");
    const pass = statements("detect-labels").find((s) => s.Action === "iam:PassRole");
    expect(pass).toMatchObject({
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^RekognitionPublisher/), "Arn"] },
      Condition: { StringEquals: { "iam:PassedToService": "rekognition.amazonaws.com" } },
    });
    expect(Object.keys(routeFunction("detect-labels").Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(["REKOGNITION_TOPIC_ARN", "REKOGNITION_ROLE_ARN"]),
    );
  });
});

describe("ffmpeg in Lambda", () => {
  it("gives the ffmpeg stages the static binaries as an x86_64 layer, and probe may write probe.json under derived/", () => {
    const layers = pipeline.findResources("AWS::Lambda::LayerVersion");
    expect(Object.values(layers).map((l) => (l as { Properties: { CompatibleArchitectures: string[] } }).Properties.CompatibleArchitectures)).toEqual([["x86_64"]]);
    const fns = Object.values(pipeline.findResources("AWS::Lambda::Function")) as Array<{ Properties: { Handler?: string; Architectures?: string[]; Layers?: unknown[]; Environment?: { Variables?: Record<string, unknown> } } }>;
    // The Rekognition completion too: it takes the shots' keyframes from the video.
    for (const stage of ["probe", "prepare-video", "extract-audio", "rekognition-complete"]) {
      const fn = fns.find((f) => f.Properties.Handler === `packages/functions/src/handlers/${stage}.handler`);
      expect(fn, stage).toBeDefined();
      expect(fn!.Properties.Architectures, stage).toEqual(["x86_64"]);
      expect(fn!.Properties.Layers, stage).toHaveLength(1);
      expect(fn!.Properties.Environment!.Variables).toMatchObject({ MEDIA_PIPELINE_FFMPEG: "/opt/bin/ffmpeg", MEDIA_PIPELINE_FFPROBE: "/opt/bin/ffprobe" });
    }
  });
});
