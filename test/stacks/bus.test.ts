import { allEventJsonSchemas } from "@media-pipeline/core";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { DELIVERY } from "../../stacks/delivery.js";
import { HANDLERS } from "../../stacks/handlers.js";
import { schemaName } from "../../stacks/schema-registry.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf, targetFunction, statementsOfFunction, actionsOf } from "../helpers/stack-templates.js";

/*
 * The bus stack: the media bus and its archive, the rules that forward S3, Transcribe and A2I events
 * from the default bus, and the schema registry.
 */

let bus: Template;
/** The app with the A2I review backend (and frames mode): the rule that brings A2I's loop changes in. */
let a2iBus: Template;

beforeAll(async () => {
  ({ Bus: bus } = await appTemplates());
  ({ Bus: a2iBus } = await appTemplates("alternatives"));
}, SYNTHESIS_TIMEOUT_MS);

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

  it("forwards only our Transcribe jobs from the default bus, and, with the A2I backend only, our A2I human loops", () => {
    const rules = resourcesOf(bus, "AWS::Events::Rule");
    // The built-in review announces verdicts from its own API: nothing of SageMaker to listen to.
    expect(rules.map((r) => r.EventPattern.source[0]).sort()).toEqual(["aws.s3", "aws.transcribe"]);
    for (const rule of rules) expect(rule.EventBusName).toBe("default");
    const a2iRules = resourcesOf(a2iBus, "AWS::Events::Rule");
    expect(a2iRules.map((r) => r.EventPattern.source[0]).sort()).toEqual(["aws.s3", "aws.sagemaker", "aws.transcribe"]);

    const transcribe = rules.find((r) => r.EventPattern.source[0] === "aws.transcribe")!;
    expect(transcribe.EventPattern).toEqual({
      source: ["aws.transcribe"],
      "detail-type": ["Transcribe Job State Change"],
      // This app and stage only (test/stacks-assets.test.ts runs the pattern against other stages' jobs).
      detail: { TranscriptionJobName: [{ wildcard: "media-pipeline.test.*-transcript" }] },
    });
    const a2i = a2iRules.find((r) => r.EventPattern.source[0] === "aws.sagemaker")!;
    expect(a2i.EventPattern).toEqual({
      source: ["aws.sagemaker"],
      "detail-type": ["SageMaker A2I HumanLoop Status Change"],
      detail: {
        // Any flow definition of this app and stage, built here rather than imported (review-stack.test.ts).
        flowDefinitionArn: [{ prefix: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":sagemaker:us-east-1:123456789012:flow-definition/test-media-pipeline-review-flow-"]] } }],
      },
    });

    for (const [template, rule, handler] of [[bus, transcribe, HANDLERS.transcribeComplete], [a2iBus, a2i, HANDLERS.reviewComplete]] as const) {
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: DELIVERY.retryAttempts },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [expect.any(String), "Arn"] } },
      });
      const fn = targetFunction(template, rule);
      expect(fn.Properties.Handler).toBe(handler);
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE"]),
      );
    }
    expect(actionsOf(statementsOfFunction(bus, targetFunction(bus, transcribe)))).toContain("transcribe:GetTranscriptionJob");
    expect(targetFunction(a2iBus, a2i).Properties.Environment.Variables.FLOW_DEFINITION_ARN_PREFIX).toEqual(a2i.EventPattern.detail.flowDefinitionArn[0].prefix);
  });

  it("lets the review completion record the outcome and re-queue a failed loop on our flow definition only", () => {
    const rule = resourcesOf(a2iBus, "AWS::Events::Rule").find((r) => r.EventPattern.source[0] === "aws.sagemaker")!;
    const fn = targetFunction(a2iBus, rule);
    const vars = fn.Properties.Environment.Variables;
    expect(vars.REVIEW_MAX_ATTEMPTS).toBe("3");
    const statements = statementsOfFunction(a2iBus, fn);
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
