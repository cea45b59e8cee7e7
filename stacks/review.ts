import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  PhysicalResourceId,
  PhysicalResourceIdReference,
  type AwsSdkCall,
} from "aws-cdk-lib/custom-resources";
import { Config, use, type App, type StackContext } from "sst/constructs";
import { useProject } from "sst/project.js";
import { passRole } from "./access.js";
import { readSettings } from "./settings.js";
import { DERIVED_PREFIX, REVIEW_OUTPUT_PREFIX, Storage, UPLOAD_PREFIX } from "./storage.js";

/** The task template, relative to the project root (the bundled config runs from elsewhere). */
export const TASK_TEMPLATE_PATH = "stacks/review/task.liquid.html";

/** What a reviewer is given; the flow definition fixes these for every loop. */
export const REVIEW_TASK = {
  title: "Review flagged video segments",
  description: "Watch each flagged segment, confirm or correct the model, then approve or reject the video.",
  keywords: ["video", "moderation", "review"],
  /** One reviewer per video: the verdict overrides the model, a second opinion can be a new loop. */
  count: 1,
  /** How long one reviewer may keep the task open. */
  timeLimitSeconds: 3600,
  /** How long the task waits for a reviewer before the loop fails (private work teams allow days). */
  availabilitySeconds: 3 * 24 * 3600,
} as const;

/**
 * Amazon A2I for video moderation. Rekognition's built-in A2I integration covers images only, so the
 * review is a custom task type: a human task UI (our Liquid template) and a flow definition naming the
 * work team, the UI and the output path. CloudFormation has no resource for either, hence
 * `AwsCustomResource` calls to SageMaker.
 *
 * Both are immutable in SageMaker, so their names carry a hash of what defines them: a changed
 * template creates a new UI and a new flow definition, and CloudFormation deletes the old ones once
 * the new ones exist (a custom resource returning a new physical id is a replacement).
 */
export function Review({ stack, app }: StackContext) {
  const { bucket } = use(Storage);
  const settings = readSettings(stack);

  // An SST parameter so that functions and operators can read it (`sst bind`, SSM); its value is set
  // at synthesis from A2I_WORKTEAM_ARN.
  const workteam = new Config.Parameter(stack, "A2I_WORKTEAM_ARN", { value: settings.workteamArn });

  const template = readFileSync(path.join(useProject().paths.root, TASK_TEMPLATE_PATH), "utf8");
  const prefix = namePrefix(app);
  const uiName = `${prefix}-ui-${digest(template)}`;
  const flowName = `${prefix}-flow-${digest(uiName, settings.workteamArn, JSON.stringify(REVIEW_TASK), REVIEW_OUTPUT_PREFIX)}`;
  const arn = (type: string, name: string) =>
    stack.formatArn({ service: "sagemaker", resource: type, resourceName: name });

  const createUi: AwsSdkCall = {
    service: "SageMaker",
    action: "CreateHumanTaskUi",
    parameters: { HumanTaskUiName: uiName, UiTemplate: { Content: template } },
    physicalResourceId: PhysicalResourceId.of(uiName),
  };
  const taskUi = new AwsCustomResource(stack, "HumanTaskUi", {
    resourceType: "Custom::A2IHumanTaskUi",
    onCreate: createUi,
    onUpdate: createUi,
    onDelete: {
      service: "SageMaker",
      action: "DeleteHumanTaskUi",
      parameters: { HumanTaskUiName: new PhysicalResourceIdReference() },
      ignoreErrorCodesMatching: "ResourceNotFound",
    },
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [arn("human-task-ui", `${prefix}-ui-*`)] }),
    // The SDK in the Lambda runtime has both calls; installing the latest would need npm at deploy time.
    installLatestAwsSdk: false,
  });
  const humanTaskUiArn = taskUi.getResponseField("HumanTaskUiArn");

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

  const createFlow: AwsSdkCall = {
    service: "SageMaker",
    action: "CreateFlowDefinition",
    parameters: {
      FlowDefinitionName: flowName,
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
    physicalResourceId: PhysicalResourceId.of(flowName),
  };
  const flowArns = arn("flow-definition", `${prefix}-flow-*`);
  const flow = new AwsCustomResource(stack, "FlowDefinition", {
    resourceType: "Custom::A2IFlowDefinition",
    onCreate: createFlow,
    onUpdate: createFlow,
    onDelete: {
      service: "SageMaker",
      action: "DeleteFlowDefinition",
      parameters: { FlowDefinitionName: new PhysicalResourceIdReference() },
      ignoreErrorCodesMatching: "ResourceNotFound",
    },
    policy: AwsCustomResourcePolicy.fromStatements([
      new PolicyStatement({
        actions: ["sagemaker:CreateFlowDefinition", "sagemaker:DeleteFlowDefinition"],
        resources: [flowArns],
      }),
      passRole(flowRole, "sagemaker.amazonaws.com"),
    ]),
    installLatestAwsSdk: false,
  });
  // CreateFlowDefinition checks that SageMaker can assume the role with its policy in place.
  flow.node.addDependency(flowRole);
  const flowDefinitionArn = flow.getResponseField("FlowDefinitionArn");

  stack.addOutputs({ FlowDefinitionArn: flowDefinitionArn, HumanTaskUiArn: humanTaskUiArn });
  return { flowDefinitionArn, workteam };
}

/** SageMaker names: `^[a-z0-9](-*[a-z0-9])*$`, at most 63 characters; ours stay under 50. */
function namePrefix(app: App): string {
  return `${app.stage}-${app.name}-review`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 36)
    .replace(/-+$/, "");
}

const digest = (...parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 10);
