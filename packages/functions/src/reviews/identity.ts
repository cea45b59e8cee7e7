import { HttpError, type ApiEvent } from "../api/http.js";

/*
 * Who is calling the review API. API Gateway's JWT authorizer has already checked the token's
 * signature, issuer, audience and expiry; what it cannot check is group membership, so that is
 * checked here, from the claims it passes on.
 */

export interface ReviewerIdentitySettings {
  /** With a Cognito user pool: the group a reviewer must be in (`reviewers`). Unset with an OIDC issuer, whose audience already names who may review. */
  group?: string;
}

/** API Gateway passes claims as strings: an array claim arrives as `[reviewers admins]`. */
export function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== "string") return [];
  const inner = value.trim().replace(/^\[/, "").replace(/\]$/, "");
  return inner.split(/[\s,]+/).filter(Boolean);
}

/**
 * The reviewer's name, from the verified token: the pool's user name (ID token, or `username` in an access token), else the OIDC issuer's
 * preferred user name, e-mail or subject. 401 without verified claims (the route lost its
 * authorizer), 403 for an account outside the reviewers group.
 */
export function reviewerOf(event: ApiEvent, settings: ReviewerIdentitySettings): string {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims;
  if (!claims) throw new HttpError(401, "unauthorized", "Sign in as a reviewer first");
  if (settings.group && !claimList(claims["cognito:groups"]).includes(settings.group)) {
    throw new HttpError(403, "forbidden", `Your account is not in the ${settings.group} group; ask an administrator to add you`);
  }
  const name = [claims["cognito:username"], claims.username, claims.preferred_username, claims.email, claims.sub].find((v) => typeof v === "string" && v.trim());
  if (typeof name !== "string") throw new HttpError(403, "forbidden", "The token names no user");
  return name.trim().slice(0, 200);
}
