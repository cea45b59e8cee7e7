import { z } from "zod";
import { EventValidationError, type ObjectRef } from "@media-pipeline/core";

/**
 * "SageMaker A2I HumanLoop Status Change" on the default bus. Delivered at least once, for Completed,
 * Failed and Stopped. https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-cloudwatch-events.html
 */
export const A2iStatusChangeEvent = z.object({
  version: z.string(),
  id: z.string(),
  "detail-type": z.literal("SageMaker A2I HumanLoop Status Change"),
  source: z.literal("aws.sagemaker"),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    creationTime: z.string().optional(),
    failureCode: z.string().nullable().optional(),
    failureReason: z.string().nullable().optional(),
    flowDefinitionArn: z.string(),
    humanLoopArn: z.string(),
    humanLoopName: z.string().min(1),
    humanLoopOutput: z.object({ outputS3Uri: z.string() }).nullable().optional(),
    humanLoopStatus: z.enum(["Completed", "Failed", "Stopped"]),
  }),
});
export type A2iStatusChangeEvent = z.infer<typeof A2iStatusChangeEvent>;

export interface A2iStatus {
  humanLoopName: string;
  /** The flow definition the loop ran on: the current one, or one of ours it replaced. */
  flowDefinitionArn: string;
  humanLoopArn: string;
  status: "Completed" | "Failed" | "Stopped";
  /** When A2I reported it (the envelope's `time`): a duplicate delivery carries the same time. */
  time: string;
  /** Where the output document is (Completed). */
  outputS3Uri?: string;
  outputRef?: ObjectRef;
  failureReason?: string;
  failureCode?: string;
}

/** `s3://bucket/key` → `{ bucket, key }`, or undefined for anything else. */
export function parseS3Uri(uri: string): ObjectRef | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/**
 * Reads the status-change event of one of our human loops: a loop on any flow definition whose ARN
 * starts with `flowDefinitionArnPrefix` (`…:flow-definition/<stage>-<app>-review-flow-`), so that
 * loops still running on a flow definition a deploy replaced complete too. Returns `undefined` for a
 * loop of another flow definition (the account's other A2I users and stages share the default bus;
 * the rule filters on the same prefix, this is the second line). Throws `EventValidationError` for an
 * event that does not have the documented shape. `{ flowDefinitionArn }` accepts that one alone.
 * @example const status = parseA2iStatusEvent(event, { flowDefinitionArnPrefix })
 */
export function parseA2iStatusEvent(
  event: unknown,
  ours: { flowDefinitionArnPrefix: string } | { flowDefinitionArn: string },
): A2iStatus | undefined {
  const parsed = A2iStatusChangeEvent.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new EventValidationError(`Not an A2I HumanLoop Status Change event: ${issues.slice(0, 3).join("; ")}`, issues);
  }
  const d = parsed.data.detail;
  const isOurs = "flowDefinitionArnPrefix" in ours
    ? Boolean(ours.flowDefinitionArnPrefix) && d.flowDefinitionArn.startsWith(ours.flowDefinitionArnPrefix)
    : d.flowDefinitionArn === ours.flowDefinitionArn;
  if (!isOurs) return undefined;
  const status: A2iStatus = {
    humanLoopName: d.humanLoopName, flowDefinitionArn: d.flowDefinitionArn, humanLoopArn: d.humanLoopArn, status: d.humanLoopStatus, time: parsed.data.time,
  };
  const uri = d.humanLoopOutput?.outputS3Uri;
  if (uri) {
    status.outputS3Uri = uri;
    const ref = parseS3Uri(uri);
    if (ref) status.outputRef = ref;
  }
  if (d.failureReason) status.failureReason = d.failureReason;
  if (d.failureCode) status.failureCode = d.failureCode;
  return status;
}
