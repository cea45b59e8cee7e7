import { createHmac, randomBytes } from "node:crypto";
import type { CloudApp } from "./app.js";
import { cognitosdk } from "./clients.js";

/*
 * Reviewers of the built-in review backend, as people in its Cognito user pool: created by an
 * administrator (no invitation mailed), given a permanent password and their groups, and signed in
 * with the pool's app client to get the tokens the review routes' JWT authorizer takes.
 */

/** What these helpers need of the app: the deployment's outputs and the harness's clients. */
export type ReviewerPoolApp = Pick<CloudApp, "deployment" | "clients">;

export interface Reviewer {
  name: string;
  password: string;
}

export interface ReviewerTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

/** The pool and its client, from the review stack's outputs `ReviewerUserPoolId` and `ReviewerUserPoolClientId`. */
export function reviewerPool(app: ReviewerPoolApp): { userPoolId: string; clientId: string } {
  const outputs = Object.values(app.deployment.outputs);
  const userPoolId = outputs.map((o) => o.ReviewerUserPoolId).find(Boolean);
  const clientId = outputs.map((o) => o.ReviewerUserPoolClientId).find(Boolean);
  if (!userPoolId || !clientId) {
    throw new Error(
      "the deployment has no ReviewerUserPoolId/ReviewerUserPoolClientId output: it was synthesized without the built-in review (with the A2I backend, for one), so there is no reviewer pool",
    );
  }
  return { userPoolId, clientId };
}

/** A pool whose usernames are email addresses takes the address as the username; any other, the name. */
async function usernameFor(app: ReviewerPoolApp, userPoolId: string, name: string): Promise<string> {
  const { UserPool } = await app.clients.cognito.send(new cognitosdk.DescribeUserPoolCommand({ UserPoolId: userPoolId }));
  return UserPool?.UsernameAttributes?.includes("email") ? emailOf(name) : name;
}

const emailOf = (name: string) => `${name}@example.com`;

/**
 * Creates a reviewer in the pool: AdminCreateUser with a verified `<name>@example.com` (no message
 * sent), a permanent password (given, or generated to satisfy any password policy), and the groups.
 */
export async function createReviewer(
  app: ReviewerPoolApp,
  name: string,
  { groups = ["reviewers"], password = `Rv1!${randomBytes(15).toString("base64url")}a` }: { groups?: string[]; password?: string } = {},
): Promise<Reviewer> {
  const { userPoolId } = reviewerPool(app);
  const username = await usernameFor(app, userPoolId, name);
  const cognito = app.clients.cognito;
  try {
    await cognito.send(new cognitosdk.AdminCreateUserCommand({
      UserPoolId: userPoolId, Username: username, MessageAction: "SUPPRESS",
      UserAttributes: [{ Name: "email", Value: emailOf(name) }, { Name: "email_verified", Value: "true" }],
    }));
    await cognito.send(new cognitosdk.AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: true }));
    for (const group of groups) {
      await cognito.send(new cognitosdk.AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: group }));
    }
  } catch (error) {
    throw new Error(`creating reviewer ${name} in ${userPoolId} failed: ${(error as Error).message}`, { cause: error });
  }
  return { name, password };
}

/** Signs a reviewer in with the pool's app client (USER_PASSWORD_AUTH): their ID, access and refresh tokens. */
export async function signIn(app: ReviewerPoolApp, name: string, password: string): Promise<ReviewerTokens> {
  const { userPoolId, clientId } = reviewerPool(app);
  const username = await usernameFor(app, userPoolId, name);
  const cognito = app.clients.cognito;
  // A client with a secret takes the secret's hash of the username with every sign-in.
  const { UserPoolClient } = await cognito.send(new cognitosdk.DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
  const secret = UserPoolClient?.ClientSecret;
  let result: import("@aws-sdk/client-cognito-identity-provider").AuthenticationResultType | undefined;
  try {
    ({ AuthenticationResult: result } = await cognito.send(new cognitosdk.InitiateAuthCommand({
      ClientId: clientId, AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: {
        USERNAME: username, PASSWORD: password,
        ...(secret ? { SECRET_HASH: createHmac("sha256", secret).update(username + clientId).digest("base64") } : {}),
      },
    })));
  } catch (error) {
    throw new Error(`signing reviewer ${name} in failed: ${(error as Error).message}`, { cause: error });
  }
  if (!result?.IdToken || !result.AccessToken || !result.RefreshToken) {
    throw new Error(`signing reviewer ${name} in gave no tokens (a challenge instead?)`);
  }
  return { idToken: result.IdToken, accessToken: result.AccessToken, refreshToken: result.RefreshToken };
}
