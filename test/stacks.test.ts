import { existsSync, readFileSync } from "node:fs";
import { allEventJsonSchemas, routes } from "@media-pipeline/core";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { beforeAll, describe, expect, it } from "vitest";
import sstConfig from "../sst.config.js";
import { ApiStack } from "../stacks/api.js";
import { Bus } from "../stacks/bus.js";
import { DELIVERY } from "../stacks/delivery.js";
import { HANDLERS, stageHandler } from "../stacks/handlers.js";
import { Pipeline } from "../stacks/pipeline.js";
import { ReviewTaskInput, ReviewTaskInputSegment } from "../packages/functions/src/adapters/a2i/task-input.js";
import { Review, TASK_TEMPLATE_PATH } from "../stacks/review.js";
import { schemaName, toDraft4 } from "../stacks/schema-registry.js";
import { workerPortalOrigin } from "../stacks/settings.js";
import { SIZES, visionFramesDiskSize } from "../stacks/sizing.js";
import { Storage } from "../stacks/storage.js";
import { withPrivateArtifacts } from "./helpers/synth.js";

// Offline synthesis: NODE_ENV=test stops app.finish() from looking up bootstrap resources (which needs
// credentials); a stage stops initProject from prompting for one.
process.env.NODE_ENV = "test";

let storage: Template;
let review: Template;
let bus: Template;
let pipeline: Template;
let api: Template;

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (t: Template, type: string): Array<Record<string, any>> =>
  Object.entries(t.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r.Properties }));

beforeAll(async () => {
  await initProject({ stage: "test" });
  // SST bundles into a folder of this synthesis's own (helpers/synth.ts): test files run in parallel.
  await withPrivateArtifacts(async () => {
    const config = await sstConfig.config({ stage: "test" });
    const app = new App({ mode: "deploy", name: config.name, stage: "test", region: config.region, account: "123456789012" });
    await sstConfig.stacks(app);
    await app.finish();
  });
  storage = Template.fromStack(getStack(Storage));
  review = Template.fromStack(getStack(Review));
  bus = Template.fromStack(getStack(Bus));
  pipeline = Template.fromStack(getStack(Pipeline));
  api = Template.fromStack(getStack(ApiStack));
});

const resourceOf = (t: Template, id: string) => t.toJSON().Resources[id] as Resource;
/** The function a rule's (single) target invokes. */
const targetFunction = (t: Template, rule: Record<string, any>) => resourceOf(t, rule.Targets[0].Arn["Fn::GetAtt"][0]);
/** Statements of the policies attached to a role. */
const roleStatements = (t: Template, roleId: string) =>
  resourcesOf(t, "AWS::IAM::Policy")
    .filter((p) => p.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.PolicyDocument.Statement);
