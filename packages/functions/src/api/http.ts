import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { MediaId } from "@media-pipeline/core";
import type { z } from "zod";

/** One problem with a request, named by the field it concerns (`size`, `parts[2].etag`, `mediaId`). */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * An answer other than success, thrown anywhere below a handler and turned into its response by
 * `httpHandler`. `code` is stable for clients to branch on; `message` is for people.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly FieldIssue[] = [],
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = "HttpError";
  }
}

/** 400 naming every field that is wrong, e.g. `size: must be at most 10737418240 bytes`. */
export function invalid(issues: FieldIssue[]): HttpError {
  return new HttpError(400, "invalid_request", `Invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`, issues);
}

export const notFound = (mediaId: string, what = "media") => new HttpError(404, "not_found", `No ${what} ${mediaId}`);

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers }, body: JSON.stringify(body) };
}

/** zod issues → field issues (`parts.1.etag` → `parts[1].etag`). */
function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "") || "body",
    message: issue.message,
  }));
}

/**
 * The JSON body checked against a schema. An empty body is `{}` (routes whose fields are all
 * optional accept none); API Gateway base64-encodes bodies it considers binary.
 */
export function parseBody<S extends z.ZodType>(event: ApiEvent, schema: S): z.infer<S> {
  let raw: unknown = {};
  if (event.body) {
    const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
    try {
      raw = JSON.parse(text);
    } catch {
      throw invalid([{ field: "body", message: "is not JSON" }]);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalid(fieldIssues(parsed.error));
  return parsed.data;
}

/** The `{mediaId}` path parameter, checked: a malformed id is a 400, not a lookup that finds nothing. */
export function mediaIdParam(event: ApiEvent): string {
  const parsed = MediaId.safeParse(event.pathParameters?.mediaId);
  if (!parsed.success) throw invalid([{ field: "mediaId", message: "must be a 26-character lower-case ULID" }]);
  return parsed.data;
}

/** The API's base URL as the caller reached it (custom domain or execute-api, with a named stage). */
export function baseUrl(event: ApiEvent): string {
  const { domainName, stage } = event.requestContext ?? {};
  if (!domainName) return "";
  return `https://${domainName}${stage && stage !== "$default" ? `/${stage}` : ""}`;
}

/**
 * Wraps a route: `HttpError` becomes its status and `{ error: { code, message, issues? } }` (the local server's shape too); anything else is
 * logged and answered with a 500 that leaks nothing.
 */
export function httpHandler(route: (event: ApiEvent) => Promise<ApiResult>): (event: ApiEvent) => Promise<ApiResult> {
  return async (event) => {
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof HttpError) {
        return json(error.status, { error: { code: error.code, message: error.message, ...(error.issues.length ? { issues: error.issues } : {}) } });
      }
      console.error(JSON.stringify({ message: "api route failed", route: event.routeKey, error: String((error as Error)?.stack ?? error) }));
      return json(500, { error: { code: "internal_error", message: "The request failed; try again later." } });
    }
  };
}
