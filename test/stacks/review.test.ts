import { readFileSync } from "node:fs";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ReviewTaskInput, ReviewTaskInputSegment } from "../../packages/functions/src/adapters/a2i/task-input.js";
import { REVIEW_QUEUE_INDEX, REVIEW_TABLE_KEYS } from "../../packages/functions/src/adapters/review-table/index.js";
import { TASK_TEMPLATE_PATH } from "../../stacks/review.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf, roleStatements, type Resource } from "../helpers/stack-templates.js";

/*
 * The review stack, by backend. Built-in (the default): the task table, the reviewers' user pool, its
 * group and the page's client, and nothing of A2I. A2I: the human task UI and flow definition through
 * our provider, the work team parameter, the role A2I acts with, and the task template against the
 * task input's schema.
 */

let review: Template;
let builtin: Template;

beforeAll(async () => {
  ({ Review: builtin } = await appTemplates());
  ({ Review: review } = await appTemplates("alternatives"));
}, SYNTHESIS_TIMEOUT_MS);

describe("review: the built-in backend (default)", () => {
  it("creates no A2I resource at all: no UI, no flow definition, no provider, no work team, no flow role", () => {
    const json = JSON.stringify(builtin.toJSON());
    expect(resourcesOf(builtin, "Custom::A2IHumanTaskUi")).toEqual([]);
    expect(resourcesOf(builtin, "Custom::A2IFlowDefinition")).toEqual([]);
    expect(json).not.toMatch(/sagemaker|A2I_WORKTEAM_ARN|FlowDefinition/i);
  });

  it("keeps tasks in a pay-per-request table keyed by task, with the queue index the API lists from", () => {
    const [table, ...others] = resourcesOf(builtin, "AWS::DynamoDB::Table");
    expect(others).toEqual([]);
    expect(table).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: REVIEW_TABLE_KEYS.partitionKey, KeyType: "HASH" }, { AttributeName: REVIEW_TABLE_KEYS.sortKey, KeyType: "RANGE" }],
      GlobalSecondaryIndexes: [expect.objectContaining({
        IndexName: REVIEW_QUEUE_INDEX.indexName,
        KeySchema: [{ AttributeName: REVIEW_QUEUE_INDEX.partitionKey, KeyType: "HASH" }, { AttributeName: REVIEW_QUEUE_INDEX.sortKey, KeyType: "RANGE" }],
        Projection: { ProjectionType: "ALL" },
      })],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it("creates the reviewers' user pool (invitation only), a reviewers group, and a public client for the page", () => {
    const [pool] = resourcesOf(builtin, "AWS::Cognito::UserPool");
    expect(pool).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      AliasAttributes: ["email"],
      Policies: { PasswordPolicy: expect.objectContaining({ MinimumLength: 12 }) },
    });
    const [client] = resourcesOf(builtin, "AWS::Cognito::UserPoolClient");
    expect(client).toMatchObject({ GenerateSecret: false, PreventUserExistenceErrors: "ENABLED" });
    expect(client.ExplicitAuthFlows).toEqual(expect.arrayContaining(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]));
    const [group] = resourcesOf(builtin, "AWS::Cognito::UserPoolGroup");
    expect(group).toMatchObject({ GroupName: "reviewers", UserPoolId: { Ref: pool.id } });
    const outputs = builtin.toJSON().Outputs;
    expect(outputs.ReviewerUserPoolId.Value).toEqual({ Ref: pool.id });
    expect(outputs.ReviewerUserPoolClientId.Value).toEqual({ Ref: client.id });
  });
});

describe("review: the A2I backend (MEDIA_REVIEW_BACKEND=a2i)", () => {
  it("creates no built-in review: no user pool, no task table", () => {
    expect(resourcesOf(review, "AWS::Cognito::UserPool")).toEqual([]);
    expect(resourcesOf(review, "AWS::DynamoDB::Table")).toEqual([]);
  });

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