const statementsOfFunction = (t: Template, fn: Resource) => roleStatements(t, fn.Properties.Role["Fn::GetAtt"][0]);
const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat());

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

  it("lets only the A2I worker portal GET the media by CORS, as AWS requires for A2I image input", () => {
    const [bucket] = resourcesOf(storage, "AWS::S3::Bucket");
    expect(bucket).toMatchObject({
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedMethods: ["GET", "HEAD"],
            AllowedOrigins: [workerPortalOrigin("us-east-1")],
            AllowedHeaders: ["Range"],
            ExposedHeaders: expect.arrayContaining(["Content-Range", "Accept-Ranges"]),
            MaxAge: 3600,
            Id: "review-portal-media",
          },
        ],
      },
    });
    expect(workerPortalOrigin("us-east-1")).toBe("https://*.labeling.us-east-1.sagemaker.aws");
  });

  it("expires derived outputs and abandoned multipart uploads", () => {
    const [bucket] = resourcesOf(storage, "AWS::S3::Bucket");
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      { Id: "expire-derived", Prefix: "derived/", ExpirationInDays: 30, Status: "Enabled" },
      { Id: "abort-incomplete-uploads", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: "Enabled" },
    ]);
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
    const rule = resourcesOf(bus, "AWS::Events::Rule").find((r) => r.EventPattern.source[0] === "aws.s3")!;
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

  it("forwards only our Transcribe jobs and our A2I human loops from the default bus", () => {
    const rules = resourcesOf(bus, "AWS::Events::Rule");
    expect(rules.map((r) => r.EventPattern.source[0]).sort()).toEqual(["aws.s3", "aws.sagemaker", "aws.transcribe"]);
    for (const rule of rules) expect(rule.EventBusName).toBe("default");

    const transcribe = rules.find((r) => r.EventPattern.source[0] === "aws.transcribe")!;
    expect(transcribe.EventPattern).toEqual({
      source: ["aws.transcribe"],
      "detail-type": ["Transcribe Job State Change"],
      // This app and stage only (test/stacks-assets.test.ts runs the pattern against other stages' jobs).
      detail: { TranscriptionJobName: [{ wildcard: "media-pipeline.test.*-transcript" }] },
    });
    const a2i = rules.find((r) => r.EventPattern.source[0] === "aws.sagemaker")!;
    expect(a2i.EventPattern).toEqual({
      source: ["aws.sagemaker"],
      "detail-type": ["SageMaker A2I HumanLoop Status Change"],
      detail: {
        // Any flow definition of this app and stage, built here rather than imported (review-stack.test.ts).
        flowDefinitionArn: [{ prefix: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":sagemaker:us-east-1:123456789012:flow-definition/test-media-pipeline-review-flow-"]] } }],
      },
    });

    for (const [rule, handler] of [[transcribe, HANDLERS.transcribeComplete], [a2i, HANDLERS.reviewComplete]] as const) {
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: DELIVERY.retryAttempts },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [expect.any(String), "Arn"] } },
      });
      const fn = targetFunction(bus, rule);
      expect(fn.Properties.Handler).toBe(handler);
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE"]),
      );
    }
    expect(actionsOf(statementsOfFunction(bus, targetFunction(bus, transcribe)))).toContain("transcribe:GetTranscriptionJob");
    expect(targetFunction(bus, a2i).Properties.Environment.Variables.FLOW_DEFINITION_ARN_PREFIX).toEqual(a2i.EventPattern.detail.flowDefinitionArn[0].prefix);
  });

  it("lets the review completion record the outcome and re-queue a failed loop on our flow definition only", () => {
    const rule = resourcesOf(bus, "AWS::Events::Rule").find((r) => r.EventPattern.source[0] === "aws.sagemaker")!;
    const fn = targetFunction(bus, rule);
    const vars = fn.Properties.Environment.Variables;
    expect(vars.REVIEW_MAX_ATTEMPTS).toBe("3");
    const statements = statementsOfFunction(bus, fn);
    const service = (a: string) => !/^(s3|dynamodb|events|sqs|xray):/.test(a);
    expect(actionsOf(statements).filter(service)).toEqual(["sagemaker:StartHumanLoop"]);
    expect(statements.find((s) => s.Action === "sagemaker:StartHumanLoop").Resource).toEqual(vars.FLOW_DEFINITION_ARN);
    const suffixes = (action: string) =>
      statements.filter((s) => s.Action === action).flatMap((s) => [s.Resource].flat().map((r: any) => r["Fn::Join"][1].at(-1)));
    // The output document, the stored task and the outcome; the upload and keyframes to presign them again.
    expect(suffixes("s3:GetObject").sort()).toEqual(["/derived/*", "/media/*", "/review-output/*"]);
    expect(suffixes("s3:PutObject")).toEqual(["/derived/*"]);
    // A missing review.json must answer 404, not 403 (objectAccess `probe`): the bucket, not its objects.
    const list = statements.filter((s) => s.Action === "s3:ListBucket");
    expect(list).toHaveLength(1);
    expect(list[0].Resource).toEqual({ "Fn::ImportValue": expect.stringMatching(/Storage:.*MediaBucket.*Arn/) });
  });

  it("registers one draft-4 schema per catalog entry", () => {
    const files = Object.keys(allEventJsonSchemas());
    const [registry] = resourcesOf(bus, "AWS::EventSchemas::Registry");
    expect(registry.RegistryName).toBe("test-media-pipeline-events");
    const schemas = resourcesOf(bus, "AWS::EventSchemas::Schema");
    expect(schemas.map((s) => s.SchemaName).sort()).toEqual(files.map(schemaName).sort());
    for (const schema of schemas) {
      expect(schema.Type).toBe("JSONSchemaDraft4");
      expect(schema.RegistryName).toEqual({ "Fn::GetAtt": [expect.any(String), "RegistryName"] });
      const content = JSON.parse(schema.Content);
      expect(content.$schema).toBe("http://json-schema.org/draft-04/schema#");
      // No draft-6+ keyword survives anywhere in the document.
      expect(schema.Content).not.toMatch(/"(const|\$defs|\$id|examples|propertyNames)"/);
      expect(schema.Content).not.toMatch(/"exclusiveM(in|ax)imum":\s*-?\d/);
    }
  });
});

