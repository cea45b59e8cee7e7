import { routes } from "@media-pipeline/core";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SIZES } from "../../stacks/sizing.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf, targetFunction, statementsOfFunction, actionsOf } from "../helpers/stack-templates.js";

/*
 * The pipeline's review stages: finalize-analysis on its own route, and what request-review and the
 * reports may read, write and probe in the bucket.
 */

let pipeline: Template;

beforeAll(async () => {
  ({ Pipeline: pipeline } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

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
    expect(vars.filter((v) => !v.startsWith("SST_") && !v.startsWith("AWS_"))).toEqual(["EVENT_BUS_NAME", "MEDIA_BUCKET", "STATE_TABLE", "REVIEW_MIN", "FLAG_MIN"]);
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
