import { z } from "zod";
import { EventValidationError } from "../errors.js";
import { catalog, EVENT_SOURCE, type AnyPipelineEvent, type DetailOf, type DetailType, type PipelineEvent } from "./catalog.js";

/** EventBridge's envelope fields, with `detail` left to the catalog entry. */
const Envelope = z.object({
  version: z.literal("0"),
  id: z.string().min(1),
  "detail-type": z.string(),
  source: z.literal(EVENT_SOURCE),
  account: z.string(),
  time: z.string().datetime({ offset: true }),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});

function issuesOf(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((i) => `${prefix}${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
}

/** True when `type` names an entry in the catalog. */
export function isDetailType(type: unknown): type is DetailType {
  return typeof type === "string" && Object.hasOwn(catalog, type);
}

/**
 * Validates a detail against its catalog schema; throws `EventValidationError` listing every issue.
 * Unknown fields are stripped so that additive changes from newer producers do not break consumers.
 */
export function validateDetail<T extends DetailType>(type: T, detail: unknown): DetailOf<T> {
  const entry = catalog[type];
  const parsed = entry.detail.safeParse(detail);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error, "detail.");
    throw new EventValidationError(`Invalid "${type}" detail: ${issues.join("; ")}`, issues, { cause: parsed.error });
  }
  return parsed.data as DetailOf<T>;
}

/**
 * Parses any raw event (a Lambda's `event`, a line of events.jsonl, an SSE message) into a typed
 * event, validated against the catalog. Use in consumers:
 * @example
 * const event = parseEvent(JSON.parse(message.data));
 * if (event["detail-type"] === "Labels Detected") console.log(event.detail.topLabels);
 */
export function parseEvent(raw: unknown): AnyPipelineEvent {
  const value = typeof raw === "string" ? safeJson(raw) : raw;
  const env = Envelope.safeParse(value);
  if (!env.success) {
    const issues = issuesOf(env.error, "");
    throw new EventValidationError(`Not a media-pipeline event: ${issues.join("; ")}`, issues, { cause: env.error });
  }
  const type = env.data["detail-type"];
  if (!isDetailType(type)) {
    throw new EventValidationError(`Unknown detail-type "${type}"`, [`detail-type: unknown "${type}"`]);
  }
  const detail = validateDetail(type, env.data.detail);
  return { ...env.data, "detail-type": type, source: EVENT_SOURCE, detail } as AnyPipelineEvent;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new EventValidationError("Event is not valid JSON", ["(root): not JSON"], { cause });
  }
}

/** Where and when an envelope is made; the runtime supplies these. */
export interface EnvelopeContext {
  id: string;
  time: Date;
  account: string;
  region: string;
  resources?: string[];
}

/** Wraps a validated detail in EventBridge's envelope. */
export function makeEvent<T extends DetailType>(type: T, detail: unknown, ctx: EnvelopeContext): PipelineEvent<T> {
  return {
    version: "0",
    id: ctx.id,
    "detail-type": type,
    source: EVENT_SOURCE,
    account: ctx.account,
    time: ctx.time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: ctx.region,
    resources: ctx.resources ?? [],
    detail: validateDetail(type, detail),
  };
}