describe("draft 2020-12 → draft 4", () => {
  it("rewrites const, numeric exclusive bounds, $defs and $id", () => {
    expect(
      toDraft4({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: "https://example.com/s.json",
        type: "object",
        properties: {
          kind: { const: "video" },
          size: { type: "number", exclusiveMinimum: 0 },
          pct: { type: "number", minimum: 5, exclusiveMinimum: 0, exclusiveMaximum: 100 },
          item: { $ref: "#/$defs/item" },
          any: true,
        },
        $defs: { item: { type: "string" } },
        examples: [{}],
      }),
    ).toEqual({
      $schema: "http://json-schema.org/draft-04/schema#",
      id: "https://example.com/s.json",
      type: "object",
      properties: {
        kind: { enum: ["video"] },
        size: { type: "number", minimum: 0, exclusiveMinimum: true },
        pct: { type: "number", minimum: 5, maximum: 100, exclusiveMaximum: true },
        item: { $ref: "#/definitions/item" },
        any: {},
      },
      definitions: { item: { type: "string" } },
    });
  });

  it("refuses keywords draft 4 cannot express", () => {
    expect(() => toDraft4({ type: "array", prefixItems: [{ type: "string" }] })).toThrow(/prefixItems/);
    expect(() => toDraft4({ type: "object", propertyNames: { pattern: "^a" } })).toThrow(/propertyNames/);
  });
});

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
    expect(actions("request-review").filter(service)).toEqual(["sagemaker:StartHumanLoop"]);
    for (const name of ["probe-received-media", "prepare-video", "extract-audio", "complete-analysis", "finalize-analysis"]) {
      expect(actions(name).filter(service), name).toEqual([]);
    }

    const statements = (name: string) => statementsOfFunction(pipeline, routeFunction(name));
    const bedrock = statements("summarize-scenes").find((s) => s.Action === "bedrock:InvokeModel");
    expect(JSON.stringify(bedrock.Resource)).toContain(":bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0");
    const a2i = statements("request-review").find((s) => s.Action === "sagemaker:StartHumanLoop");
    expect(JSON.stringify(a2i.Resource)).toMatch(/:sagemaker:us-east-1:123456789012:flow-definition\/test-media-pipeline-review-flow-[0-9a-f]{10}"/);
    expect(routeFunction("request-review").Properties.Environment.Variables.FLOW_DEFINITION_ARN).toEqual(a2i.Resource);
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

describe("pipeline: review stages", () => {
  const rule = (name: string) => resourcesOf(pipeline, "AWS::Events::Rule").find((r) => String(r.Name).endsWith(`-${name}`))!;
  const objectGrants = (name: string) => {
    const statements = statementsOfFunction(pipeline, targetFunction(pipeline, rule(name)));
    const on = (action: string) =>
      statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat().map((r: any) => r["Fn::Join"]?.[1].at(-1) ?? r));
    return { read: on("s3:GetObject").sort(), write: on("s3:PutObject"), list: on("s3:ListBucket"), statements };
  };

  it("runs finalize-analysis on exactly its route's pattern, with its own Lambda and dead-letter queue", () => {
    const route = routes.find((r) => r.stage === "finalize-analysis")!;
    expect(route.name).toBe("finalize-analysis");
    const r = rule("finalize-analysis");
    expect(r.EventPattern).toEqual(route.pattern);
    expect(r.EventPattern.$or).toEqual([
      { source: ["media-pipeline"], "detail-type": ["Review Completed"] },
      { source: ["media-pipeline"], "detail-type": ["Analysis Completed"], detail: { final: [false] } },
      { source: ["media-pipeline"], "detail-type": ["Stage Failed"], detail: { stage: ["request-review"] } },
    ]);
    const fn = targetFunction(pipeline, r);
    expect(fn.Properties).toMatchObject({
      Handler: "packages/functions/src/handlers/finalize-analysis.handler",
      MemorySize: Number.parseInt(SIZES.light.memorySize, 10),
      Timeout: 60,
      Architectures: ["arm64"],
    });
    expect(fn.Properties.Layers).toBeUndefined();
    const dlq = r.Targets[0].DeadLetterConfig.Arn["Fn::GetAtt"][0];
    expect(dlq).toMatch(/^FinalizeAnalysisDeadLetters/);
    expect(fn.Properties.DeadLetterConfig.TargetArn["Fn::GetAtt"][0]).toBe(dlq);
    // Its own queue, not complete-analysis's.
    expect(rule("complete-analysis").Targets[0].DeadLetterConfig.Arn["Fn::GetAtt"][0]).not.toBe(dlq);
    // The three every function has (and SST's own); no service settings, since it calls none.
    const vars = Object.keys(fn.Properties.Environment.Variables);
    expect(vars).toEqual(expect.arrayContaining(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE"]));
    expect(vars.filter((v) => !v.startsWith("SST_") && !v.startsWith("AWS_"))).toEqual(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE"]);
  });

  it("lets finalize-analysis read and write derived/, probe it, publish and record state, and nothing else", () => {
    const { read, write, list, statements } = objectGrants("finalize-analysis");
    expect(read).toEqual(["/derived/*"]);
    expect(write).toEqual(["/derived/*"]);
    expect(list).toEqual([{ "Fn::ImportValue": expect.stringMatching(/Storage:.*MediaBucket.*Arn/) }]);
    expect(actionsOf(statements).sort()).toEqual([
      "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "events:PutEvents",
      "s3:GetObject", "s3:ListBucket", "s3:PutObject",
      // Lambda's own dead-letter queue, and SST's tracing.
      "sqs:SendMessage", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
    ]);
  });

  it("lets request-review store the review task under derived/, and both reports probe for the outcome", () => {
    expect(objectGrants("request-review")).toMatchObject({ read: ["/derived/*", "/media/*"], write: ["/derived/*"], list: [expect.anything()] });
    expect(objectGrants("complete-analysis")).toMatchObject({ read: ["/derived/*"], write: ["/derived/*"], list: [expect.anything()] });
    // Stages that never ask for a document that may be missing cannot list the bucket.
    for (const name of ["probe-received-media", "extract-audio", "detect-shots", "detect-labels", "moderate-content", "transcribe-audio", "summarize-scenes"]) {
      expect(objectGrants(name).list, name).toEqual([]);
    }
  });
});

describe("pipeline: Rekognition completion", () => {
  it("has a topic that only Rekognition, through its own role, may publish to", () => {
    const [topicId] = Object.keys(pipeline.findResources("AWS::SNS::Topic"));
    expect(Object.keys(pipeline.findResources("AWS::SNS::Topic"))).toHaveLength(1);
    const [roleId, role] = Object.entries(pipeline.findResources("AWS::IAM::Role")).find(([id]) =>
      id.startsWith("RekognitionPublisher"),
    )! as [string, Resource];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: "sts:AssumeRole",
        Effect: "Allow",
        Principal: { Service: "rekognition.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    expect(role.Properties.Policies ?? []).toEqual([]);
    expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
    expect(roleStatements(pipeline, roleId)).toEqual([{ Action: "sns:Publish", Effect: "Allow", Resource: { Ref: topicId } }]);
  });

  it("subscribes the collector, with a dead-letter queue for undeliverable notices", () => {
    const [subscription, ...others] = resourcesOf(pipeline, "AWS::SNS::Subscription");
    expect(others).toHaveLength(0);
    expect(subscription).toMatchObject({
      Protocol: "lambda",
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [expect.stringMatching(/^RekognitionCompleteDeadLetters/), "Arn"] } },
    });
    const fn = resourceOf(pipeline, subscription.Endpoint["Fn::GetAtt"][0]);
    expect(fn.Properties.Handler).toBe(HANDLERS.rekognitionComplete);
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE", "REKOGNITION_TOPIC_ARN", "REKOGNITION_ROLE_ARN"]),
    );
    // Collects both kinds, and starts whichever kind a completion releases from the backlog.
    expect(actionsOf(statementsOfFunction(pipeline, fn)).filter((a) => !/^(s3|dynamodb|events|sqs|xray):/.test(a)).sort()).toEqual([
      "iam:PassRole",
      "rekognition:GetContentModeration",
      "rekognition:GetLabelDetection",
      "rekognition:GetSegmentDetection",
      "rekognition:StartContentModeration",
      "rekognition:StartLabelDetection",
      "rekognition:StartSegmentDetection",
    ]);
  });

  it("lets the collector release backlogged starts: PassRole on the Rekognition role, take from the backlog in the state table", () => {
    const [subscription] = resourcesOf(pipeline, "AWS::SNS::Subscription");
    const fn = resourceOf(pipeline, subscription!.Endpoint["Fn::GetAtt"][0]);
    const statements = statementsOfFunction(pipeline, fn);
    const vars = fn.Properties.Environment.Variables;
    expect(statements.find((s) => s.Action === "iam:PassRole")).toMatchObject({
      Resource: { "Fn::GetAtt": [expect.stringMatching(/^RekognitionPublisher/), "Arn"] },
      Condition: { StringEquals: { "iam:PassedToService": "rekognition.amazonaws.com" } },
    });
    expect(vars.REKOGNITION_ROLE_ARN).toEqual({ "Fn::GetAtt": [expect.stringMatching(/^RekognitionPublisher/), "Arn"] });
    expect(vars.REKOGNITION_TOPIC_ARN).toEqual({ Ref: Object.keys(pipeline.findResources("AWS::SNS::Topic"))[0] });

    const table = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith("dynamodb:")));
    expect(table).toHaveLength(1);
    expect([table[0].Action].flat().sort()).toEqual(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]);
    expect(table[0].Resource).toEqual(expect.objectContaining({ "Fn::ImportValue": expect.stringMatching(/Table/) }));

    // Only the releaser deletes: the starting stages push with PutItem and get no DeleteItem.
    for (const name of ["detect-labels", "moderate-content"]) {
      const rule = resourcesOf(pipeline, "AWS::Events::Rule").find((r) => String(r.Name).endsWith(`-${name}`))!;
      const actions = actionsOf(statementsOfFunction(pipeline, targetFunction(pipeline, rule)));
      expect(actions, name).toEqual(expect.arrayContaining(["dynamodb:PutItem", "dynamodb:Query"]));
      expect(actions, name).not.toContain("dynamodb:DeleteItem");
    }
  });
});

