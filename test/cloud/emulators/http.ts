import { randomUUID } from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import http2 from "node:http2";
import { connect, createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";

/*
 * The wire plumbing every service emulator shares: one loopback port that speaks HTTP/1.1 and
 * cleartext HTTP/2 (prior knowledge) alike, the AWS JSON 1.1 RPC dispatch (`X-Amz-Target`), REST-JSON
 * routes, and AWS-shaped errors. Bedrock's client sends over HTTP/2 by default (NodeHttp2Handler) and
 * the others over HTTP/1.1, so every emulator takes both: a client configured either way works.
 */

/** A request as the emulators see it, whichever HTTP version carried it. */
export interface EmulatorRequest {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  /** Raw (still percent-encoded) path, for path parameters that may contain `/` or `:` encoded. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A service error in AWS's shape: the HTTP status, the error code (sent as `x-amzn-errortype` and as
 * the body's `__type`) and the message. `fault` says whether the SDK should treat it as the caller's.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "AwsServiceError";
  }
}

export type Handler = (request: EmulatorRequest) => Promise<EmulatorResponse>;

export interface RunningServer {
  endpoint: string;
  close(): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n");

/**
 * Serves `handler` on 127.0.0.1 and a free port. The first bytes of each connection decide: the
 * HTTP/2 connection preface goes to an h2c server, anything else to an HTTP/1.1 server.
 */
export async function startServer(name: string, handler: Handler, log: (line: string) => void): Promise<RunningServer> {
  const respond = async (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const url = new URL(req.url ?? "/", "http://emulator");
    const request: EmulatorRequest = {
      method: req.method ?? "GET",
      path: safeDecode(url.pathname),
      rawPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    let response: EmulatorResponse;
    try {
      response = await handler(request);
    } catch (error) {
      response = errorResponse(error, name, log);
    }
    const body = response.body === undefined ? "" : typeof response.body === "string" ? response.body : JSON.stringify(response.body);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-amzn-requestid": randomUUID(),
      ...response.headers,
      "content-length": String(Buffer.byteLength(body)),
    };
    res.writeHead(response.status, headers);
    res.end(body);
  };
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    respond(req, res).catch((error: unknown) => {
      log(`${name}: could not answer ${req.method} ${req.url}: ${(error as Error).message}`);
      try {
        res.writeHead(500);
        res.end();
      } catch {
        // the connection is gone
      }
    });
  };
  const h1 = http.createServer(onRequest);
  const h2 = http2.createServer({}, onRequest);
  const h1Port = await listen(h1);
  const h2Port = await listen(h2);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  // The HTTP/2 session reads its socket natively, so bytes already read to sniff the version cannot
  // be handed back to it: each connection is relayed to the HTTP/1.1 or HTTP/2 server's own port.
  const front = createNetServer((socket) => {
    track(socket);
    let head = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, HTTP2_PREFACE.length);
      if (n < HTTP2_PREFACE.length && head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) return; // need more bytes
      socket.off("data", sniff);
      const upstream = connect(head.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE) ? h2Port : h1Port, "127.0.0.1");
      track(upstream);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.once("close", end);
      upstream.once("close", end);
    };
    socket.on("data", sniff);
  });
  await listen(front);
  const { port } = front.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      const closed = Promise.all([front, h1, h2].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** Listens on 127.0.0.1 and a free port; returns the port. */
async function listen(server: Server | http.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function errorResponse(error: unknown, name: string, log: (line: string) => void): EmulatorResponse {
  if (error instanceof AwsServiceError) {
    return {
      status: error.status,
      headers: { "x-amzn-errortype": error.code },
      body: { __type: error.code, message: error.message, ...error.extra },
    };
  }
  log(`${name}: internal error: ${(error as Error).stack ?? String(error)}`);
  return {
    status: 500,
    headers: { "x-amzn-errortype": "InternalServerError" },
    body: { __type: "InternalServerError", message: `emulator fault: ${(error as Error).message}` },
  };
}

/** Parses a JSON request body; an unreadable one is the caller's error, as AWS answers it. */
export function jsonBody(request: EmulatorRequest, errorCode = "SerializationException"): Record<string, unknown> {
  if (request.body.length === 0) return {};
  try {
    const value = JSON.parse(request.body.toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AwsServiceError(errorCode, "The request body is not a JSON object.");
}

/**
 * The AWS JSON 1.1 protocol: `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body,
 * answered with `application/x-amz-json-1.1`. An unknown operation is `UnknownOperationException`.
 */
export function jsonRpc(targetPrefix: string, operations: Record<string, (input: Record<string, unknown>) => Promise<unknown>>): Handler {
  return async (request) => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const [prefix, operation] = target.split(".");
    const run = prefix === targetPrefix && operation ? operations[operation] : undefined;
    if (request.method !== "POST" || !run) {
      throw new AwsServiceError("UnknownOperationException", `Unknown operation ${target || "(no X-Amz-Target)"}`);
    }
    const output = await run(jsonBody(request));
    return { status: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: output ?? {} };
  };
}

/** Reads a field that must be a string (optionally matching a pattern and a length range). */
export function str(
  input: Record<string, unknown>,
  field: string,
  rules: { required?: boolean; pattern?: RegExp; min?: number; max?: number; code?: string } = {},
): string | undefined {
  const value = input[field];
  const code = rules.code ?? "InvalidParameterException";
  if (value === undefined || value === null) {
    if (rules.required) throw new AwsServiceError(code, `1 validation error detected: Value null at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== "string") throw new AwsServiceError(code, `${field} must be a string`);
  if ((rules.min !== undefined && value.length < rules.min) || (rules.max !== undefined && value.length > rules.max)) {
    throw new AwsServiceError(
      code,
      `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must have length between ${rules.min ?? 0} and ${rules.max ?? "∞"}`,
    );
  }
  if (rules.pattern && !rules.pattern.test(value)) {
    throw new AwsServiceError(
      code,
      `1 validation error detected: Value '${value.slice(0, 100)}' at '${lowerFirst(field)}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rules.pattern.source}`,
    );
  }
  return value;
}

/** Reads a number field within a range. */
export function num(
  input: Record<string, unknown>,
  field: string,
  rules: { min?: number; max?: number; integer?: boolean; code?: string } = {},
): number | undefined {
  const value = input[field];
  const code = rules.code ?? "InvalidParameterException";
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || (rules.integer && !Number.isInteger(value))) {
    throw new AwsServiceError(code, `${field} must be a number`);
  }
  if ((rules.min !== undefined && value < rules.min) || (rules.max !== undefined && value > rules.max)) {
    throw new AwsServiceError(
      code,
      `1 validation error detected: Value '${value}' at '${lowerFirst(field)}' failed to satisfy constraint: Member must have value between ${rules.min ?? "-∞"} and ${rules.max ?? "∞"}`,
    );
  }
  return value;
}

/** A nested object field (or an empty object when absent and not required). */
export function obj(input: Record<string, unknown>, field: string, rules: { required?: boolean; code?: string } = {}): Record<string, unknown> {
  const value = input[field];
  const code = rules.code ?? "InvalidParameterException";
  if (value === undefined || value === null) {
    if (rules.required) throw new AwsServiceError(code, `1 validation error detected: Value null at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null`);
    return {};
  }
  if (typeof value !== "object" || Array.isArray(value)) throw new AwsServiceError(code, `${field} must be an object`);
  return value as Record<string, unknown>;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Opaque page tokens: `<scope>:<offset>` in base64url, refused when they name another scope. */
export function pageToken(scope: string, offset: number): string {
  return Buffer.from(`${scope}:${offset}`).toString("base64url");
}

export function readPageToken(token: string | undefined, scope: string, errorCode: string): number {
  if (token === undefined || token === "") return 0;
  const text = Buffer.from(token, "base64url").toString("utf8");
  const at = text.lastIndexOf(":");
  const offset = Number(text.slice(at + 1));
  if (at < 0 || text.slice(0, at) !== scope || !Number.isInteger(offset) || offset < 0) {
    throw new AwsServiceError(errorCode, "Invalid pagination token.");
  }
  return offset;
}
