import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { JwtAuthorizerConfig } from "./provision.js";

/*
 * An HTTP API JWT authorizer, evaluated as API Gateway documents it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html): the token
 * from the identity source (alone or after `Bearer `), an RSA signature checked against the issuer's
 * JWKS, then `iss`, `aud` (or `client_id` when there is no `aud`), `exp`, `nbf`, `iat`, and the
 * route's scopes. The keys come only from loopback: a Cognito issuer's from moto, which serves each
 * pool's JWKS at the path Cognito does; a loopback issuer's through its discovery document.
 */

/** What API Gateway answers a request its JWT authorizer refused. */
export interface JwtDenial {
  statusCode: 401 | 403;
  headers: Record<string, string>;
  body: string;
}

/** What API Gateway passes on as `requestContext.authorizer.jwt`. */
export interface JwtGrant {
  claims: Record<string, string>;
  /** The token's scopes when the route requires scopes; null otherwise (as API Gateway sends it). */
  scopes: string[] | null;
}

const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+)$/;
const isLoopback = (url: URL) => ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) || /^127\./.test(url.hostname);

/** Where the harness may read an issuer's keys; throws for an issuer it cannot reach offline. */
function jwksLocation(issuer: string, motoEndpoint: string): { jwksUri: string } | { discovery: string } {
  const pool = COGNITO_ISSUER.exec(issuer)?.[1];
  if (pool) return { jwksUri: `${motoEndpoint}/${pool}/.well-known/jwks.json` };
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (error) {
    throw new Error(`JWT issuer ${issuer} is not a URL`, { cause: error });
  }
  if (!isLoopback(url)) {
    throw new Error(`JWT issuer ${issuer} is neither a Cognito user pool (served by moto) nor on loopback: the harness reaches no other network`);
  }
  return { discovery: `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration` };
}

export class JwtAuthorizers {
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(private readonly motoEndpoint: string) {}

  /** Fails at once for an authorizer whose issuer the harness cannot reach (before any request). */
  check(config: JwtAuthorizerConfig): void {
    jwksLocation(config.issuer, this.motoEndpoint);
    const source = config.identitySource.length === 1 ? /^\$request\.header\.(.+)$/.exec(config.identitySource[0]!) : null;
    if (!source) throw new Error(`JWT authorizer ${config.name}: identity source ${config.identitySource.join(", ")} is not one request header`);
  }

  async authorize(
    config: JwtAuthorizerConfig,
    routeScopes: string[],
    headers: Record<string, string>,
  ): Promise<{ ok: true; grant: JwtGrant } | { ok: false; denial: JwtDenial }> {
    const header = /^\$request\.header\.(.+)$/.exec(config.identitySource[0]!)![1]!.toLowerCase();
    const raw = headers[header]?.trim();
    const unauthorized = (description: string) => ({ ok: false as const, denial: denial(401, routeScopes, "invalid_token", description) });
    if (!raw) return unauthorized("missing token");
    const token = raw.replace(/^Bearer\s+/i, "");

    let payload: JWTPayload;
    try {
      // API Gateway accepts RSA signatures only.
      ({ payload } = await jwtVerify(token, await this.keys(config.issuer), { issuer: config.issuer, algorithms: ["RS256", "RS384", "RS512"] }));
    } catch (error) {
      if (error instanceof errors.JOSEError) return unauthorized(describe(error));
      throw error;
    }
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000) return unauthorized("the token was issued in the future");
    // `aud` when the token has one; `client_id` only when it has none (Cognito access tokens).
    const audiences = payload.aud === undefined ? [payload.client_id] : [payload.aud].flat();
    if (!audiences.some((a) => typeof a === "string" && config.audience.includes(a))) {
      return unauthorized("the token does not have a valid audience");
    }
    const tokenScopes = scopesOf(payload);
    if (routeScopes.length && !routeScopes.some((s) => tokenScopes.includes(s))) {
      return { ok: false, denial: denial(403, routeScopes, "insufficient_scope", `expected scopes: [${routeScopes.join(" ")}]`) };
    }
    return { ok: true, grant: { claims: claimsAsApiGatewayPasses(payload), scopes: routeScopes.length ? tokenScopes : null } };
  }

  private keys(issuer: string): Promise<JWTVerifyGetKey> {
    let keys = this.keySets.get(issuer);
    if (!keys) {
      const where = jwksLocation(issuer, this.motoEndpoint);
      keys = "jwksUri" in where ? Promise.resolve(createRemoteJWKSet(new URL(where.jwksUri))) : discover(where.discovery);
      // A failed discovery is tried again on the next request, as the issuer may come up later.
      keys.catch(() => this.keySets.delete(issuer));
      this.keySets.set(issuer, keys);
    }
    return keys;
  }
}

async function discover(discovery: string): Promise<JWTVerifyGetKey> {
  const response = await fetch(discovery);
  if (!response.ok) throw new Error(`${discovery} answered ${response.status}`);
  const { jwks_uri: jwksUri } = (await response.json()) as { jwks_uri?: string };
  if (!jwksUri || !isLoopback(new URL(jwksUri))) throw new Error(`${discovery} names no JWKS on loopback (${jwksUri})`);
  return createRemoteJWKSet(new URL(jwksUri));
}

/**
 * API Gateway's answer: 401 Unauthorized for a token it cannot accept, 403 Forbidden for a valid token
 * without the route's scopes, with the reason in `www-authenticate`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html
 */
function denial(statusCode: 401 | 403, routeScopes: string[], error: string, description: string): JwtDenial {
  return {
    statusCode,
    headers: {
      "content-type": "application/json",
      "www-authenticate": `Bearer scope="${routeScopes.join(" ")}" error="${error}" error_description="${description}"`,
    },
    body: JSON.stringify({ message: statusCode === 401 ? "Unauthorized" : "Forbidden" }),
  };
}

function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return "the token does not have a valid issuer";
    if (error.claim === "nbf") return "the token is not valid yet";
    return `the token has an invalid ${error.claim} claim`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the issuer matches the token's kid";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is invalid";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's signing method is not RSA";
  return "the token is malformed";
}

/** `scope` (space-separated) or `scp` (a list or a space-separated string). */
function scopesOf(payload: JWTPayload): string[] {
  const value = payload.scope ?? payload.scp;
  if (Array.isArray(value)) return value.map(String);
  return typeof value === "string" ? value.split(" ").filter(Boolean) : [];
}

/**
 * Claims as payload format 2.0 carries them: every value a string. Numbers and booleans in their text,
 * lists as `[a b]` (so `cognito:groups` arrives as `"[reviewers admins]"`), objects as JSON; null
 * claims are left out.
 */
function claimsAsApiGatewayPasses(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) claims[name] = `[${value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(" ")}]`;
    else claims[name] = typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return claims;
}