describe("pipeline: transcribe check", () => {
  const checkQueue = () => {
    const [entry, ...others] = Object.entries(pipeline.findResources("AWS::SQS::Queue")).filter(([id]) => id.startsWith("TranscribeCheckQueue"));
    expect(others).toHaveLength(0);
    return { id: entry![0], ...(entry![1] as Resource).Properties } as Record<string, any> & { id: string };
  };
  const checkFunction = () => {
    const fns = resourcesOf(pipeline, "AWS::Lambda::Function").filter((f) => f.Handler === HANDLERS.transcribeCheck);
    expect(fns).toHaveLength(1);
    return resourceOf(pipeline, fns[0]!.id);
  };
  const transcribeStage = () => {
    const rule = resourcesOf(pipeline, "AWS::Events::Rule").find((r) => String(r.Name).endsWith("-transcribe-audio"))!;
    return targetFunction(pipeline, rule);
  };
  const sends = (fn: Resource) => statementsOfFunction(pipeline, fn).filter((s) => [s.Action].flat().includes("sqs:SendMessage"));

  it("has a work queue that dead-letters into an alarmed queue after a few receives", () => {
    const queue = checkQueue();
    expect(queue).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 30 * 60,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [expect.stringMatching(/^TranscribeCheckDeadLetters/), "Arn"] }, maxReceiveCount: 5 },
    });
    // At least six times the consumer's timeout, as AWS advises for SQS event sources.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * checkFunction().Properties.Timeout);
    const dlqId = queue.RedrivePolicy.deadLetterTargetArn["Fn::GetAtt"][0];
    const alarms = resourcesOf(pipeline, "AWS::CloudWatch::Alarm").filter((a) => a.Dimensions[0].Value["Fn::GetAtt"][0] === dlqId);
    expect(alarms).toHaveLength(1);
  });

  it("feeds the consumer from the queue with partial batch failures", () => {
    const [mapping, ...others] = resourcesOf(pipeline, "AWS::Lambda::EventSourceMapping");
    expect(others).toHaveLength(0);
    expect(mapping).toMatchObject({
      EventSourceArn: { "Fn::GetAtt": [checkQueue().id, "Arn"] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: 10,
    });
    expect(mapping!.FunctionName.Ref).toBe(Object.entries(pipeline.toJSON().Resources).find(([, r]) => r === checkFunction())![0]);
  });

  it("lets the consumer look the job up, read and write derived/, publish, and re-queue the check", () => {
    const fn = checkFunction();
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE", "TRANSCRIBE_CHECK_QUEUE_URL"]),
    );
    expect(fn.Properties.Environment.Variables.TRANSCRIBE_CHECK_QUEUE_URL).toEqual({ Ref: checkQueue().id });
    const actions = actionsOf(statementsOfFunction(pipeline, fn));
    expect(actions).toEqual(expect.arrayContaining([
      "transcribe:GetTranscriptionJob", "s3:GetObject", "s3:PutObject", "events:PutEvents", "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
    ]));
    expect(actions).not.toContain("transcribe:StartTranscriptionJob");
    const read = statementsOfFunction(pipeline, fn).find((s) => s.Action === "s3:GetObject");
    expect(JSON.stringify(read.Resource)).toContain("/derived/*");
    expect(sends(fn).map((s) => s.Resource)).toEqual([{ "Fn::GetAtt": [checkQueue().id, "Arn"] }]);
  });

  it("lets the transcribe stage queue the check, and only on that queue", () => {
    const fn = transcribeStage();
    expect(fn.Properties.Environment.Variables.TRANSCRIBE_CHECK_QUEUE_URL).toEqual({ Ref: checkQueue().id });
    // Besides its own dead-letter queue (Lambda's async DLQ), the stage sends to the check queue.
    expect(sends(fn).map((s) => s.Resource)).toContainEqual({ "Fn::GetAtt": [checkQueue().id, "Arn"] });
    const toCheck = (f: Resource) => sends(f).filter((s) => JSON.stringify(s.Resource).includes(checkQueue().id));
    const others = resourcesOf(pipeline, "AWS::Lambda::Function").filter((f) => f.Handler?.endsWith(".handler") && ![HANDLERS.transcribeCheck, "packages/functions/src/handlers/transcribe.handler"].includes(f.Handler));
    expect(others.length).toBeGreaterThan(0);
    for (const f of others) expect(toCheck(resourceOf(pipeline, f.id)), f.Handler).toEqual([]);
  });
});

