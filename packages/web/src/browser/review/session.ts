import type { ApiError } from "./api-error.js";
import { call, request } from "./api.js";
import { dropSession, keepSession, restoreSession } from "./auth.js";
import { type CognitoSignIn, type NewPasswordChallenge, type SignInStep, setNewPassword, signInWithPassword } from "./cognito.js";
import { SIGN_IN } from "./config.js";
import { h, loading, main, msg, toast } from "./dom.js";
import { route } from "./nav.js";
import { DRAFT_KEY, leave, S } from "./state.js";

/*
 * Signing in and out, and the sign-in forms. The local server's page takes a reviewer token; the
 * cloud's takes a Cognito user name and password (with a pasted token as the fallback), or only a
 * pasted token. Whatever signs in, the API's /reviews/me says who the reviewer is before the page
 * keeps anything.
 */

const NOT_REVIEWER = "Your account is not in the reviewers group; ask an administrator to add you.";
const LEAD = "Moderators decide the media the moderation model was unsure about.";
const KEPT = "Kept in this browser tab only, until you sign out or close the tab.";

function signedIn(name: string): void {
  S.reviewer = name;
  (document.getElementById("who-name") as HTMLElement).textContent = name;
  (document.getElementById("who-avatar") as HTMLElement).textContent = name.charAt(0);
  (document.getElementById("who") as HTMLElement).hidden = false;
}

export function signOut(message?: string): void {
  leave();
  dropSession();
  S.reviewer = null;
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const k = sessionStorage.key(i);
      if (k?.startsWith(DRAFT_KEY)) sessionStorage.removeItem(k);
    }
  } catch {
    // Nothing stored.
  }
  (document.getElementById("who") as HTMLElement).hidden = true;
  showLogin(message);
}

/** Signs in with what this tab kept, or shows the sign-in form. */
export function boot(): void {
  if (!restoreSession()) {
    showLogin();
    return;
  }
  main.replaceChildren(loading("Signing in…"));
  // In the cloud a 401 renews the Cognito sign-in once, then signs out with the reason (api.ts).
  const me = SIGN_IN.kind === "local" ? request<{ reviewer: string }>(S.token ?? "", "GET", "/reviews/me") : call<{ reviewer: string }>("GET", "/reviews/me");
  me.then(
    (d) => {
      signedIn(d.reviewer);
      route();
    },
    (e: ApiError) => {
      if (e.handled) return;
      if (e.status === 401) signOut("Your saved reviewer token is no longer accepted. Sign in again.");
      else if (e.status === 403 && SIGN_IN.kind !== "local") signOut(NOT_REVIEWER);
      else showLogin(e.message);
    },
  );
}

/** Asks the API who this is; keeps the credentials only once it answers. */
function enter(token: string, refreshToken: string | null): Promise<void> {
  return request<{ reviewer: string }>(token, "GET", "/reviews/me").then((d) => {
    keepSession(token, refreshToken);
    signedIn(d.reviewer);
    toast(`Signed in as ${d.reviewer}`);
    route();
  });
}

/** Why the API refused what was offered, for the form that offered it. */
function refusal(e: ApiError, offered: "reviewer token" | "token" | "account"): string {
  if (e.status === 403 && SIGN_IN.kind !== "local") return NOT_REVIEWER;
  if (e.status !== 401) return e.message;
  if (offered === "reviewer token") {
    return "That is not a reviewer token. Use the token after your name in MEDIA_PIPELINE_REVIEWER_TOKENS (name:token); the upload/API token does not work here.";
  }
  if (offered === "token") return "That token is not accepted: it may have expired, or be meant for another app. Get a fresh one and try again.";
  return "The review service did not accept this sign-in (it may trust another user pool or app client); tell an administrator.";
}

/** A form's message line: one live element whose content changes, so each message is read out. */
function messageLine(id: string, initial?: string): { el: HTMLElement; say(tone: string, text: string): void } {
  const el = h("div", { id, role: "alert" });
  const say = (tone: string, text: string) => el.replaceChildren(msg(tone, text));
  if (initial) say(/signed out/.test(initial) ? "info" : "bad", initial);
  return { el, say };
}

function busy(button: HTMLButtonElement, text: string | null, idle: string): void {
  button.disabled = text !== null;
  button.textContent = text ?? idle;
}

/** The token form: the local page's only one, the fallback of a Cognito page. */
function tokenForm(offered: "reviewer token" | "token", msgId: string, initial?: string): HTMLFormElement {
  const local = offered === "reviewer token";
  const idle = local || SIGN_IN.kind !== "cognito" ? "Sign in" : "Sign in with the token";
  const line = messageLine(msgId, initial);
  const input = h("input", {
    id: "token", class: "input", type: "password", name: "token", autocomplete: "off", spellcheck: "false",
    autocapitalize: "off", required: true, "aria-describedby": `token-hint ${msgId}`,
  });
  const button = h("button", { class: "btn primary big", type: "submit" }, idle);
  const hint = local ? KEPT : `${SIGN_IN.kind === "token" && SIGN_IN.hint ? `${SIGN_IN.hint} ` : ""}${KEPT}`;
  const submit = (e: Event) => {
    e.preventDefault();
    const token = input.value.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      line.say("bad", local ? "Paste your reviewer token first." : "Paste your token first.");
      input.focus();
      return;
    }
    busy(button, "Checking…", idle);
    enter(token, null).catch((err: ApiError) => {
      busy(button, null, idle);
      line.say("bad", refusal(err, offered));
      input.select();
    });
  };
  return h("form", { method: "post", novalidate: true, onsubmit: submit },
    h("label", { class: "field", for: "token" }, local ? "Reviewer token" : "Token"),
    input,
    h("p", { id: "token-hint", class: "hint" }, hint),
    line.el,
    button);
}

