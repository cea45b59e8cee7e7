import { PolicyStatement, type IRole } from "aws-cdk-lib/aws-iam";
import type { Stack } from "sst/constructs";

/**
 * IAM statements for the AWS services the stages call, one builder per service, exact actions only.
 * Kept apart from the stacks so that every grant of a service reads the same wherever it is used.
 */

/** The Rekognition video analyses the pipeline runs: labels, moderation, shot segments for detect-shots, and text. */
export type RekognitionJob = "labels" | "moderation" | "segments" | "text";

const REKOGNITION_ACTIONS: Record<RekognitionJob, { start: string; get: string }> = {
  labels: { start: "rekognition:StartLabelDetection", get: "rekognition:GetLabelDetection" },
  moderation: { start: "rekognition:StartContentModeration", get: "rekognition:GetContentModeration" },
  segments: { start: "rekognition:StartSegmentDetection", get: "rekognition:GetSegmentDetection" },
  text: { start: "rekognition:StartTextDetection", get: "rekognition:GetTextDetection" },
};

/**
 * Rekognition video: the Start… and Get… operations support no resource-level permissions, so the resource
 * must be "*"; the actions are the only scope. Starting a job also passes the role Rekognition assumes to
 * publish its completion to SNS, and only to Rekognition.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
 */
export function rekognitionAccess(
  jobs: readonly RekognitionJob[],
  ops: { start: boolean; get: boolean },
  publisherRole: IRole,
): PolicyStatement[] {
  const actions = jobs.flatMap((job) => [
    ...(ops.start ? [REKOGNITION_ACTIONS[job].start] : []),
    ...(ops.get ? [REKOGNITION_ACTIONS[job].get] : []),
  ]);
  return [
    new PolicyStatement({ actions, resources: ["*"] }),
    ...(ops.start ? [passRole(publisherRole, "rekognition.amazonaws.com")] : []),
  ];
}

/**
 * Rekognition Image on frames mode's sampled frames (bytes in the request, no S3 access by Rekognition).
 * DetectLabels has no resource type; DetectModerationLabels has one only for a custom adapter
 * (project version), which the pipeline does not use: so "*", with the actions as the only scope.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
 */
export function rekognitionImageAccess(apis: ReadonlyArray<"labels" | "moderation" | "text">): PolicyStatement {
  const actions = { labels: "rekognition:DetectLabels", moderation: "rekognition:DetectModerationLabels", text: "rekognition:DetectText" } as const;
  return new PolicyStatement({ actions: apis.map((api) => actions[api]), resources: ["*"] });
}

/**
 * Transcribe batch jobs. Transcribe reads the audio and writes the transcript with the caller's
 * credentials, so the caller also needs s3:GetObject/s3:PutObject on those keys (granted per stage).
 */
export function transcribeAccess(ops: { start: boolean; get: boolean }): PolicyStatement {
  return new PolicyStatement({
    actions: [
      ...(ops.start ? ["transcribe:StartTranscriptionJob"] : []),
      ...(ops.get ? ["transcribe:GetTranscriptionJob"] : []),
    ],
    resources: ["*"],
  });
}

/**
 * Bedrock Converse is authorized as bedrock:InvokeModel on the model. A cross-region inference
 * profile (`us.…`, `eu.…`, `apac.…`, `global.…`) needs the profile and the foundation model in every
 * region the profile routes to.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
 */
export function bedrockAccess(stack: Stack, modelId: string): PolicyStatement {
  const profile = /^(us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/.exec(modelId);
  const resources = profile
    ? [
        `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`,
        `arn:${stack.partition}:bedrock:*::foundation-model/${profile[2]}`,
      ]
    : [`arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${modelId}`];
  return new PolicyStatement({ actions: ["bedrock:InvokeModel"], resources });
}

/**
 * Amazon A2I: start a human loop on our flow definition only. A repeated start under the same
 * `HumanLoopName` fails with a conflict, which the adapter treats as "already open". Granted to
 * request-review (the first loop) and to the review completion (a re-queued loop).
 */
export function humanLoopAccess(flowDefinitionArn: string): PolicyStatement {
  return new PolicyStatement({ actions: ["sagemaker:StartHumanLoop"], resources: [flowDefinitionArn] });
}

/** iam:PassRole for one role, to one service. */
export function passRole(role: IRole, service: string): PolicyStatement {
  return new PolicyStatement({
    actions: ["iam:PassRole"],
    resources: [role.roleArn],
    conditions: { StringEquals: { "iam:PassedToService": service } },
  });
}

/** sqs:SendMessage on one queue (the transcribe stage's delayed check). */
export function queueSendAccess(queueArn: string): PolicyStatement {
  return new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queueArn] });
}

/** events:PutEvents on one bus (`bind` would grant events:*). */
export function publishAccess(eventBusArn: string): PolicyStatement {
  return new PolicyStatement({ actions: ["events:PutEvents"], resources: [eventBusArn] });
}

/**
 * (mediaId, stage) progress with conditional writes (`bind` would grant dynamodb:*). Pushing onto the
 * Rekognition start backlog in the same table is a PutItem, covered; releasing from it (`release`, the
 * Rekognition completion collector only) also takes items with a conditional DeleteItem.
 */
export function stateAccess(tableArn: string, ops: { release?: boolean } = {}): PolicyStatement {
  return new PolicyStatement({
    actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", ...(ops.release ? ["dynamodb:DeleteItem"] : [])],
    resources: [tableArn],
  });
}

/**
 * Object reads and writes under key prefixes of one bucket (`bind` would grant s3:*).
 *
 * `probe`: the function asks whether a document exists (the blob store's `size`, a HeadObject), for
 * example the review outcome, which most media never have. S3 answers a HEAD on a missing key with
 * 404 only to a caller that may list the bucket, and with 403 otherwise, which the blob store must
 * treat as an error. So such a function also gets s3:ListBucket, on the bucket alone: it names keys,
 * it reads nothing. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */
export function objectAccess(
  bucketArn: string,
  access: { read?: readonly string[]; write?: readonly string[]; probe?: boolean },
): PolicyStatement[] {
  const under = (prefixes: readonly string[] = []) => prefixes.map((prefix) => `${bucketArn}/${prefix}*`);
  return [
    ...(access.read?.length ? [new PolicyStatement({ actions: ["s3:GetObject"], resources: under(access.read) })] : []),
    ...(access.write?.length ? [new PolicyStatement({ actions: ["s3:PutObject"], resources: under(access.write) })] : []),
    ...(access.probe ? [new PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucketArn] })] : []),
  ];
}
