import type { ReviewSignIn } from "../../shared/review-config.js";

/*
 * Signing in to a Cognito user pool from the page: the Identity Provider's JSON API called directly
 * (it answers CORS; no SDK in the bundle), with the pool's app client, which has no secret. The user
 * name and password go to Cognito only, never to the review API. Refusals become plain sentences.
 */

export type CognitoSignIn = Extract<ReviewSignIn, { kind: "cognito" }>;

/** What a finished sign-in (or refresh) gives. A refresh answers no refresh token unless the pool rotates them. */
export interface CognitoTokens {
  idToken: string;
  refreshToken: string | null;
}

/** A reviewer invited with a temporary password must choose one: the challenge to answer. */
export interface NewPasswordChallenge {
  session: string;
  username: string;
}

export type SignInStep = { tokens: CognitoTokens } | { newPassword: NewPasswordChallenge };

/** A refused or failed call: `code` is Cognito's exception name (`network` when unreachable), the message a sentence for the reviewer. */
export class CognitoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** What Cognito said, as it said it. */
    readonly detail = "",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Which call was refused decides what a NotAuthorizedException means. */
type Call = "sign-in" | "new-password" | "refresh";

const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

function explain(code: string, detail: string, call: Call): string {
  switch (code) {
    case "NotAuthorizedException":
      if (/disabled/i.test(detail)) return "This account is disabled; ask an administrator.";
      if (call === "new-password") return "The sign-in took too long and its session ended. Sign in again with your temporary password.";
      if (call === "refresh") return "Your sign-in has expired. Sign in again.";
      return "Wrong user name or password.";
    case "UserNotFoundException":
      return "Wrong user name or password.";
    case "PasswordResetRequiredException":
      return "Your password has to be reset before you can sign in; ask an administrator to reset it.";
    case "InvalidPasswordException":
      return sentence(`That password is not accepted: ${detail || "it does not meet the user pool's password rules"}`);
    case "UserNotConfirmedException":
      return "This account is not confirmed yet; ask an administrator.";
    case "TooManyRequestsException":
    case "LimitExceededException":
    case "TooManyFailedAttemptsException":
      return "Too many attempts. Wait a few minutes, then try again.";
    default:
      return sentence(`Signing in failed: ${detail || code}`);
  }
}

async function idp(config: CognitoSignIn, action: string, body: unknown, call: Call): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(config.endpoint, {
      method: "POST",
      cache: "no-store",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    throw new CognitoError("network", "Could not reach the sign-in service. Check your connection, then try again.", "", { cause });
  }
  const text = await res.text().catch(() => "");
  let data: Record<string, unknown> = {};
  try {
    data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (res.ok) return data;
  // `__type` may come qualified (`com.amazonaws…#NotAuthorizedException`) or with a suffix after `:`.
  const type = String(data.__type ?? data.code ?? `http_${res.status}`);
  const code = type.split(/[,:]/)[0].split("#").pop() || type;
  const detail = String(data.message ?? data.Message ?? "");
  throw new CognitoError(code, explain(code, detail, call), detail);
}

function stepOf(data: Record<string, unknown>, username: string): SignInStep {
  const result = data.AuthenticationResult as { IdToken?: string; RefreshToken?: string } | undefined;
  if (result?.IdToken) return { tokens: { idToken: result.IdToken, refreshToken: result.RefreshToken ?? null } };
  if (data.ChallengeName === "NEW_PASSWORD_REQUIRED" && typeof data.Session === "string") {
    // The pool's own user name (the typed one may be an alias, such as the e-mail address).
    const params = (data.ChallengeParameters ?? {}) as Record<string, string | undefined>;
    return { newPassword: { session: data.Session, username: params.USER_ID_FOR_SRP ?? params.USERNAME ?? username } };
  }
  const challenge = String(data.ChallengeName ?? "none");
  throw new CognitoError("unsupported_challenge", `This account needs a sign-in step this page does not offer (${challenge}); ask an administrator.`, challenge);
}

/** USER_PASSWORD_AUTH: tokens, or the new-password challenge of a first sign-in. */
export async function signInWithPassword(config: CognitoSignIn, username: string, password: string): Promise<SignInStep> {
  const data = await idp(config, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  }, "sign-in");
  return stepOf(data, username);
}

/** Answers NEW_PASSWORD_REQUIRED with the password the reviewer chose. */
export async function setNewPassword(config: CognitoSignIn, challenge: NewPasswordChallenge, password: string): Promise<SignInStep> {
  const data = await idp(config, "RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: config.clientId,
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: password },
  }, "new-password");
  return stepOf(data, challenge.username);
}

/** REFRESH_TOKEN_AUTH: a new ID token for the refresh token. */
export async function refreshTokens(config: CognitoSignIn, refreshToken: string): Promise<CognitoTokens> {
  const data = await idp(config, "InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: config.clientId,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  }, "refresh");
  const step = stepOf(data, "");
  if ("tokens" in step) return step.tokens;
  throw new CognitoError("unsupported_challenge", "Your sign-in could not be renewed. Sign in again.", "NEW_PASSWORD_REQUIRED");
}
