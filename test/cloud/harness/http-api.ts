import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JwtAuthorizers } from "./jwt-authorizer.js";
import type { LambdaService } from "./lambda-service.js";
import type { ApiRoute } from "./provision.js";
import { verifySigV4, type AwsCredentials } from "./sigv4.js";

/** API Gateway's integration timeout for HTTP APIs. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export interface HttpApiOptions {
  account: string;
  region: string;
  /**
   * The credentials whose SigV4 signatures the IAM routes accept: those the harness hands its callers
   * and its functions (moto's "testing" ones). Anything else is an unknown key to API Gateway.
   */
  credentials: AwsCredentials[];
  /** moto's endpoint: it serves the JWKS of its Cognito user pools, the issuers of JWT authorizers. */
  motoEndpoint: string;
}

type ApiResponse = { statusCode: number; headers: Record<string, string>; body: Buffer | string };

/**
 * The HTTP API (API Gateway v2) stood in on loopback: each request is matched against the template's
 * route keys (`POST /uploads/{mediaId}/parts`), authorized as the route says, turned into a payload
 * format 2.0 event and sent to the route's function synchronously; the function's structured result
 * becomes the response. `AWS_IAM` routes take only requests SigV4-signed for `execute-api` with the
 * harness's credentials (403 otherwise); `JWT` routes take only tokens their authorizer accepts (401,
 * or 403 without the route's scopes); `NONE` routes take anything.
 */
export class HttpApi {
  private server?: Server;
  private readonly jwt: JwtAuthorizers;
  url = "";

  constructor(private readonly routes: ApiRoute[], private readonly lambda: LambdaService, private readonly options: HttpApiOptions) {
    this.jwt = new JwtAuthorizers(options.motoEndpoint);
    for (const route of routes) if (route.jwt) this.jwt.check(route.jwt);
  }

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

  /** What API Gateway puts in `requestContext.authorizer` for the route, or its refusal. */
  private async authorize(route: ApiRoute, method: string, url: URL, headers: Record<string, string>, body: Buffer): Promise<{ authorizer?: unknown } | { refused: ApiResponse }> {
    switch (route.authorizationType) {
      case "NONE":
        return {};
      case "AWS_IAM": {
        const verified = await verifySigV4({ method, url, headers, body }, this.options.credentials, this.options.region);
        if (!verified.ok) return { refused: { statusCode: 403, headers: { "content-type": "application/json" }, body: JSON.stringify(verified.denial) } };
        const { account } = this.options;
        return {
          authorizer: {
            iam: {
              accessKey: verified.identity.accessKey, accountId: account, callerId: "harness", cognitoIdentity: null, principalOrgId: null,
              userArn: `arn:aws:iam::${account}:user/harness`, userId: "harness",
            },
          },
        };
      }
      case "JWT": {
        const authorized = await this.jwt.authorize(route.jwt!, route.authorizationScopes, headers);
        return authorized.ok ? { authorizer: { jwt: authorized.grant } } : { refused: authorized.denial };
      }
    }
  }

  private async handle(req: IncomingMessage): Promise<ApiResponse> {
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const found = this.match(method, url.pathname);
    if (!found) return { statusCode: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Not Found" }) };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
    const authorized = await this.authorize(found.route, method, url, headers, raw);
    if ("refused" in authorized) return authorized.refused;
    const textual = /json|text|xml|form/.test(String(req.headers["content-type"] ?? "")) || !raw.length;
    const now = new Date();
    const event = {
      version: "2.0",
      routeKey: found.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      ...(Object.keys(found.params).length ? { pathParameters: found.params } : {}),
      requestContext: {
        accountId: this.options.account, apiId: "harness", domainName: url.host, domainPrefix: "harness",
        http: { method, path: url.pathname, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: String(req.headers["user-agent"] ?? "") },
        requestId: randomUUID(), routeKey: found.route.routeKey, stage: "$default", time: now.toUTCString(), timeEpoch: now.getTime(),
        ...(authorized.authorizer ? { authorizer: authorized.authorizer } : {}),
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
function toResponse(result: any): ApiResponse {
  if (result && typeof result === "object" && "statusCode" in result) {
    const headers: Record<string, string> = { ...(result.headers ?? {}) };
    if (result.cookies?.length) headers["set-cookie"] = result.cookies.join(", ");
    const body = result.body === undefined ? "" : result.isBase64Encoded ? Buffer.from(result.body, "base64") : String(result.body);
    return { statusCode: result.statusCode, headers, body };
  }
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: typeof result === "string" ? result : JSON.stringify(result) };
}
