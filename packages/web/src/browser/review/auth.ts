import { ApiError } from "./api-error.js";
import { CognitoError, refreshTokens } from "./cognito.js";
import { SIGN_IN } from "./config.js";
import { REFRESH_KEY, S, TOKEN_KEY } from "./state.js";

/*
 * The reviewer's credentials for this tab: the bearer token the API checks and, after a Cognito
 * sign-in, the refresh token that renews it (both in sessionStorage, so a reload stays signed in and
 * closing the tab forgets them). A Cognito ID token lives an hour: it is renewed shortly before its
 * `exp`, and once more when the API refuses it anyway, before the reviewer is signed out.
 */

/** Renew this long before the ID token's `exp`, so no call goes out with a token about to lapse. */
const RENEW_BEFORE_MS = 60_000;

function store(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Private mode: this tab's memory only.
  }
}

export function keepSession(token: string, refreshToken: string | null): void {
  S.token = token;
  S.refreshToken = refreshToken;
  store(TOKEN_KEY, token);
  store(REFRESH_KEY, refreshToken);
}

/** Takes up the credentials this tab kept; false when there are none. */
export function restoreSession(): boolean {
  try {
    S.token = sessionStorage.getItem(TOKEN_KEY);
    S.refreshToken = SIGN_IN.kind === "cognito" ? sessionStorage.getItem(REFRESH_KEY) : null;
  } catch {
    return false;
  }
  return S.token !== null;
}

export function dropSession(): void {
  S.token = null;
  S.refreshToken = null;
  store(TOKEN_KEY, null);
  store(REFRESH_KEY, null);
}

/** When a JWT's `exp` says it lapses (ms), read without checking it: only to know when to renew. */
function expiresAt(jwt: string): number | null {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const exp = (JSON.parse(atob(payload)) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

let renewing: Promise<boolean> | null = null;

/**
 * A new ID token from the refresh token, one renewal at a time however many calls ask. False when
 * there is nothing to renew with or Cognito refused (the reviewer must sign in again); a renewal that
 * could not be tried (unreachable, throttled) rejects, and the reviewer stays signed in.
 */
export function renew(): Promise<boolean> {
  const refreshToken = S.refreshToken;
  if (SIGN_IN.kind !== "cognito" || !refreshToken) return Promise.resolve(false);
  renewing ??= refreshTokens(SIGN_IN, refreshToken)
    .then(
      (tokens) => {
        // Signed out meanwhile: the new token is not wanted.
        if (S.refreshToken !== refreshToken) return false;
        keepSession(tokens.idToken, tokens.refreshToken ?? refreshToken);
        return true;
      },
      (e: unknown) => {
        if (e instanceof CognitoError && (e.code === "NotAuthorizedException" || e.code === "UserNotFoundException")) return false;
        const message = e instanceof Error ? e.message : String(e);
        throw new ApiError(0, e instanceof CognitoError ? e.code : "renew", message, { cause: e });
      },
    )
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

/** The token for the next call, renewed first when it is about to lapse. */
export async function currentToken(): Promise<string> {
  const exp = S.token && S.refreshToken ? expiresAt(S.token) : null;
  if (exp !== null && exp - Date.now() < RENEW_BEFORE_MS) {
    // Not renewed (unreachable, refused): the call goes with the old token and its answer decides.
    await renew().catch(() => false);
  }
  return S.token ?? "";
}

/** Why the reviewer is signed out when the API stops accepting the credentials. */
export function signedOutReason(): string {
  if (SIGN_IN.kind === "local") return "Your reviewer token is no longer accepted (was it removed from MEDIA_PIPELINE_REVIEWER_TOKENS?). Sign in again.";
  return S.refreshToken ? "Your sign-in has expired. Sign in again." : "Your token is no longer accepted (it may have expired). Sign in again.";
}
