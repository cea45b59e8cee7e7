import {
  CreateFlowDefinitionCommand, CreateHumanTaskUiCommand, DeleteFlowDefinitionCommand, DeleteHumanTaskUiCommand,
  DescribeFlowDefinitionCommand, DescribeHumanTaskUiCommand,
} from "@aws-sdk/client-sagemaker";
import { z } from "zod";
import { A2iResourceError, IamPropagationTimeoutError } from "./errors.js";

/**
 * The CloudFormation custom resources of the A2I review: the human task UI and the flow definition
 * (CloudFormation has no resource type for either), served by our own provider Lambda through the
 * CDK provider framework (stacks/review.ts). Their properties are the SageMaker Create… parameters,
 * plus `NamePrefix`, the start every name of this kind in this app and stage has.
 *
 * - Create: Create… , retried while SageMaker cannot yet use a role created in the same deploy (IAM is
 *   eventually consistent: CreateFlowDefinition checks that SageMaker can assume the flow role, and
 *   the provider's own iam:PassRole may not be visible yet), for a bounded time; any other error
 *   fails at once. The physical id is the name.
 * - Update: both are immutable in SageMaker and their names hash their definition, so a new name is
 *   a replacement (a Create; CloudFormation then deletes the old one). The same name with other
 *   properties cannot be applied and fails, saying so, instead of leaving the old definition in place.
 * - Delete: ignores a resource already gone, and never touches a name outside `NamePrefix`.
 * - A Create whose name already exists adopts it when it is usable (a rollback re-creating what the
 *   failed update had not deleted yet, a retried call), since the name fixes the definition.
 */

/** The one call a resource makes at a time. `SageMakerClient` satisfies it. */
export interface SageMakerSender {
  send(command: object): Promise<unknown>;
}

