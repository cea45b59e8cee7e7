import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { compilePattern } from "@media-pipeline/core";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject, useProject } from "sst/project.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sstConfig from "../sst.config.js";
import { A2I_RESOURCE_TYPES as PROVIDED_TYPES } from "../packages/functions/src/adapters/a2i/sagemaker-resources.js";
import { Bus } from "../stacks/bus.js";
import { HANDLERS } from "../stacks/handlers.js";
import { Pipeline } from "../stacks/pipeline.js";
import { A2I_RESOURCE_TYPES, flowDefinitionName, Review, reviewNames, TASK_TEMPLATE_PATH } from "../stacks/review.js";

/*
 * The review stack must stay updatable: a new task template or work team replaces the flow definition
 * under a new name, and CloudFormation refuses to change an export another stack imports. So the
 * consumers (Bus, Pipeline) build the flow definition's ARN from its name, known at synthesis, and
 * loops still running on the replaced flow definition are still delivered. Offline synthesis as in
 * helpers/stack-templates.ts, twice: with the default work team and with another one.
 */
process.env.NODE_ENV = "test";

type Json = Record<string, any>;
interface Synthesized { review: Json; bus: Json; pipeline: Json; reviewStackName: string }

const OTHER_TEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/night-shift";

async function synthesize(env: Record<string, string | undefined>): Promise<Synthesized> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  try {
    const config = await sstConfig.config({ stage: "test" });
    const app = new App({ mode: "deploy", name: config.name, stage: "test", region: config.region, account: "123456789012" });
    await sstConfig.stacks(app);
    await app.finish();
    const json = (stack: Parameters<typeof getStack>[0]) => Template.fromStack(getStack(stack)).toJSON();
    return { review: json(Review), bus: json(Bus), pipeline: json(Pipeline), reviewStackName: getStack(Review).stackName };
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
}

let base: Synthesized;
let otherTeam: Synthesized;
let artifacts: string;
beforeAll(async () => {
  await initProject({ stage: "test" });
  // SST bundles each function into .sst/artifacts/<function>, which the other synthesizing test files
  // clear and rebuild too: a directory of our own keeps parallel test files out of each other's way.
  artifacts = await mkdtemp(path.join(os.tmpdir(), "mp-review-stack-"));
  useProject().paths.artifacts = artifacts;
  base = await synthesize({ A2I_WORKTEAM_ARN: undefined, MEDIA_REVIEW_BACKEND: "a2i" });
  otherTeam = await synthesize({ A2I_WORKTEAM_ARN: OTHER_TEAM, MEDIA_REVIEW_BACKEND: "a2i" });
}, 900_000);
afterAll(async () => {
  if (artifacts) await rm(artifacts, { recursive: true, force: true });
});

const resources = (t: Json, type: string) => Object.entries(t.Resources as Json).filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, ...r }));
/** Every value of `key` anywhere in `value`. */
function collect(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((v) => collect(v, key, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) k === key ? out.push(v) : collect(v, key, out);
  }
  return out;
}
/** CloudFormation's Fn::Join and Ref AWS::Partition, the only intrinsics in the ARNs built here. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === "object") {
    const v = value as Json;
    if ("Fn::Join" in v) return (resolve(v["Fn::Join"][1]) as unknown[]).join(v["Fn::Join"][0]);
    if (v.Ref === "AWS::Partition") return "aws";
    if (Object.keys(v).some((k) => k === "Ref" || k.startsWith("Fn::"))) throw new Error(`unresolved ${JSON.stringify(v)}`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  }
  return value;
}
/** JSON paths where two templates differ (short, unlike a diff of two whole templates). */
function differences(a: unknown, b: unknown, at = "$", out: string[] = []): string[] {
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences((a as Json)[k], (b as Json)[k], `${at}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${at}: ${JSON.stringify(a)?.slice(0, 120)} → ${JSON.stringify(b)?.slice(0, 120)}`);
  return out;
}
const flowOf = (s: Synthesized) => resources(s.review, "Custom::A2IFlowDefinition")[0]!.Properties as Json;
const reviewRule = (s: Synthesized) => resources(s.bus, "AWS::Events::Rule").find((r) => r.Properties.EventPattern.source[0] === "aws.sagemaker")!;

/** A2I's status change (aws-events.md) for a loop on flow definition `flowDefinitionArn`. */
const statusChange = (flowDefinitionArn: string) => ({
  version: "0", id: "1", "detail-type": "SageMaker A2I HumanLoop Status Change", source: "aws.sagemaker", account: "123456789012",
  time: "2026-11-20T11:00:00Z", region: "us-east-1", resources: [],
  detail: { flowDefinitionArn, humanLoopName: "01jd8x7k2m4n6p8q0r2s4t6v8w-review", humanLoopStatus: "Completed" },
});

