import { createHash, timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";

/*
 * Signature Version 4 for `execute-api`, both ways: the harness's callers sign their requests to the HTTP
 * API as the AWS SDKs do, and the API stand-in verifies them as API Gateway's IAM authorization does, by
 * recomputing the signature with the same signer. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
const fromFunctions = createRequire(new URL("../../../packages/functions/src/", import.meta.url));
const { SignatureV4 } = fromFunctions("@smithy/signature-v4") as typeof import("@smithy/signature-v4");
const { Hash } = fromFunctions("@smithy/hash-node") as typeof import("@smithy/hash-node");

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where a signed request goes: the API's URL, its region and the caller's credentials. */
export interface ApiCaller {
  apiUrl: string;
  region: string;
  credentials: AwsCredentials;
}

const SERVICE = "execute-api";
/** How far a signature's date may be from the clock, either way, before AWS refuses it. */
const MAX_SKEW_MS = 15 * 60_000;

const signer = (credentials: AwsCredentials, region: string) =>
  new SignatureV4({ credentials, region, service: SERVICE, sha256: Hash.bind(null, "sha256"), uriEscapePath: true, applyChecksum: false });

const queryOf = (url: URL) => {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const had = query[k];
    query[k] = had === undefined ? v : [had, v].flat();
  }
  return query;
};

/**
 * `fetch` with the request signed for `execute-api` (SigV4) with the caller's credentials: how the
 * harness's callers reach the IAM-authorized routes. `path` is a path on the API or a link the API
 * gave: those name the API as its callers reach it (`https://<domain>/uploads/…/parts`), and are
 * followed to the same path on the harness's own origin. Bodies are strings or bytes (they are hashed
 * into the signature).
 */
export async function signedFetch(
  target: ApiCaller | { apiUrl: string; moto: { clientConfig: { region: string; credentials: AwsCredentials } } },
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const caller: ApiCaller = "moto" in target
    ? { apiUrl: target.apiUrl, region: target.moto.clientConfig.region, credentials: target.moto.clientConfig.credentials }
    : target;
  const base = new URL(caller.apiUrl);
  const given = new URL(path, base);
  if (given.host !== base.host) throw new Error(`signedFetch: ${path} is not on the API (${base.host})`);
  const url = new URL(`${given.pathname}${given.search}`, base);
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) {
    throw new Error("signedFetch signs string and byte bodies only");
  }
  const method = (init.method ?? "GET").toUpperCase();
  const signed = await signer(caller.credentials, caller.region).sign({
    method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined,
    path: url.pathname, query: queryOf(url), headers: { ...Object.fromEntries(new Headers(init.headers)), host: url.host }, body,
  });
  // fetch sets Host itself, to the same value.
  const { host: _host, ...headers } = signed.headers;
  return fetch(url, { ...init, method, headers, body });
}

/** The caller a valid signature names: what API Gateway passes on as `requestContext.authorizer.iam`. */
export interface SigV4Identity {
  accessKey: string;
}

/** A request refused as API Gateway refuses it on an IAM-authorized route: 403 and its message. */
export interface SigV4Denial {
  message: string;
}

const FORBIDDEN: SigV4Denial = { message: "Forbidden" };
const MISMATCH: SigV4Denial = {
  message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
};

/**
 * Verifies a request's SigV4 signature for `execute-api` in `region`, against the credentials the
 * harness hands out (an unknown key or session token is refused as AWS refuses it). The signature is
 * recomputed over the headers the request says it signed, its path and query, and its actual body.
 */
export async function verifySigV4(
  request: { method: string; url: URL; headers: Record<string, string>; body: Buffer },
  known: AwsCredentials[],
  region: string,
  now = new Date(),
): Promise<{ ok: true; identity: SigV4Identity } | { ok: false; denial: SigV4Denial }> {
  const deny = (denial: SigV4Denial) => ({ ok: false as const, denial });
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(request.headers.authorization ?? "");
  const amzDate = request.headers["x-amz-date"] ?? "";
  const dated = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!auth || !dated) return deny(FORBIDDEN);
  const [, accessKey, scopeDate, scopeRegion, scopeService, signedList, signature] = auth as unknown as string[];
  const credentials = known.find((c) => c.accessKeyId === accessKey && c.sessionToken === request.headers["x-amz-security-token"]);
  if (!credentials) return deny({ message: "The security token included in the request is invalid." });
  if (scopeRegion !== region) return deny({ message: `Credential should be scoped to a valid region, not '${scopeRegion}'.` });
  if (scopeService !== SERVICE) return deny({ message: `Credential should be scoped to correct service: '${SERVICE}'.` });
  const signingDate = new Date(Date.UTC(+dated[1]!, +dated[2]! - 1, +dated[3]!, +dated[4]!, +dated[5]!, +dated[6]!));
  if (Math.abs(signingDate.getTime() - now.getTime()) > MAX_SKEW_MS) {
    return deny({ message: `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - MAX_SKEW_MS))} (${formatAmzDate(now)} - 15 min.)` });
  }
  const signedHeaders = signedList!.split(";");
  if (scopeDate !== amzDate.slice(0, 8) || !signedHeaders.includes("host")) return deny(MISMATCH);
  // A declared payload hash must be the body's: the signer would otherwise take the header's word for it.
  const declared = request.headers["x-amz-content-sha256"];
  if (declared !== undefined && declared !== createHash("sha256").update(request.body).digest("hex")) return deny(MISMATCH);

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return deny(MISMATCH);
    if (name !== "x-amz-date" && name !== "x-amz-security-token") headers[name] = value;
  }
  const recomputed = await signer(credentials, region).sign(
    {
      method: request.method, protocol: request.url.protocol, hostname: request.url.hostname,
      path: request.url.pathname, query: queryOf(request.url), headers, body: request.body.length ? request.body : undefined,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(recomputed.headers.authorization))?.[1] ?? "";
  const same = expected.length === signature!.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature!));
  return same ? { ok: true, identity: { accessKey: accessKey! } } : deny(MISMATCH);
}

const formatAmzDate = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
