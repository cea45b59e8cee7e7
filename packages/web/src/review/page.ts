import { REVIEW_SCRIPT, REVIEW_STYLES } from "../assets.js";

/*
 * The local review page, served at /review: one self-contained document (inline style and script,
 * bundled from src/browser/review, nothing loaded from elsewhere) that talks to the /reviews API with
 * the reviewer's token. Routes live in the hash (#/ queue, #/decided, #/tasks/<taskId>), so the server
 * has one page to serve and a task link can be shared between reviewers. The document itself holds no
 * task data: everything a task says arrives as JSON and is put into the DOM as text.
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

/** The review page: a single-page app over the /reviews API. */
export function renderReviewPage(): string {
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
<script>${REVIEW_SCRIPT}</script>
</body>
</html>
`;
}
