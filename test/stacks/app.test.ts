import { routes } from "@media-pipeline/core";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf } from "../helpers/stack-templates.js";

/*
 * Rules over every stack of the app: least privilege (no wildcard action, resource * only where AWS has
 * no resource-level permission, trust and resource policies pinned to our resources) and an alarm on
 * every dead-letter queue.
 */

let storage: Template;
let review: Template;
let bus: Template;
let pipeline: Template;
let api: Template;

beforeAll(async () => {
  ({ Storage: storage, Review: review, Bus: bus, Pipeline: pipeline, ApiStack: api } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

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
      "rekognition:StartTextDetection", "rekognition:GetTextDetection",
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