describe("dead-letter alarms", () => {
  it.each([["bus", () => bus], ["pipeline", () => pipeline]] as const)("alarms on every dead-letter queue of %s", (_, t) => {
    // The transcribe check queue is a work queue (it always holds delayed messages), not a dead-letter one.
    const queues = Object.keys(t().findResources("AWS::SQS::Queue")).filter((id) => !id.startsWith("TranscribeCheckQueue"));
    const alarms = resourcesOf(t(), "AWS::CloudWatch::Alarm");
    expect(queues.length).toBeGreaterThan(0);
    expect(alarms).toHaveLength(queues.length);
    const watched = alarms.map((a) => {
      expect(a).toMatchObject({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Statistic: "Maximum",
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        EvaluationPeriods: 1,
        TreatMissingData: "notBreaching",
      });
      return a.Dimensions[0].Value["Fn::GetAtt"][0];
    });
    expect(watched.sort()).toEqual(queues.sort());
  });
});

describe("review", () => {
  const template = readFileSync(TASK_TEMPLATE_PATH, "utf8");
  const custom = (type: string) => {
    const [r, ...others] = resourcesOf(review, type);
    expect(others).toHaveLength(0);
    return r;
  };

  it("creates the human task UI from the template, through our provider", () => {
    const ui = custom("Custom::A2IHumanTaskUi");
    expect(ui).toMatchObject({
      NamePrefix: "test-media-pipeline-review-ui-",
      HumanTaskUiName: expect.stringMatching(/^test-media-pipeline-review-ui-[0-9a-f]{10}$/),
      UiTemplate: { Content: template },
      ServiceToken: { "Fn::GetAtt": [expect.stringMatching(/^A2iResourcesframeworkonEvent/), "Arn"] },
    });
  });

  it("creates the flow definition on the work team, the UI and review-output/, through our provider", () => {
    const flow = custom("Custom::A2IFlowDefinition");
    const ui = custom("Custom::A2IHumanTaskUi");
    const [workteam] = resourcesOf(review, "AWS::SSM::Parameter");
    expect(flow).toMatchObject({
      NamePrefix: "test-media-pipeline-review-flow-",
      FlowDefinitionName: expect.stringMatching(/^test-media-pipeline-review-flow-[0-9a-f]{10}$/),
      RoleArn: { "Fn::GetAtt": [expect.stringMatching(/^FlowDefinitionRole/), "Arn"] },
      HumanLoopConfig: { WorkteamArn: workteam.Value, TaskCount: 1 },
      ServiceToken: ui.ServiceToken,
    });
    expect(JSON.stringify(flow.HumanLoopConfig.HumanTaskUiArn)).toContain(`:human-task-ui/${ui.HumanTaskUiName}"`);
    const output = flow.OutputConfig.S3OutputPath["Fn::Join"][1];
    expect(output).toEqual(["s3://", { "Fn::ImportValue": expect.stringMatching(/Storage:.*MediaBucket/) }, "/review-output/"]);
  });

  it("keeps the work team in an SST parameter", () => {
    const [parameter] = resourcesOf(review, "AWS::SSM::Parameter");
    expect(parameter.Name).toBe("/sst/media-pipeline/test/Parameter/A2I_WORKTEAM_ARN/value");
    expect(parameter.Value).toMatch(/^arn:aws:sagemaker:us-east-1:123456789012:workteam\//);
  });

  it("gives A2I a role that writes only under review-output/ and reads only media and derived keyframes", () => {
    const [roleId, role] = Object.entries(review.findResources("AWS::IAM::Role")).find(([id]) =>
      id.startsWith("FlowDefinitionRole"),
    )! as [string, Resource];
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: "sagemaker.amazonaws.com" });
    const statements = roleStatements(review, roleId);
    const suffixes = (resource: any) => [resource].flat().map((r: any) => r["Fn::Join"][1][1]);
    expect(statements.map((s) => [s.Action, suffixes(s.Resource)])).toEqual([
      ["s3:PutObject", ["/review-output/*"]],
      ["s3:GetObject", ["/media/*", "/derived/*"]],
    ]);
  });

  it("names the task form's fields as the answer parser expects", () => {
    expect(template).toContain("<crowd-form>");
    expect(template).toMatch(/<video[^>]*src="[^"]*task\.input\.mediaS3Uri \| grant_read_access[^"]*task\.input\.mediaUrl/);
    for (const field of ['name="verdict"', 'name="comment"', 'name="segment-{{ segment.index }}-outcome"', 'name="segment-{{ segment.index }}-category"']) {
      expect(template).toContain(field);
    }
    for (const value of ["confirmed", "false-positive", "wrong-category", "approved", "rejected"]) {
      expect(template).toContain(`value="${value}"`);
    }
    expect(template).toContain('class="jump"');
  });

  it("reads only fields the task input has", () => {
    const input = Object.keys(ReviewTaskInput.shape);
    const segment = Object.keys(ReviewTaskInputSegment.shape);
    // Inside Liquid's {{ … }} and {% … %} only (the page's CSS and script have `.segment` too).
    const liquid = [...template.matchAll(/\{[{%]([\s\S]*?)[}%]\}/g)].map((m) => m[1]).join("\n");
    const read = (pattern: RegExp) => [...new Set([...liquid.matchAll(pattern)].map((m) => m[1]!))];
    const inputFields = read(/task\.input\.([A-Za-z0-9]+)/g);
    const segmentFields = read(/segment\.([A-Za-z0-9]+)/g);
    expect(inputFields.length).toBeGreaterThan(5);
    expect(segmentFields.length).toBeGreaterThan(5);
    for (const f of inputFields) expect(input, `task.input.${f}`).toContain(f);
    for (const f of segmentFields) expect(segment, `segment.${f}`).toContain(f);
    // The thresholds object's fields, as core's schema names them.
    for (const f of read(/task\.input\.thresholds\.([A-Za-z0-9]+)/g)) expect(["reviewMin", "flagMin"]).toContain(f);
  });
});