/** What the provider framework passes to onEvent (a CloudFormation custom resource request). */
export const CustomResourceRequest = z.looseObject({
  RequestType: z.enum(["Create", "Update", "Delete"]),
  ResourceType: z.string(),
  LogicalResourceId: z.string().optional(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.record(z.string(), z.unknown()),
  OldResourceProperties: z.record(z.string(), z.unknown()).optional(),
});
export type CustomResourceRequest = z.infer<typeof CustomResourceRequest>;

/** SageMaker's name rule for both (1–63 characters). */
const Name = z.string().regex(/^[a-z0-9](-*[a-z0-9]){0,62}$/);
// CloudFormation passes every scalar property as a string.
const Int = z.coerce.number().int().positive();

const UiProperties = z.object({
  NamePrefix: z.string().min(1),
  HumanTaskUiName: Name,
  UiTemplate: z.object({ Content: z.string().min(1) }),
});
const FlowProperties = z.object({
  NamePrefix: z.string().min(1),
  FlowDefinitionName: Name,
  RoleArn: z.string().min(1),
  HumanLoopConfig: z.object({
    WorkteamArn: z.string().min(1),
    HumanTaskUiArn: z.string().min(1),
    TaskTitle: z.string().min(1),
    TaskDescription: z.string().min(1),
    TaskKeywords: z.array(z.string()).optional(),
    TaskCount: Int,
    TaskTimeLimitInSeconds: Int.optional(),
    TaskAvailabilityLifetimeInSeconds: Int.optional(),
  }),
  OutputConfig: z.object({ S3OutputPath: z.string().min(1) }),
});

interface Kind<P> {
  label: string;
  properties: z.ZodType<P>;
  name(p: P): string;
  create(p: P): object;
  describe(name: string): object;
  /** The status field of the Describe… answer. */
  status(described: unknown): string | undefined;
  delete(name: string): object;
}

const UI: Kind<z.infer<typeof UiProperties>> = {
  label: "human task UI",
  properties: UiProperties,
  name: (p) => p.HumanTaskUiName,
  create: (p) => new CreateHumanTaskUiCommand({ HumanTaskUiName: p.HumanTaskUiName, UiTemplate: p.UiTemplate }),
  describe: (name) => new DescribeHumanTaskUiCommand({ HumanTaskUiName: name }),
  status: (d) => (d as { HumanTaskUiStatus?: string }).HumanTaskUiStatus,
  delete: (name) => new DeleteHumanTaskUiCommand({ HumanTaskUiName: name }),
};

const FLOW: Kind<z.infer<typeof FlowProperties>> = {
  label: "flow definition",
  properties: FlowProperties,
  name: (p) => p.FlowDefinitionName,
  create: (p) => new CreateFlowDefinitionCommand({
    FlowDefinitionName: p.FlowDefinitionName, RoleArn: p.RoleArn, HumanLoopConfig: p.HumanLoopConfig, OutputConfig: p.OutputConfig,
  }),
  describe: (name) => new DescribeFlowDefinitionCommand({ FlowDefinitionName: name }),
  status: (d) => (d as { FlowDefinitionStatus?: string }).FlowDefinitionStatus,
  delete: (name) => new DeleteFlowDefinitionCommand({ FlowDefinitionName: name }),
};

/** The custom resource types this provider serves. */
export const A2I_RESOURCE_TYPES = { humanTaskUi: "Custom::A2IHumanTaskUi", flowDefinition: "Custom::A2IFlowDefinition" } as const;
const KINDS: Record<string, Kind<any>> = { [A2I_RESOURCE_TYPES.humanTaskUi]: UI, [A2I_RESOURCE_TYPES.flowDefinition]: FLOW };

/**
 * How SageMaker and IAM word "the role is not usable yet". SageMaker answers CreateFlowDefinition with
 * a ValidationException ("Could not assume role …", "… is unable to assume the role …") when it cannot
 * assume a role created seconds before; the provider's own grants (iam:PassRole, the sagemaker
 * actions), created in the same deploy, may not be visible yet either (AccessDeniedException "… is not
 * authorized to perform: iam:PassRole …"). A grant that is really missing fails after the bound.
 */
const PROPAGATION_MESSAGES = [
  /could not assume (the )?role/i,
  /unable to assume (the )?role/i,
  /not authorized to assume/i,
  /cannot assume (the )?role/i,
  /is not authorized to perform: (iam:PassRole|sagemaker:[A-Za-z]+)/i,
];
const PROPAGATION_CODES = new Set(["ValidationException", "AccessDeniedException", "AccessDenied"]);

export function isIamPropagationError(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return Boolean(e && PROPAGATION_CODES.has(e.name ?? "") && PROPAGATION_MESSAGES.some((p) => p.test(e.message ?? "")));
}

const errorName = (error: unknown) => (error as { name?: string })?.name ?? "";
const describeError = (error: unknown) => `${errorName(error) || "Error"}: ${(error as Error)?.message ?? String(error)}`;
const alreadyExists = (error: unknown) =>
  errorName(error) === "ResourceInUse" || (errorName(error) === "ValidationException" && /already exists/i.test((error as Error).message));

export interface A2iResourceOptions {
  client: SageMakerSender;
  /** How long to keep retrying IAM propagation errors (default 4 minutes; the function's timeout is 5). */
  maxWaitMs?: number;
  /** First wait between attempts, doubled each time up to `maxDelayMs` (defaults 2 s and 20 s). */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** For tests: the clock and the wait. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** The part of the Lambda context used: the retries stop early enough to report before the timeout. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** Kept free at the end of the invocation to report the failure to CloudFormation. */
const REPORT_MARGIN_MS = 20_000;

/** Key-order-independent JSON, to compare property sets. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
const withoutToken = ({ ServiceToken: _, ...rest }: Record<string, unknown>) => rest;

/**
 * The provider's onEvent: Create/Update/Delete for the human task UI and the flow definition.
 * @example export const handler = createA2iResourceHandler({ client: new SageMakerClient({}) })
 */
export function createA2iResourceHandler(options: A2iResourceOptions) {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? ((message, fields) => console.info(JSON.stringify({ message, ...fields })));
  const maxWaitMs = options.maxWaitMs ?? 4 * 60_000;
  const firstDelayMs = options.firstDelayMs ?? 2_000;
  const maxDelayMs = options.maxDelayMs ?? 20_000;

  async function createOnce<P>(kind: Kind<P>, props: P, context?: RemainingTime): Promise<void> {
    const name = kind.name(props);
    const started = now();
    const deadline = Math.min(started + maxWaitMs, context ? started + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS : Infinity);
    let delay = firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await options.client.send(kind.create(props));
        return;
      } catch (error) {
        if (alreadyExists(error)) return adopt(kind, name, error);
        if (!isIamPropagationError(error)) {
          throw new A2iResourceError(`Creating the ${kind.label} ${name} failed: ${describeError(error)}`, { cause: error });
        }
        const waited = now() - started;
        if (now() + delay > deadline) {
          throw new IamPropagationTimeoutError(
            `Creating the ${kind.label} ${name}: SageMaker still could not use the role after ${Math.round(waited / 1000)} s and ${attempt} attempts ` +
              `(IAM changes normally reach it within a minute; check the role's trust policy and the provider's iam:PassRole): ${describeError(error)}`,
            { attempts: attempt, waitedMs: waited, cause: error },
          );
        }
        log("IAM not yet propagated; retrying", { resource: kind.label, name, attempt, delayMs: delay, error: describeError(error) });
        await sleep(delay);
        delay = Math.min(delay * 2, maxDelayMs);
      }
    }
  }

  async function adopt<P>(kind: Kind<P>, name: string, cause: unknown): Promise<void> {
    const status = kind.status(await options.client.send(kind.describe(name)));
    if (status === "Deleting" || status === "Failed") {
      throw new A2iResourceError(
        `A ${kind.label} named ${name} already exists in status ${status}; SageMaker frees the name only once it is gone ` +
          "(a deleted flow definition waits for tasks workers have started). Deploy again later.",
        { cause },
      );
    }
    log("adopted an existing resource of the same name (same definition)", { resource: kind.label, name, status });
  }

  return async (raw: unknown, context?: RemainingTime): Promise<{ PhysicalResourceId: string }> => {
    const request = CustomResourceRequest.parse(raw);
    const kind = KINDS[request.ResourceType];
    if (!kind) throw new A2iResourceError(`This provider serves ${Object.keys(KINDS).join(" and ")}, not ${request.ResourceType}`);

    if (request.RequestType === "Delete") {
      const name = request.PhysicalResourceId ?? "";
      const prefix = String(request.ResourceProperties.NamePrefix ?? "");
      // Not one of ours (a failed create's placeholder id, a name outside this app): nothing to delete.
      if (!prefix || !name.startsWith(prefix) || !Name.safeParse(name).success) {
        log("delete skipped: not a name of ours", { resource: kind.label, name, prefix });
        return { PhysicalResourceId: name };
      }
      try {
        await options.client.send(kind.delete(name));
      } catch (error) {
        if (errorName(error) !== "ResourceNotFound") throw new A2iResourceError(`Deleting the ${kind.label} ${name} failed: ${describeError(error)}`, { cause: error });
      }
      return { PhysicalResourceId: name };
    }

    const parsed = kind.properties.safeParse(request.ResourceProperties);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new A2iResourceError(`Invalid ${kind.label} properties: ${issues.join("; ")}`);
    }
    const props = parsed.data;
    const name = kind.name(props);
    if (!name.startsWith(String(request.ResourceProperties.NamePrefix))) {
      throw new A2iResourceError(`The ${kind.label} name ${name} does not start with its NamePrefix ${String(request.ResourceProperties.NamePrefix)}`);
    }
    if (request.RequestType === "Update" && request.PhysicalResourceId === name) {
      const before = canonical(withoutToken(request.OldResourceProperties ?? {}));
      if (before === canonical(withoutToken(request.ResourceProperties))) return { PhysicalResourceId: name };
      throw new A2iResourceError(
        `The ${kind.label} ${name} cannot change in place (SageMaker has no update for it) and its name, which must change with ` +
          "its definition, did not: change what the name hashes (stacks/review.ts), or replace it under a new name.",
      );
    }
    await createOnce(kind, props, context);
    return { PhysicalResourceId: name };
  };
}