describe("review stack: consumers build the flow definition ARN", () => {
  it("leaves nothing for Bus and Pipeline to import from the review stack", () => {
    for (const consumer of [base.bus, base.pipeline]) {
      const imports = collect(consumer, "Fn::ImportValue").map((v) => JSON.stringify(v));
      expect(imports.length).toBeGreaterThan(0); // they do import from Storage
      expect(imports.filter((name) => name.includes(base.reviewStackName))).toEqual([]);
    }
    // And the review stack exports nothing at all, so no later stack can pin it either.
    expect(Object.values(base.review.Outputs ?? {}).filter((o: any) => o.Export)).toEqual([]);
  });

  it("gives a changed work team a new flow definition name, and changes the consumers only in that literal ARN", () => {
    const before = flowOf(base).FlowDefinitionName as string;
    const after = flowOf(otherTeam).FlowDefinitionName as string;
    expect(before).toMatch(/^test-media-pipeline-review-flow-[0-9a-f]{10}$/);
    expect(after).toMatch(/^test-media-pipeline-review-flow-[0-9a-f]{10}$/);
    expect(after).not.toBe(before);
    expect(flowOf(otherTeam).HumanLoopConfig.WorkteamArn).toBe(OTHER_TEAM);

    for (const consumer of ["bus", "pipeline"] as const) {
      const a = JSON.stringify(base[consumer]);
      const b = JSON.stringify(otherTeam[consumer]);
      expect(a).toContain(`:flow-definition/${before}`);
      expect(b).toContain(`:flow-definition/${after}`);
      expect(b).not.toBe(a);
      // Nothing else differs: the flow definition is the literal name inside an ARN built in the stack.
      expect(differences(JSON.parse(a.replaceAll(before, after)), otherTeam[consumer])).toEqual([]);
    }
  });

  it("names the flow definition with a pure function of app, stage, work team and template", () => {
    const template = readFileSync(TASK_TEMPLATE_PATH, "utf8");
    const app = { name: "media-pipeline", stage: "test" };
    const team = { workteamArn: "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/media-reviewers" };
    expect(flowDefinitionName(app, team, template)).toBe(flowOf(base).FlowDefinitionName);
    expect(flowDefinitionName(app, { workteamArn: OTHER_TEAM }, template)).toBe(flowOf(otherTeam).FlowDefinitionName);
    // A changed template: a new UI, hence a new flow definition; same prefixes, so old loops still match.
    const changed = reviewNames(app, team, `${template}\n<!-- changed -->`);
    const current = reviewNames(app, team, template);
    expect(changed.uiName).not.toBe(current.uiName);
    expect(changed.flowName).not.toBe(current.flowName);
    expect(changed.flowNamePrefix).toBe(current.flowNamePrefix);
    expect(changed.flowName.startsWith(current.flowNamePrefix)).toBe(true);
    expect(reviewNames({ ...app, stage: "prod" }, team, template).flowNamePrefix).toBe("prod-media-pipeline-review-flow-");
  });
});

describe("review stack: loops on a replaced flow definition are still delivered", () => {
  it("forwards status changes of any flow definition of ours, and no one else's", () => {
    const rule = reviewRule(base);
    const pattern = compilePattern(resolve(rule.Properties.EventPattern));
    const ours = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/test-media-pipeline-review-flow-";
    expect(pattern.match(statusChange(`arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${flowOf(base).FlowDefinitionName}`))).toBe(true);
    // An older flow definition of ours, replaced by a deploy while its loops run.
    expect(pattern.match(statusChange(`${ours}0123456789`))).toBe(true);
    expect(pattern.match(statusChange(`arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${flowOf(otherTeam).FlowDefinitionName}`))).toBe(true);
    // Another app, another stage, another account or region.
    for (const theirs of [
      "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/test-other-app-review-flow-0123456789",
      "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/prod-media-pipeline-review-flow-0123456789",
      "arn:aws:sagemaker:us-east-1:210987654321:flow-definition/test-media-pipeline-review-flow-0123456789",
      "arn:aws:sagemaker:eu-west-1:123456789012:flow-definition/test-media-pipeline-review-flow-0123456789",
    ]) expect(pattern.match(statusChange(theirs)), theirs).toBe(false);
  });

  it("tells the completion the current flow definition and the prefix of ours", () => {
    const rule = reviewRule(base);
    const fn = base.bus.Resources[rule.Properties.Targets[0].Arn["Fn::GetAtt"][0]].Properties;
    const { FLOW_DEFINITION_ARN, FLOW_DEFINITION_ARN_PREFIX } = fn.Environment.Variables;
    const vars = resolve({ FLOW_DEFINITION_ARN, FLOW_DEFINITION_ARN_PREFIX }) as Json;
    const current = `arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${flowOf(base).FlowDefinitionName}`;
    expect(vars.FLOW_DEFINITION_ARN).toBe(current);
    expect(vars.FLOW_DEFINITION_ARN_PREFIX).toBe("arn:aws:sagemaker:us-east-1:123456789012:flow-definition/test-media-pipeline-review-flow-");
    expect(resolve(rule.Properties.EventPattern.detail.flowDefinitionArn)).toEqual([{ prefix: vars.FLOW_DEFINITION_ARN_PREFIX }]);
  });
});

