import { afterEach, describe, expect, it, vi } from "vitest";
import { CognitoError, refreshTokens, setNewPassword, signInWithPassword } from "./cognito.js";

/*
 * The page's Cognito calls against a scripted fetch: what each request says, and the sentence each
 * refusal becomes. test/review-page-cognito.test.ts runs them from the page against moto's user pool.
 */

const CONFIG = { kind: "cognito" as const, endpoint: "https://cognito-idp.us-east-1.amazonaws.com/", clientId: "client-1" };
const TOKENS = { IdToken: "id-1", AccessToken: "access-1", RefreshToken: "refresh-1", ExpiresIn: 3600, TokenType: "Bearer" };

/** Answers every fetch with `status` and `body`, and keeps what was asked. */
function answer(status: number, body: unknown): Array<{ url: string; init: RequestInit }> {
  const seen: Array<{ url: string; init: RequestInit }> = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  });
  return seen;
}

/** The error a sign-in ends with. */
async function refusal(run: () => Promise<unknown>): Promise<CognitoError> {
  const e = await run().then(() => null, (error: unknown) => error);
  expect(e).toBeInstanceOf(CognitoError);
  return e as CognitoError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the page's Cognito calls", () => {
  it("signs in with USER_PASSWORD_AUTH through the JSON API and answers the ID and refresh tokens", async () => {
    const seen = answer(200, { AuthenticationResult: TOKENS, ChallengeParameters: {} });
    expect(await signInWithPassword(CONFIG, "alice", "pw")).toEqual({ tokens: { idToken: "id-1", refreshToken: "refresh-1" } });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(CONFIG.endpoint);
    expect(seen[0]!.init).toMatchObject({
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth" },
    });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({ AuthFlow: "USER_PASSWORD_AUTH", ClientId: "client-1", AuthParameters: { USERNAME: "alice", PASSWORD: "pw" } });
  });

  it("hands over the new-password challenge under the pool's own user name, and answers it with RespondToAuthChallenge", async () => {
    answer(200, { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "session-1", ChallengeParameters: { USER_ID_FOR_SRP: "bob", requiredAttributes: "[]" } });
    const step = await signInWithPassword(CONFIG, "bob@example.com", "temporary");
    expect(step).toEqual({ newPassword: { session: "session-1", username: "bob" } });

    const seen = answer(200, { AuthenticationResult: TOKENS });
    expect(await setNewPassword(CONFIG, { session: "session-1", username: "bob" }, "Chosen-1")).toEqual({ tokens: { idToken: "id-1", refreshToken: "refresh-1" } });
    expect(seen[0]!.init.headers).toMatchObject({ "x-amz-target": "AWSCognitoIdentityProviderService.RespondToAuthChallenge" });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({
      ChallengeName: "NEW_PASSWORD_REQUIRED", ClientId: "client-1", Session: "session-1", ChallengeResponses: { USERNAME: "bob", NEW_PASSWORD: "Chosen-1" },
    });
  });

  it("renews with REFRESH_TOKEN_AUTH; an answer without a refresh token keeps none", async () => {
    const seen = answer(200, { AuthenticationResult: { IdToken: "id-2", AccessToken: "access-2", ExpiresIn: 3600, TokenType: "Bearer" } });
    expect(await refreshTokens(CONFIG, "refresh-1")).toEqual({ idToken: "id-2", refreshToken: null });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({ AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: "client-1", AuthParameters: { REFRESH_TOKEN: "refresh-1" } });
  });

  it.each([
    ["NotAuthorizedException", "Incorrect username or password.", "Wrong user name or password."],
    ["UserNotFoundException", "User does not exist.", "Wrong user name or password."],
    ["NotAuthorizedException", "User is disabled.", "This account is disabled; ask an administrator."],
    ["PasswordResetRequiredException", "Password reset required for the user", "Your password has to be reset before you can sign in; ask an administrator to reset it."],
    ["UserNotConfirmedException", "User is not confirmed.", "This account is not confirmed yet; ask an administrator."],
    ["TooManyRequestsException", "Rate exceeded", "Too many attempts. Wait a few minutes, then try again."],
    ["InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client", "Signing in failed: USER_PASSWORD_AUTH flow not enabled for this client."],
  ])("says %s (%s) as a sentence", async (type, message, sentence) => {
    answer(400, { __type: type, message });
    const e = await refusal(() => signInWithPassword(CONFIG, "alice", "pw"));
    expect(e).toMatchObject({ code: type, message: sentence, detail: message });
  });

  it("reads a qualified error type, and a refusal that is not JSON by its status", async () => {
    answer(400, { __type: "com.amazonaws.cognito.identity.idp.model#NotAuthorizedException", message: "Incorrect username or password." });
    expect(await refusal(() => signInWithPassword(CONFIG, "alice", "pw"))).toMatchObject({ code: "NotAuthorizedException", message: "Wrong user name or password." });
    answer(502, "<html>Bad gateway</html>");
    expect(await refusal(() => signInWithPassword(CONFIG, "alice", "pw"))).toMatchObject({ code: "http_502", message: "Signing in failed: http_502." });
  });

  it("gives Cognito's reason for a refused new password, and says when the challenge's session ended", async () => {
    answer(400, { __type: "InvalidPasswordException", message: "Password does not conform to policy: Password not long enough" });
    const challenge = { session: "s", username: "bob" };
    expect((await refusal(() => setNewPassword(CONFIG, challenge, "short"))).message)
      .toBe("That password is not accepted: Password does not conform to policy: Password not long enough.");
    answer(400, { __type: "NotAuthorizedException", message: "Invalid session for the user, session is expired." });
    expect((await refusal(() => setNewPassword(CONFIG, challenge, "Long-enough-1"))).message)
      .toBe("The sign-in took too long and its session ended. Sign in again with your temporary password.");
  });

  it("refuses a challenge the page cannot answer, naming it", async () => {
    answer(200, { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s", ChallengeParameters: {} });
    expect(await refusal(() => signInWithPassword(CONFIG, "alice", "pw"))).toMatchObject({
      code: "unsupported_challenge",
      message: "This account needs a sign-in step this page does not offer (SOFTWARE_TOKEN_MFA); ask an administrator.",
    });
  });

  it("says an unreachable service plainly, keeping the failure as the cause", async () => {
    const down = new TypeError("Failed to fetch");
    vi.stubGlobal("fetch", async () => {
      throw down;
    });
    const e = await refusal(() => signInWithPassword(CONFIG, "alice", "pw"));
    expect(e).toMatchObject({ code: "network", message: "Could not reach the sign-in service. Check your connection, then try again." });
    expect(e.cause).toBe(down);
  });
});
