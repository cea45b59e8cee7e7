import type { ApiError } from "./api-error.js";
import { request } from "./api.js";
import { h, loading, main, msg, toast } from "./dom.js";
import { route } from "./nav.js";
import { DRAFT_KEY, leave, S, TOKEN_KEY } from "./state.js";

/*
 * Signing in with a reviewer token (kept in this tab's sessionStorage) and out again, and the sign-in
 * form. A token the server stops accepting signs the reviewer out with a message.
 */

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function signedIn(token: string, name: string): void {
  S.token = token;
  S.reviewer = name;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Private mode: this tab only.
  }
  (document.getElementById("who-name") as HTMLElement).textContent = name;
  (document.getElementById("who-avatar") as HTMLElement).textContent = name.charAt(0);
  (document.getElementById("who") as HTMLElement).hidden = false;
}

export function signOut(message?: string): void {
  leave();
  S.token = null;
  S.reviewer = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
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

/** Signs in with the token this tab kept, or shows the sign-in form. */
export function boot(): void {
  const token = storedToken();
  if (!token) {
    showLogin();
    return;
  }
  main.replaceChildren(loading("Signing in…"));
  request<{ reviewer: string }>(token, "GET", "/reviews/me").then(
    (d) => {
      signedIn(token, d.reviewer);
      route();
    },
    (e: ApiError) => {
      if (e.status === 401) signOut("Your saved reviewer token is no longer accepted. Sign in again.");
      else showLogin(e.message);
    },
  );
}

function showLogin(message?: string): void {
  S.view = "login";
  document.title = "Sign in · Review · media-pipeline";
  const input = h("input", {
    id: "token", class: "input", type: "password", name: "token", autocomplete: "off", spellcheck: "false",
    autocapitalize: "off", required: true, "aria-describedby": `token-hint${message ? " login-msg" : ""}`,
  });
  let error = message
    ? msg(/signed out/.test(message) ? "info" : "bad", message, { id: "login-msg", role: "alert" })
    : h("div", { id: "login-msg", role: "alert" });
  const button = h("button", { class: "btn primary big", type: "submit" }, "Sign in");
  const setError = (text: string) => {
    const fresh = msg("bad", text, { id: "login-msg", role: "alert" });
    form.replaceChild(fresh, error);
    error = fresh;
    input.setAttribute("aria-describedby", "token-hint login-msg");
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const token = input.value.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      setError("Paste your reviewer token first.");
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = "Checking…";
    request<{ reviewer: string }>(token, "GET", "/reviews/me").then(
      (d) => {
        signedIn(token, d.reviewer);
        toast(`Signed in as ${d.reviewer}`);
        route();
      },
      (e: ApiError) => {
        button.disabled = false;
        button.textContent = "Sign in";
        setError(
          e.status === 401
            ? "That is not a reviewer token. Use the token after your name in MEDIA_PIPELINE_REVIEWER_TOKENS (name:token); the upload/API token does not work here."
            : e.message,
        );
        input.select();
      },
    );
  };
  const form = h("form", { novalidate: true, onsubmit: submit },
    h("label", { class: "field", for: "token" }, "Reviewer token"),
    input,
    h("p", { id: "token-hint", class: "hint" }, "Kept in this browser tab only, until you sign out or close the tab."),
    error,
    button);
  main.replaceChildren(h("div", { class: "login card" },
    h("h1", null, "Sign in to review"),
    h("p", { class: "lead" }, "Moderators decide the media the moderation model was unsure about. Reviewer tokens are set on the server in MEDIA_PIPELINE_REVIEWER_TOKENS as name:token pairs."),
    form));
  input.focus();
}