describe("api", () => {
  it("requires IAM authorization on every route", () => {
    const apiRoutes = resourcesOf(api, "AWS::ApiGatewayV2::Route");
    expect(apiRoutes.map((r) => r.RouteKey).sort()).toEqual(["DELETE /uploads/{mediaId}", "GET /media/{mediaId}", "GET /media/{mediaId}/report", "GET /media/{mediaId}/report.html", "POST /uploads", "POST /uploads/{mediaId}/complete", "POST /uploads/{mediaId}/parts"]);
    for (const route of apiRoutes) expect(route.AuthorizationType, route.RouteKey).toBe("AWS_IAM");
    const handlers = resourcesOf(api, "AWS::Lambda::Function").map((f) => f.Handler).filter(Boolean);
    expect(handlers).toEqual(expect.arrayContaining([HANDLERS.apiUploads, HANDLERS.apiMedia]));
  });
});

describe("permissions", () => {
  const statements = (t: Template) =>
    [...resourcesOf(t, "AWS::IAM::Policy"), ...resourcesOf(t, "AWS::IAM::Role")].flatMap((r) => [
      ...(r.PolicyDocument?.Statement ?? []),
      ...(r.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement),
    ]);

  const all = () => [storage, review, bus, pipeline, api].flatMap(statements);

  it("grants no wildcard action anywhere", () => {
    expect(all().length).toBeGreaterThan(routes.length);
    const actions = all().flatMap((s) => [s.Action].flat()).filter(Boolean) as string[];
    expect(actions.filter((a) => a === "*" || a.endsWith(":*") || a.includes("*"))).toEqual([]);
    for (const banned of ["s3:*", "rekognition:*", "dynamodb:*", "events:*", "sagemaker:*"]) expect(actions).not.toContain(banned);
    expect(all().filter((s) => s.NotAction)).toEqual([]);
    expect(all().filter((s) => s.Effect !== "Allow" && s.Effect !== undefined)).toEqual([]);
  });

  it("allows resource * only for actions that support no resource-level permission", () => {
    const anyResource = new Set([
      "rekognition:StartLabelDetection", "rekognition:GetLabelDetection",
      "rekognition:StartContentModeration", "rekognition:GetContentModeration",
      "rekognition:StartSegmentDetection", "rekognition:GetSegmentDetection",
      "transcribe:StartTranscriptionJob", "transcribe:GetTranscriptionJob",
      // Added by SST (tracing) and CDK (log retention) to every app.
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
    ]);
    const star = all().filter((s) => [s.Resource].flat().includes("*"));
    expect(star.length).toBeGreaterThan(0);
    for (const s of star) for (const action of [s.Action].flat()) expect(anyResource, action).toContain(action);
  });

  const templates = () => [storage, review, bus, pipeline, api];

  it("lets only AWS services assume the roles, and the ones that act on our behalf only for our resources", () => {
    const trusts = templates().flatMap((t) => resourcesOf(t, "AWS::IAM::Role").map((r) => ({ id: r.id, statements: r.AssumeRolePolicyDocument.Statement as any[] })));
    expect(trusts.length).toBeGreaterThan(routes.length);
    for (const { id, statements: trust } of trusts) {
      for (const s of trust) {
        expect(s, id).toMatchObject({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: expect.stringMatching(/^[a-z0-9-]+\.amazonaws\.com$/) } });
        expect(Object.keys(s.Principal), id).toEqual(["Service"]);
        // Rekognition and A2I act for the account: a condition pins them to our account/resources (confused deputy).
        if (s.Principal.Service !== "lambda.amazonaws.com") expect(s.Condition, id).toBeDefined();
      }
    }
  });

  it("opens no resource policy to everyone and lets services in only from our own resources", () => {
    const types = ["AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::Events::EventBusPolicy"];
    const policies = templates().flatMap((t) => types.flatMap((type) => resourcesOf(t, type).map((r) => ({ id: r.id, statements: (r.PolicyDocument?.Statement ?? [r.Statement]) as any[] }))));
    expect(policies.length).toBeGreaterThan(0);
    for (const { id, statements: policy } of policies) {
      for (const s of policy) {
        const everyone = s.Principal === "*" || s.Principal?.AWS === "*" || [s.Principal?.AWS].flat().includes("*");
        // "*" only in a Deny (e.g. refuse plain HTTP); an Allow names a service and is conditioned on our resource.
        if (everyone) expect(s.Effect, id).toBe("Deny");
        if (s.Effect === "Allow") {
          expect(Object.keys(s.Principal ?? {}), id).toEqual(["Service"]);
          expect(s.Condition, id).toBeDefined();
        }
      }
    }
    for (const t of templates()) {
      for (const p of resourcesOf(t, "AWS::Lambda::Permission")) {
        expect(p.Principal, p.id).toMatch(/\.amazonaws\.com$/);
        expect(p.SourceArn, `${p.id} may be invoked from any source`).toBeDefined();
      }
    }
  });

  it("keeps S3 object grants under a key prefix and attaches no managed policy beyond basic Lambda logging", () => {
    const s3 = all().filter((s) => [s.Action].flat().some((a: string) => a.startsWith("s3:")));
    expect(s3.length).toBeGreaterThan(0);
    for (const s of s3) {
      for (const resource of [s.Resource].flat()) {
        const text = typeof resource === "string" ? resource : JSON.stringify(resource);
        const objectLevel = [s.Action].flat().some((a: string) => /^s3:(Get|Put|Delete|Abort)/.test(a) && a !== "s3:PutBucketNotification");
        // Object actions end in "/<prefix>/*" (never the whole bucket "/*"); bucket actions name the bucket.
        if (objectLevel) expect(text, JSON.stringify(s.Action)).toMatch(/\/[a-z-]+\/\*"?\]?\]?\}?$/);
        else expect(text, JSON.stringify(s.Action)).not.toMatch(/\*/);
      }
    }
    const managed = templates().flatMap((t) => resourcesOf(t, "AWS::IAM::Role").flatMap((r) => r.ManagedPolicyArns ?? []));
    for (const arn of managed) expect(JSON.stringify(arn)).toMatch(/:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole"\]\]\}$/);
  });

  it("lets the stages publish only to the media bus", () => {
    const putEvents = statements(pipeline).filter((s) => [s.Action].flat().includes("events:PutEvents"));
    // One per route, plus the Rekognition completion collector and the transcribe check.
    expect(putEvents).toHaveLength(routes.length + 2);
    for (const s of putEvents) expect(s.Resource).toEqual(expect.objectContaining({ "Fn::ImportValue": expect.any(String) }));
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


describe("pipeline: frames mode (MEDIA_VISION_MODE=frames)", () => {
  // A second synthesis of the app with the mode set; the tests above are the default (video) mode.
  let frames: Template;
  beforeAll(async () => {
    process.env.MEDIA_VISION_MODE = "frames";
    process.env.MEDIA_FRAME_SAMPLE_SECONDS = "3";
    try {
      await withPrivateArtifacts(async () => {
        const config = await sstConfig.config({ stage: "test" });
        const app = new App({ mode: "deploy", name: config.name, stage: "test", region: config.region, account: "123456789012" });
        await sstConfig.stacks(app);
        await app.finish();
      });
      frames = Template.fromStack(getStack(Pipeline));
    } finally {
      delete process.env.MEDIA_VISION_MODE;
      delete process.env.MEDIA_FRAME_SAMPLE_SECONDS;
    }
  });

  const routeFunction = (t: Template, name: string) =>
    targetFunction(t, resourcesOf(t, "AWS::Events::Rule").find((r) => String(r.Name).endsWith(`-${name}`))!);
  const mb = (size: string) => Number.parseInt(size, 10);
  const seconds = (t: string) => Number.parseInt(t, 10) * (t.includes("minute") ? 60 : 1);
  const service = (a: string) => !/^(s3|dynamodb|events|sqs|xray):/.test(a);

  it("keeps the route table as the only wiring: the same rules and patterns as in video mode", () => {
    const patterns = (t: Template) => resourcesOf(t, "AWS::Events::Rule").map((r) => JSON.stringify(r.EventPattern)).sort();
    expect(patterns(frames)).toEqual(patterns(pipeline));
    expect(resourcesOf(frames, "AWS::Events::Rule")).toHaveLength(routes.length);
  });

  it.each([
    ["detect-labels", "rekognition:DetectLabels"],
    ["moderate-content", "rekognition:DetectModerationLabels"],
  ])("lets %s call only %s, on the upload it reads itself, with no video job, role or topic", (name, action) => {
    const fn = routeFunction(frames, name);
    const statements = statementsOfFunction(frames, fn);
    expect(actionsOf(statements).filter(service)).toEqual([action]);
    expect(statements.find((s) => s.Action === action).Resource).toBe("*");
    const vars = fn.Properties.Environment.Variables;
    expect(vars).toMatchObject({ VISION_MODE: "frames", FRAME_SAMPLE_SECONDS: "3", MEDIA_PIPELINE_FFMPEG: "/opt/bin/ffmpeg", MEDIA_PIPELINE_FFPROBE: "/opt/bin/ffprobe" });
    expect(Object.keys(vars)).not.toContain("REKOGNITION_TOPIC_ARN");
    // It downloads the upload and writes its document under derived/.
    const reads = statements.find((s) => s.Action === "s3:GetObject");
    expect(JSON.stringify(reads.Resource)).toContain("/media/*");
  });

  it("sizes detect-labels and moderate for a download, a decode pass and the image calls, on the ffmpeg layer", () => {
    for (const name of ["detect-labels", "moderate-content"]) {
      expect(routeFunction(frames, name).Properties, name).toMatchObject({
        MemorySize: mb(SIZES.visionFrames.memorySize),
        // Sized for this deployment's interval (3 s): the frames beside the largest upload.
        EphemeralStorage: { Size: mb(visionFramesDiskSize(3)) },
        Timeout: seconds(SIZES.visionFrames.timeout),
        Architectures: ["x86_64"],
        Layers: [expect.anything()],
      });
    }
  });

  it("leaves video mode's functions small, without the layer or the image APIs", () => {
    for (const name of ["detect-labels", "moderate-content"]) {
      const fn = routeFunction(pipeline, name);
      expect(fn.Properties.MemorySize, name).toBe(mb(SIZES.startJob.memorySize));
      expect(fn.Properties.Layers, name).toBeUndefined();
      expect(fn.Properties.Environment.Variables.VISION_MODE, name).toBeUndefined();
      expect(actionsOf(statementsOfFunction(pipeline, fn)), name).not.toContain("rekognition:DetectLabels");
      expect(actionsOf(statementsOfFunction(pipeline, fn)), name).not.toContain("rekognition:DetectModerationLabels");
    }
  });

  it("keeps the video-job collector, so jobs started before a switch of mode still complete", () => {
    expect(Object.keys(frames.findResources("AWS::SNS::Topic")).some((id) => id.startsWith("RekognitionJobsTopic"))).toBe(true);
    const fns = resourcesOf(frames, "AWS::Lambda::Function");
    expect(fns.some((f) => f.Handler === HANDLERS.rekognitionComplete)).toBe(true);
  });

  it("grants resource * only to actions without resource-level permissions, and no wildcard action", () => {
    const statements = [...resourcesOf(frames, "AWS::IAM::Policy"), ...resourcesOf(frames, "AWS::IAM::Role")].flatMap((r) => [
      ...(r.PolicyDocument?.Statement ?? []),
      ...(r.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement),
    ]);
    const anyResource = new Set([
      "rekognition:DetectLabels", "rekognition:DetectModerationLabels",
      "rekognition:StartLabelDetection", "rekognition:GetLabelDetection", "rekognition:StartContentModeration", "rekognition:GetContentModeration",
      "rekognition:StartSegmentDetection", "rekognition:GetSegmentDetection",
      "transcribe:StartTranscriptionJob", "transcribe:GetTranscriptionJob",
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
    ]);
    for (const st of statements.filter((x) => [x.Resource].flat().includes("*"))) {
      for (const action of [st.Action].flat()) expect(anyResource, action).toContain(action);
    }
    expect(statements.flatMap((x) => [x.Action].flat()).filter((a: string) => a?.includes("*"))).toEqual([]);
  });

  it("changes nothing else: every other stage has the same permissions as in video mode", () => {
    for (const name of ["probe-received-media", "extract-audio", "detect-shots", "transcribe-audio", "summarize-scenes", "request-review", "complete-analysis", "finalize-analysis"]) {
      const actions = (t: Template) => actionsOf(statementsOfFunction(t, routeFunction(t, name))).sort();
      expect(actions(frames), name).toEqual(actions(pipeline));
    }
  });
});
