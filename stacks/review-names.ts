import { createHash } from "node:crypto";
import type { Stack } from "sst/constructs";
import { REVIEW_OUTPUT_PREFIX } from "./storage.js";

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
 * Part of every name's hash. The human task UI and flow definition moved from AwsCustomResource to our
 * own provider; the old resources delete their SageMaker objects by name once the new ones exist, so
 * the new ones must not share a name with them. Change it only for the same kind of reason.
 */
const NAME_SCHEME = "provider-1";

export interface ReviewNames {
  /** `<stage>-<app>-review`, lower-case, at most 36 characters. */
  prefix: string;
  /** Every human task UI of this app and stage starts so: `<prefix>-ui-`. */
  uiNamePrefix: string;
  uiName: string;
  /** Every flow definition of this app and stage starts so: `<prefix>-flow-`. */
  flowNamePrefix: string;
  flowName: string;
}

/**
 * The names of the review's SageMaker objects, known at synthesis. Both are immutable in SageMaker,
 * so a name carries a hash of everything decided at synthesis that defines its object (the UI: the
 * template; the flow definition: the UI's name, the work team, the task settings, the output prefix):
 * a change creates new ones under new names, and only the names change for the stacks that use them.
 * Pure: the same app, stage, settings and template always give the same names.
 *
 * SageMaker names: `^[a-z0-9](-*[a-z0-9])*$`, at most 63 characters; ours stay under 50.
 * @example reviewNames({ name: "media-pipeline", stage: "prod" }, { workteamArn }, template).flowName
 * // "prod-media-pipeline-review-flow-<10 hex>"
 */
export function reviewNames(app: { name: string; stage: string }, settings: { workteamArn: string }, template: string): ReviewNames {
  const prefix = `${app.stage}-${app.name}-review`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 36)
    .replace(/-+$/, "");
  const uiNamePrefix = `${prefix}-ui-`;
  const flowNamePrefix = `${prefix}-flow-`;
  const uiName = `${uiNamePrefix}${digest(NAME_SCHEME, template)}`;
  const flowName = `${flowNamePrefix}${digest(NAME_SCHEME, uiName, settings.workteamArn, JSON.stringify(REVIEW_TASK), REVIEW_OUTPUT_PREFIX)}`;
  return { prefix, uiNamePrefix, uiName, flowNamePrefix, flowName };
}

/** The flow definition's name alone (see reviewNames). */
export const flowDefinitionName = (app: { name: string; stage: string }, settings: { workteamArn: string }, template: string) =>
  reviewNames(app, settings, template).flowName;

/**
 * The current flow definition's ARN and the ARN prefix every flow definition of this app and stage
 * shares, built in the stack that uses them (`stack.formatArn`): a literal there, never a value
 * imported from the review stack, whose export could then never change.
 */
export function flowDefinitionArns(stack: Stack, names: Pick<ReviewNames, "flowName" | "flowNamePrefix">): { arn: string; arnPrefix: string } {
  const arn = (resourceName: string) => stack.formatArn({ service: "sagemaker", resource: "flow-definition", resourceName });
  return { arn: arn(names.flowName), arnPrefix: arn(names.flowNamePrefix) };
}

const digest = (...parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 10);