function loginCard(title: string, lead: string, ...content: HTMLElement[]): void {
  main.replaceChildren(h("div", { class: "login card" }, h("h1", null, title), h("p", { class: "lead" }, lead), ...content));
}

function showLogin(message?: string): void {
  S.view = "login";
  document.title = "Sign in · Review · media-pipeline";
  if (SIGN_IN.kind === "cognito") {
    accountLogin(SIGN_IN, message);
    return;
  }
  const local = SIGN_IN.kind === "local";
  loginCard("Sign in to review",
    local
      ? `${LEAD} Reviewer tokens are set on the server in MEDIA_PIPELINE_REVIEWER_TOKENS as name:token pairs.`
      : `${LEAD} Sign in with a token from your organisation's sign-in service.`,
    tokenForm(local ? "reviewer token" : "token", "login-msg", message));
  (document.getElementById("token") as HTMLInputElement).focus();
}

/** Where a finished Cognito sign-in goes: the API must know the account before the page keeps it. */
function finish(step: SignInStep, config: CognitoSignIn, onRefused: (text: string) => void): Promise<void> {
  if ("newPassword" in step) {
    newPasswordForm(config, step.newPassword);
    return Promise.resolve();
  }
  return enter(step.tokens.idToken, step.tokens.refreshToken).catch((e: ApiError) => onRefused(refusal(e, "account")));
}

/** The Cognito sign-in: user name and password, and a pasted token for deployments that issue them elsewhere. */
function accountLogin(config: CognitoSignIn, message?: string): void {
  const line = messageLine("login-msg", message);
  const username = h("input", {
    id: "username", class: "input", type: "text", name: "username", autocomplete: "username", spellcheck: "false",
    autocapitalize: "off", required: true, "aria-describedby": "login-msg",
  });
  const password = h("input", {
    id: "password", class: "input", type: "password", name: "password", autocomplete: "current-password", required: true,
    "aria-describedby": "login-msg",
  });
  const button = h("button", { class: "btn primary big", type: "submit" }, "Sign in");
  const refused = (text: string) => {
    busy(button, null, "Sign in");
    line.say("bad", text);
    password.select();
    password.focus();
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const name = username.value.trim();
    if (!name || !password.value) {
      line.say("bad", "Enter your user name and password.");
      (name ? password : username).focus();
      return;
    }
    busy(button, "Signing in…", "Sign in");
    signInWithPassword(config, name, password.value).then(
      (step) => finish(step, config, refused),
      (err: Error) => refused(err.message),
    );
  };
  const form = h("form", { method: "post", novalidate: true, onsubmit: submit, "aria-label": "Sign in with your reviewer account" },
    h("label", { class: "field", for: "username" }, "User name"),
    username,
    h("label", { class: "field", for: "password" }, "Password"),
    password,
    line.el,
    button);
  loginCard("Sign in to review", `${LEAD} Sign in with the reviewer account an administrator created for you.`,
    form,
    h("details", { class: "alt-login" }, h("summary", null, "Sign in with a token instead"), tokenForm("token", "token-msg")));
  username.focus();
}

/** A reviewer invited with a temporary password chooses their own before the first sign-in ends. */
function newPasswordForm(config: CognitoSignIn, challenge: NewPasswordChallenge): void {
  const line = messageLine("new-password-msg");
  const first = h("input", {
    id: "new-password", class: "input", type: "password", name: "new-password", autocomplete: "new-password", required: true,
    "aria-describedby": "new-password-hint new-password-msg",
  });
  const again = h("input", {
    id: "new-password-again", class: "input", type: "password", name: "new-password-again", autocomplete: "new-password", required: true,
    "aria-describedby": "new-password-msg",
  });
  const idle = "Set the password and sign in";
  const button = h("button", { class: "btn primary big", type: "submit" }, idle);
  const refused = (text: string) => {
    busy(button, null, idle);
    line.say("bad", text);
    first.select();
    first.focus();
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (!first.value) {
      refused("Choose a new password first.");
      return;
    }
    if (first.value !== again.value) {
      busy(button, null, idle);
      line.say("bad", "The two passwords differ; type the same one twice.");
      again.select();
      again.focus();
      return;
    }
    busy(button, "Setting the password…", idle);
    setNewPassword(config, challenge, first.value).then(
      // The password is set now: a refusal by the API is told on the sign-in form.
      (step) => finish(step, config, (text) => showLogin(text)),
      (err: Error & { code?: string }) => {
        // The challenge's session is over: only a new sign-in gets another.
        if (err.code === "NotAuthorizedException") showLogin(err.message);
        else refused(err.message);
      },
    );
  };
  loginCard("Choose a new password",
    `You signed in as ${challenge.username} with a temporary password. Choose your own to finish signing in; it replaces the temporary one.`,
    h("form", { method: "post", novalidate: true, onsubmit: submit, "aria-label": "Choose a new password" },
      // For password managers: the account the new password belongs to.
      h("input", { type: "text", name: "username", autocomplete: "username", value: challenge.username, readOnly: true, hidden: true }),
      h("label", { class: "field", for: "new-password" }, "New password"),
      first,
      h("p", { id: "new-password-hint", class: "hint" }, "The user pool's password rules apply; if it is refused, the message says which one."),
      h("label", { class: "field", for: "new-password-again" }, "New password, again"),
      again,
      line.el,
      button,
      h("button", { class: "btn ghost", type: "button", onclick: () => showLogin() }, "Back to sign in")));
  first.focus();
}
