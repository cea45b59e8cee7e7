import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { LambdaService } from "./lambda-service.js";
import type { Deployment } from "./provision.js";

/** API Gateway's integration timeout for HTTP APIs. */
const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * The HTTP API (API Gateway v2) stood in on loopback: each request is matched against the template's
 * route keys (`POST /uploads/{mediaId}/parts`), turned into a payload format 2.0 event and sent to
 * the route's function synchronously; the function's structured result becomes the response. IAM
 * (SigV4) and JWT authorizers are not evaluated offline: the event carries the harness's identity.
 */
export class HttpApi {
  private server?: Server;
  url = "";

  constructor(private readonly routes: Deployment["apiRoutes"], private readonly lambda: LambdaService, private readonly account: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          res.end(r.body);
        },
        (error) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "Internal Server Error", harness: (error as Error).message }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private match(method: string, path: string) {
    for (const route of this.routes) {
      const [m, pattern] = route.routeKey.split(" ");
      if (m !== method && m !== "ANY") continue;
      const names: string[] = [];
      const re = new RegExp(`^${pattern!.replace(/\{([^}+]+)\+?\}/g, (_, n: string) => (names.push(n), "([^/]+)"))}$`);
      const found = re.exec(path);
      if (found) return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1]!)])) };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage): Promise<{ statusCode: number; headers: Record<string, string>; body: Buffer | string }> {
    const url = new URL(req.url ?? "/", this.url);
    const found = this.match(req.method ?? "GET", url.pathname);
    if (!found) return { statusCode: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Not Found" }) };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const textual = /json|text|xml|form/.test(String(req.headers["content-type"] ?? "")) || !raw.length;
    const now = new Date();
    const event = {
      version: "2.0",
      routeKey: found.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)])),
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      ...(Object.keys(found.params).length ? { pathParameters: found.params } : {}),
      requestContext: {
        accountId: this.account, apiId: "harness", domainName: url.host, domainPrefix: "harness",
        http: { method: req.method, path: url.pathname, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: String(req.headers["user-agent"] ?? "") },
        requestId: randomUUID(), routeKey: found.route.routeKey, stage: "$default", time: now.toUTCString(), timeEpoch: now.getTime(),
        ...(found.route.authorizationType === "AWS_IAM"
          ? { authorizer: { iam: { accessKey: "testing", accountId: this.account, callerId: "harness", principalOrgId: null, userArn: `arn:aws:iam::${this.account}:user/harness`, userId: "harness" } } }
          : {}),
      },
      ...(raw.length ? { body: textual ? raw.toString("utf8") : raw.toString("base64") } : {}),
      isBase64Encoded: !textual,
    };
    const invoked = await Promise.race([
      this.lambda.invoke(found.route.functionArn, event),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), INTEGRATION_TIMEOUT_MS).unref()),
    ]);
    if (!invoked) return { statusCode: 503, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Service Unavailable" }) };
    if (!invoked.ok) return { statusCode: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Internal Server Error" }) };
    return toResponse(invoked.result);
  }
}

/** A Lambda result as API Gateway reads it for payload format 2.0. */
function toResponse(result: any): { statusCode: number; headers: Record<string, string>; body: Buffer | string } {
  if (result && typeof result === "object" && "statusCode" in result) {
    const headers: Record<string, string> = { ...(result.headers ?? {}) };
    if (result.cookies?.length) headers["set-cookie"] = result.cookies.join(", ");
    const body = result.body === undefined ? "" : result.isBase64Encoded ? Buffer.from(result.body, "base64") : String(result.body);
    return { statusCode: result.statusCode, headers, body };
  }
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: typeof result === "string" ? result : JSON.stringify(result) };
}
