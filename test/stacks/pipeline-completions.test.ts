import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { HANDLERS } from "../../stacks/handlers.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf, resourceOf, targetFunction, roleStatements, statementsOfFunction, actionsOf, type Resource } from "../helpers/stack-templates.js";

/*
 * How the pipeline hears that a cloud job finished: Rekognition's SNS completion and its collector, and
 * the queue that checks on Transcribe jobs.
 */

let pipeline: Template;

beforeAll(async () => {
  ({ Pipeline: pipeline } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

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
    // Collects every kind, and starts whichever kind a completion releases from the backlog.
    expect(actionsOf(statementsOfFunction(pipeline, fn)).filter((a) => !/^(s3|dynamodb|events|sqs|xray):/.test(a)).sort()).toEqual([
      "iam:PassRole",
      "rekognition:GetContentModeration",
      "rekognition:GetLabelDetection",
      "rekognition:GetSegmentDetection",
      "rekognition:GetTextDetection",
      "rekognition:StartContentModeration",
      "rekognition:StartLabelDetection",
      "rekognition:StartSegmentDetection",
      "rekognition:StartTextDetection",
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
