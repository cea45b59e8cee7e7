import { PAGE_CONFIG_ID, type PageSignIn } from "../../shared/review-config.js";

/*
 * How this page signs reviewers in, as the server rendered it (review/page.ts): no config block is the
 * local server (reviewer tokens); the cloud app's block names Cognito or a pasted token.
 */

function readSignIn(): PageSignIn {
  const block = document.getElementById(PAGE_CONFIG_ID);
  if (!block) return { kind: "local" };
  let signIn: Partial<{ kind: unknown; endpoint: unknown; clientId: unknown; hint: unknown }> = {};
  try {
    signIn = (JSON.parse(block.textContent || "{}") as { signIn?: typeof signIn }).signIn ?? {};
  } catch {
    // Unreadable: fall through to the plain token sign-in, which needs nothing from the config.
  }
  if (signIn.kind === "cognito" && typeof signIn.endpoint === "string" && typeof signIn.clientId === "string") {
    return { kind: "cognito", endpoint: signIn.endpoint, clientId: signIn.clientId };
  }
  return { kind: "token", hint: typeof signIn.hint === "string" ? signIn.hint : undefined };
}

export const SIGN_IN: PageSignIn = readSignIn();