describe("review stack: our own provider creates the UI and flow definition", () => {
  const provider = (s: Synthesized) => {
    const [custom] = resources(s.review, "Custom::A2IFlowDefinition");
    const frameworkId = custom!.Properties.ServiceToken["Fn::GetAtt"][0];
    const framework = s.review.Resources[frameworkId];
    const onEventId = framework.Properties.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN["Fn::GetAtt"][0];
    return { custom: custom!, framework, onEventId, onEvent: s.review.Resources[onEventId] };
  };
  const statementsOf = (t: Json, roleId: string) =>
    resources(t, "AWS::IAM::Policy").filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);

  it("serves both custom resources with the provider Lambda, no AwsCustomResource left", () => {
    const { custom, framework, onEvent } = provider(base);
    expect(PROVIDED_TYPES).toEqual(A2I_RESOURCE_TYPES);
    expect(framework.Type).toBe("AWS::Lambda::Function");
    expect(onEvent.Properties.Handler).toBe(HANDLERS.a2iResource);
    // Up to 4 minutes of IAM-propagation retries, then the report.
    expect(onEvent.Properties.Timeout).toBe(300);
    const [ui] = resources(base.review, "Custom::A2IHumanTaskUi");
    expect(ui!.Properties.ServiceToken).toEqual(custom.Properties.ServiceToken);
    expect(ui!.Properties).toMatchObject({ NamePrefix: "test-media-pipeline-review-ui-", UiTemplate: { Content: readFileSync(TASK_TEMPLATE_PATH, "utf8") } });
    expect(custom.Properties).toMatchObject({
      NamePrefix: "test-media-pipeline-review-flow-",
      RoleArn: { "Fn::GetAtt": [expect.stringMatching(/^FlowDefinitionRole/), "Arn"] },
      HumanLoopConfig: { TaskCount: 1, HumanTaskUiArn: expect.anything() },
    });
    expect(resolve(custom.Properties.HumanLoopConfig.HumanTaskUiArn)).toBe(`arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/${ui!.Properties.HumanTaskUiName}`);
    // Created after the UI it names and the role (with its policy) SageMaker must be able to assume.
    expect(custom.DependsOn).toEqual(expect.arrayContaining([ui!.id, expect.stringMatching(/^FlowDefinitionRole/), expect.stringMatching(/^FlowDefinitionRoleDefaultPolicy/)]));
    expect(JSON.stringify(base.review)).not.toContain("AWS679f53fac002430cb0da5b7982bd2287");
  });

  it("lets the provider create and delete only our UIs and flow definitions, and pass only the flow role to SageMaker", () => {
    const { onEvent, framework } = provider(base);
    const statements = statementsOf(base.review, onEvent.Properties.Role["Fn::GetAtt"][0])
      .filter((s: Json) => ![s.Action].flat().every((a: string) => a.startsWith("xray:")));
    expect(statements.map((s: Json) => ({ ...s, Resource: s.Resource["Fn::GetAtt"] ? s.Resource : resolve(s.Resource) }))).toEqual([
      {
        Effect: "Allow", Action: ["sagemaker:CreateHumanTaskUi", "sagemaker:DeleteHumanTaskUi", "sagemaker:DescribeHumanTaskUi"],
        Resource: "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/test-media-pipeline-review-ui-*",
      },
      {
        Effect: "Allow", Action: ["sagemaker:CreateFlowDefinition", "sagemaker:DeleteFlowDefinition", "sagemaker:DescribeFlowDefinition"],
        Resource: "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/test-media-pipeline-review-flow-*",
      },
      {
        Effect: "Allow", Action: "iam:PassRole", Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^FlowDefinitionRole/), "Arn"] },
      },
    ]);
    // The framework may only invoke our onEvent function.
    const frameworkStatements = statementsOf(base.review, framework.Properties.Role["Fn::GetAtt"][0]);
    for (const s of frameworkStatements) {
      expect([s.Action].flat().every((a: string) => a.startsWith("lambda:")), JSON.stringify(s)).toBe(true);
      expect(JSON.stringify(s.Resource)).toContain(provider(base).onEventId);
    }
  });
});
