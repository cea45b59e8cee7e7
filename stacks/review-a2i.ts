import { readFileSync } from "node:fs";
import path from "node:path";
import { CustomResource } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Config, Function as SstFunction, type Bucket, type Stack } from "sst/constructs";
import { useProject } from "sst/project.js";
import { passRole } from "./access.js";
import { HANDLERS } from "./handlers.js";
import { REVIEW_TASK, reviewNames, TASK_TEMPLATE_PATH } from "./review-names.js";
import type { Settings } from "./settings.js";
import { DERIVED_PREFIX, REVIEW_OUTPUT_PREFIX, UPLOAD_PREFIX } from "./storage.js";

/** The task template as deployed. */
export const readTaskTemplate = () => readFileSync(path.join(useProject().paths.root, TASK_TEMPLATE_PATH), "utf8");

/** The custom resource types of the review, served by our provider (packages/functions/src/adapters/a2i/sagemaker-resources.ts). */
export const A2I_RESOURCE_TYPES = { humanTaskUi: "Custom::A2IHumanTaskUi", flowDefinition: "Custom::A2IFlowDefinition" } as const;

/**
 * Amazon A2I for video moderation. Rekognition's built-in A2I integration covers images only, so the
 * review is a custom task type: a human task UI (our Liquid template) and a flow definition naming the
 * work team, the UI and the output path. CloudFormation has no resource for either, hence custom
 * resources, served by our own provider Lambda: SageMaker refuses CreateFlowDefinition while it
 * cannot yet assume the flow role created moments before in the same deploy, and the provider retries
 * that (and only that) for a bounded time, so that a first deploy does not fail on IAM propagation.
 *
 * Both are immutable in SageMaker, so their names carry a hash of what defines them (review-names.ts):
 * a changed template or work team creates a new UI and flow definition, and CloudFormation deletes the
 * old ones once the new ones exist (a custom resource returning a new physical id is a replacement).
 * The names are known at synthesis, so the stacks that use the flow definition build its ARN
 * themselves: nothing here is exported to them, and nothing blocks an update.
 */
export function a2iReview(stack: Stack, app: { name: string; stage: string }, bucket: Bucket, settings: Settings) {
  // An SST parameter so that functions and operators can read it (`sst bind`, SSM); its value is set
  // at synthesis from A2I_WORKTEAM_ARN.
  const workteam = new Config.Parameter(stack, "A2I_WORKTEAM_ARN", { value: settings.workteamArn });

  const template = readTaskTemplate();
  const names = reviewNames(app, settings, template);
  const arn = (type: string, name: string) =>
    stack.formatArn({ service: "sagemaker", resource: type, resourceName: name });

  // The role A2I assumes to write reviewers' answers, and to presign the media and keyframes (under
  // derived/) for the task when its input carries s3:// URIs (the template's `grant_read_access`).
  const flowRole = new Role(stack, "FlowDefinitionRole", {
    assumedBy: new ServicePrincipal("sagemaker.amazonaws.com", {
      conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
    }),
    description: "Amazon A2I: write review output, read the media under review",
  });
  flowRole.addToPolicy(
    new PolicyStatement({ actions: ["s3:PutObject"], resources: [`${bucket.bucketArn}/${REVIEW_OUTPUT_PREFIX}*`] }),
  );
  flowRole.addToPolicy(
    new PolicyStatement({
      actions: ["s3:GetObject"],
      resources: [`${bucket.bucketArn}/${UPLOAD_PREFIX}*`, `${bucket.bucketArn}/${DERIVED_PREFIX}*`],
    }),
  );

  // The provider: creates, replaces and deletes only this app's and stage's UIs and flow definitions,
  // and passes only the flow role, only to SageMaker.
  const onEvent = new SstFunction(stack, "A2iResourceProvider", {
    handler: HANDLERS.a2iResource,
    description: "Custom resources of the A2I review (human task UI, flow definition), IAM propagation retried",
    // Retries IAM propagation for up to 4 minutes, then reports; the provider framework waits up to 15.
    memorySize: "256 MB",
    timeout: "5 minutes",
    permissions: [
      new PolicyStatement({
        actions: ["sagemaker:CreateHumanTaskUi", "sagemaker:DeleteHumanTaskUi", "sagemaker:DescribeHumanTaskUi"],
        resources: [arn("human-task-ui", `${names.uiNamePrefix}*`)],
      }),
      new PolicyStatement({
        actions: ["sagemaker:CreateFlowDefinition", "sagemaker:DeleteFlowDefinition", "sagemaker:DescribeFlowDefinition"],
        resources: [arn("flow-definition", `${names.flowNamePrefix}*`)],
      }),
      passRole(flowRole, "sagemaker.amazonaws.com"),
    ],
  });
  const provider = new Provider(stack, "A2iResources", { onEventHandler: onEvent });

  const taskUi = new CustomResource(stack, "HumanTaskUi", {
    serviceToken: provider.serviceToken,
    resourceType: A2I_RESOURCE_TYPES.humanTaskUi,
    properties: { NamePrefix: names.uiNamePrefix, HumanTaskUiName: names.uiName, UiTemplate: { Content: template } },
  });
  const humanTaskUiArn = arn("human-task-ui", names.uiName);

  // Properties: CreateFlowDefinition's parameters, as the provider passes them on.
  const flow = new CustomResource(stack, "FlowDefinition", {
    serviceToken: provider.serviceToken,
    resourceType: A2I_RESOURCE_TYPES.flowDefinition,
    properties: {
      NamePrefix: names.flowNamePrefix,
      FlowDefinitionName: names.flowName,
      RoleArn: flowRole.roleArn,
      HumanLoopConfig: {
        WorkteamArn: workteam.value,
        HumanTaskUiArn: humanTaskUiArn,
        TaskTitle: REVIEW_TASK.title,
        TaskDescription: REVIEW_TASK.description,
        TaskKeywords: REVIEW_TASK.keywords,
        TaskCount: REVIEW_TASK.count,
        TaskTimeLimitInSeconds: REVIEW_TASK.timeLimitSeconds,
        TaskAvailabilityLifetimeInSeconds: REVIEW_TASK.availabilitySeconds,
      },
      OutputConfig: { S3OutputPath: `s3://${bucket.bucketName}/${REVIEW_OUTPUT_PREFIX}` },
    },
  });
  // The UI by name (not an attribute), so the order is explicit; the role with its policy, which
  // CreateFlowDefinition checks SageMaker can assume.
  flow.node.addDependency(taskUi);
  flow.node.addDependency(flowRole);

  // Plain outputs for operators; consumers build the ARN themselves (flowDefinitionArns).
  stack.addOutputs({ FlowDefinitionArn: arn("flow-definition", names.flowName), HumanTaskUiArn: humanTaskUiArn });
  return { workteam, names };
}
