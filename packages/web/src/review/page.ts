import { REVIEW_SCRIPT, REVIEW_STYLES } from "../assets.js";
import { PAGE_CONFIG_ID, type ReviewPageOptions, type ReviewSignIn } from "../shared/review-config.js";

export type { ReviewPageOptions, ReviewSignIn } from "../shared/review-config.js";

/*
 * The review page, served at /review by the local server and by the cloud app: one self-contained
 * document (inline style and script, bundled from src/browser/review) that talks to the /reviews API
 * with the reviewer's bearer token. Routes live in the hash (#/ queue, #/decided, #/expired,
 * #/tasks/<taskId>), so the server has one page to serve and a task link can be shared between
 * reviewers. The document itself holds no task data: everything a task says arrives as JSON and is put
 * into the DOM as text. Without options it is the local server's page (reviewer tokens from
 * MEDIA_PIPELINE_REVIEWER_TOKENS); with options, the cloud's (Cognito sign-in, media from S3), told
 * to the script in a JSON config block.
 */

const SHORTCUTS: Array<[string[], string]> = [
  [["j"], "Next segment: select it and seek the player to its start"],
  [["k"], "Previous segment, the same way"],
  [["1"], "Current segment: confirmed (the model is right)"],
  [["2"], "Current segment: false positive"],
  [["3"], "Current segment: wrong category (then choose or type the right one)"],
  [["a"], "Overall verdict: approve (the media may be published)"],
  [["r"], "Overall verdict: reject (the media may not be published)"],
  [["Space"], "Play or pause (not while typing)"],
  [["Ctrl", "Enter"], "Submit the verdict (⌘ Enter on a Mac; works in the comment too)"],
  [["Esc"], "Leave a text field, so the keys above work again"],
  [["?"], "Show or hide this list"],
];

const helpDialog = `
<dialog id="help" aria-labelledby="help-title">
  <div class="dlg-head"><h2 id="help-title">Keyboard shortcuts</h2><button type="button" class="btn ghost small" id="help-close">Close</button></div>
  <div class="dlg-body">
    <dl class="keys">${SHORTCUTS.map(([keys, text]) => `<dt>${keys.map((k) => `<kbd>${k}</kbd>`).join(" ")}</dt><dd>${text}</dd>`).join("")}</dl>
  </div>
</dialog>`;

/** The local server's policy: the page loads nothing from elsewhere, and no other site may frame it. */
const LOCAL_CSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'";

/** The origin of a deployment's http(s) URL; anything else would put arbitrary text into the policy. */
function originOf(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new Error(`${what} is not a URL: ${JSON.stringify(url)}`, { cause });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error(`${what} must be an http(s) URL: ${JSON.stringify(url)}`);
  return parsed.origin;
}

/** The sign-in the page offers with options; a pasted token when they name none. */
function signInOf(options: ReviewPageOptions): ReviewSignIn {
  const signIn = options.signIn ?? { kind: "token" };
  if (signIn.kind === "cognito") {
    originOf(signIn.endpoint, "The Cognito endpoint");
    if (!signIn.clientId) throw new Error("The Cognito sign-in needs the user pool app client's id");
  }
  return signIn;
}

function cloudCsp(options: ReviewPageOptions): string {
  const signIn = signInOf(options);
  const media = [...new Set((options.media ?? []).map((m) => originOf(m, "A media origin")))];
  const connect = signIn.kind === "cognito" ? [originOf(signIn.endpoint, "The Cognito endpoint")] : [];
  return [
    "default-src 'self'",
    // The /reviews API on this origin, and Cognito for signing in and refreshing the ID token.
    ["connect-src", "'self'", ...connect].join(" "),
    // Presigned links to the media and keyframes in the bucket.
    ["img-src", "'self'", "data:", ...media].join(" "),
    ["media-src", "'self'", ...media].join(" "),
    "style-src 'unsafe-inline'",
    "script-src 'unsafe-inline'",
    "frame-ancestors 'none'",
    // The sign-in forms are the script's: none ever submits natively, so no password leaves in a form post.
    "form-action 'none'",
  ].join("; ");
}

/**
 * The headers the page is served with, the same from the local server (no options) and the cloud
 * app's Lambda (the options it renders the page with), so both send one content security policy.
 */
export function reviewPageHeaders(options?: ReviewPageOptions): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": options ? cloudCsp(options) : LOCAL_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
}

/** JSON inside a <script> element: no `<` (nor `>`, `&`) as such, so no text in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The review page: a single-page app over the /reviews API. */
export function renderReviewPage(options?: ReviewPageOptions): string {
  const config = options ? `<script type="application/json" id="${PAGE_CONFIG_ID}">${scriptJson({ signIn: signInOf(options) })}</script>\n` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<title>Review · media-pipeline</title>
<link rel="icon" href="data:,">
<style>${REVIEW_STYLES}</style>
</head>
<body>
<a class="skip" href="#main" id="skip">Skip to content</a>
<header class="bar">
  <div class="wrap bar-in">
    <a class="brand" href="#/"><span class="logo" aria-hidden="true">✓</span>Review<span class="muted">media-pipeline</span></a>
    <div class="who" id="who" hidden>
      <span class="avatar" id="who-avatar" aria-hidden="true"></span>
      <span class="signed"><span class="prefix">Signed in as </span><strong id="who-name"></strong></span>
      <button type="button" class="btn ghost small" id="help-btn" aria-haspopup="dialog" aria-keyshortcuts="?" aria-label="Keyboard shortcuts"><span class="help-label">Shortcuts</span> <kbd>?</kbd></button>
      <button type="button" class="btn small" id="signout">Sign out</button>
    </div>
  </div>
</header>
<main id="main" class="wrap" tabindex="-1"><noscript>The review page needs JavaScript.</noscript></main>
<div id="live" class="sr-only" aria-live="polite"></div>
<div id="toast" class="toast" role="status" hidden></div>
${helpDialog}
${config}<script>${REVIEW_SCRIPT}</script>
</body>
</html>
`;
}
