/**
 * The review page's shared script: DOM building, formatting, the API client, sign-in, hash routing
 * and the keyboard shortcuts. Plain ES2017 in a string (no bundler, no framework), joined with the
 * queue and task parts inside one function scope by page-script.ts.
 *
 * Every piece of task text (file names are user input) reaches the DOM through `h()`, which only
 * ever creates text nodes and sets attributes, so nothing a task says can become markup.
 * The script avoids backticks and "${": it lives inside a TypeScript template literal.
 */
export const CORE_SCRIPT = `
var TOKEN_KEY = "media-pipeline.review.token";
var DRAFT_KEY = "media-pipeline.review.draft.";
var OUTCOMES = ["confirmed", "false-positive", "wrong-category"];
var OUTCOME_TEXT = { "confirmed": "Confirmed", "false-positive": "False positive", "wrong-category": "Wrong category" };
var OUTCOME_HINT = {
  "confirmed": "The model is right: the segment shows what it says.",
  "false-positive": "Nothing objectionable in this segment.",
  "wrong-category": "Objectionable, but not in the category the model gave."
};
var VERDICT_TEXT = { approved: "Approved", rejected: "Rejected" };
var DECISION_TONE = { clean: "good", review: "warn", flagged: "bad" };
var S = { token: null, reviewer: null, view: null, timers: [], task: null };
var main = document.getElementById("main");
var live = document.getElementById("live");
var enc = encodeURIComponent;

function h(tag, props) {
  var el = document.createElement(tag);
  if (props) {
    for (var k in props) {
      var v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "checked" || k === "disabled" || k === "readOnly" || k === "selected") el[k] = !!v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
  return el;
}
function add(el, c) {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) { for (var i = 0; i < c.length; i++) add(el, c[i]); return; }
  el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
}
function pad(n) { return (n < 10 ? "0" : "") + n; }
function clock(ms) {
  var t = Math.max(0, Math.floor(ms / 1000)), hr = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  return hr > 0 ? hr + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
}
function pct(c) { var r = Math.round(c * 10) / 10; return (r % 1 === 0 ? r.toFixed(0) : r.toFixed(1)) + "%"; }
function humanize(s) { s = String(s || "").replace(/[-_]+/g, " "); return s.charAt(0).toUpperCase() + s.slice(1); }
function valid(d) { return !isNaN(d.getTime()); }
function when(iso) {
  var d = new Date(iso);
  return valid(d) ? d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : String(iso);
}
function hhmm(iso) { var d = new Date(iso); return valid(d) ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : String(iso); }
function ago(iso) {
  var s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (!isFinite(s)) return String(iso);
  if (s < 45) return "just now";
  if (s < 3600) return Math.max(1, Math.round(s / 60)) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return when(iso);
}
function timeEl(iso, text) { return h("time", { datetime: iso, title: when(iso) }, text); }
/** Server messages carry ISO times; a reviewer reads local clock times. */
function readable(msg) {
  return String(msg || "").replace(/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?Z/g, function (iso) { return when(iso); });
}
function badge(text, tone, extra) {
  var b = h("span", { class: "badge " + (tone || "neutral") }, text);
  if (extra) for (var k in extra) b.setAttribute(k, extra[k]);
  return b;
}
function confBar(conf, decision) {
  return h("span", { class: "bar-s " + (decision || ""), "aria-hidden": "true" },
    h("i", { style: "width:" + Math.min(100, Math.max(0, conf)).toFixed(1) + "%" }));
}
function loading(text) { return h("p", { class: "loading", role: "status" }, text); }
function msg(tone, children, props) {
  var p = h("div", Object.assign({ class: "msg " + tone }, props || {}));
  add(p, children);
  return p;
}
function announce(text) {
  live.textContent = "";
  setTimeout(function () { live.textContent = text; }, 40);
}
var toastTimer = null;
function toast(text) {
  var t = document.getElementById("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(function () { t.hidden = true; }, 3200);
}
function focusHeading() {
  var h1 = main.querySelector("h1");
  if (h1) { h1.setAttribute("tabindex", "-1"); h1.focus({ preventScroll: true }); }
}
function every(ms, fn) { S.timers.push(setInterval(fn, ms)); }

/* ---- API ---- */
function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }
function request(token, method, path, body) {
  var init = { method: method, cache: "no-store", headers: { authorization: "Bearer " + token, accept: "application/json" } };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  return fetch(path, init).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (res.ok) return data;
      var err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || "http_" + res.status, err.message || "The server answered " + res.status + ".");
    });
  }, function () {
    throw new ApiError(0, "network", "Could not reach the server. Check that media-pipeline serve is still running, then try again.");
  });
}
/** An API call as the signed-in reviewer; a 401 signs out (the token was withdrawn on the server). */
function call(method, path, body) {
  return request(S.token, method, path, body).catch(function (e) {
    if (e instanceof ApiError && e.status === 401) {
      signOut("Your reviewer token is no longer accepted (was it removed from MEDIA_PIPELINE_REVIEWER_TOKENS?). Sign in again.");
      e.handled = true;
    }
    throw e;
  });
}
/** Shows an error where a view would be, unless signing out already took care of it. */
function failView(e) {
  if (e && e.handled) return;
  main.replaceChildren(h("div", { class: "card" },
    msg("bad", [h("strong", null, "Something went wrong. "), e && e.message ? e.message : String(e)], { role: "alert" }),
    h("button", { class: "btn", type: "button", onclick: route }, "Try again")));
}

/* ---- Sign-in ---- */
function storedToken() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
function signedIn(token, name) {
  S.token = token;
  S.reviewer = name;
  try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode: this tab only */ }
  document.getElementById("who-name").textContent = name;
  document.getElementById("who-avatar").textContent = name.charAt(0);
  document.getElementById("who").hidden = false;
}
function signOut(message) {
  leave();
  S.token = null;
  S.reviewer = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var k = sessionStorage.key(i);
      if (k && k.indexOf(DRAFT_KEY) === 0) sessionStorage.removeItem(k);
    }
  } catch (e) { /* nothing stored */ }
  document.getElementById("who").hidden = true;
  showLogin(message);
}
function boot() {
  var token = storedToken();
  if (!token) { showLogin(); return; }
  main.replaceChildren(loading("Signing in…"));
  request(token, "GET", "/reviews/me").then(function (d) {
    signedIn(token, d.reviewer);
    route();
  }, function (e) {
    if (e.status === 401) signOut("Your saved reviewer token is no longer accepted. Sign in again.");
    else showLogin(e.message);
  });
}

/* ---- Routing: #/ the queue, #/decided recent decisions, #/tasks/<taskId> one task ---- */
function taskHref(taskId) { return "#/tasks/" + enc(taskId); }
function parseRoute() {
  var path = location.hash.replace(/^#/, "") || "/";
  var m = /^\\/tasks\\/([^/]+)$/.exec(path);
  if (m) {
    try { return { view: "task", taskId: decodeURIComponent(m[1]) }; } catch (e) { return { view: "queue", tab: "open" }; }
  }
  return { view: "queue", tab: path === "/decided" ? "decided" : "open" };
}
function leave() {
  S.timers.forEach(clearInterval);
  S.timers = [];
  var player = document.getElementById("player");
  if (player) player.pause();
  S.task = null;
  S.view = null;
}
function route() {
  if (!S.token) return;
  leave();
  var r = parseRoute();
  if (r.view === "task") showTask(r.taskId);
  else showQueue(r.tab);
}

/* ---- Keyboard ---- */
function typing(el) {
  if (!el || !el.tagName) return false;
  var tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
  if (tag !== "INPUT") return false;
  return ["radio", "checkbox", "button", "submit", "reset", "range"].indexOf(el.type) < 0;
}
var help = document.getElementById("help");
function toggleHelp() {
  if (help.open) help.close();
  else help.showModal();
}
document.getElementById("help-btn").addEventListener("click", toggleHelp);
document.getElementById("help-close").addEventListener("click", function () { help.close(); });
// The skip link must not change the hash: the hash is the route.
document.getElementById("skip").addEventListener("click", function (e) { e.preventDefault(); main.focus(); });
document.getElementById("signout").addEventListener("click", function () { signOut("You signed out."); });
document.addEventListener("keydown", function (e) {
  if (e.defaultPrevented || e.isComposing) return;
  var t = e.target;
  if (e.key === "Escape") {
    if (!help.open && typing(t)) t.blur();
    return;
  }
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    if (S.view === "task" && S.task) { e.preventDefault(); taskKeys.submit(); }
    return;
  }
  if (typing(t) || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === "?") { e.preventDefault(); toggleHelp(); return; }
  if (help.open || S.view !== "task" || !S.task) return;
  // The player's own controls handle Space when it has focus.
  if (e.key === " " && t && t.tagName === "VIDEO") return;
  var key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  var done = true;
  if (key === "j") taskKeys.move(1);
  else if (key === "k") taskKeys.move(-1);
  else if (key === "1" || key === "2" || key === "3") taskKeys.outcome(OUTCOMES[Number(key) - 1]);
  else if (key === "a") taskKeys.verdict("approved");
  else if (key === "r") taskKeys.verdict("rejected");
  else if (key === " ") taskKeys.playPause();
  else done = false;
  if (done) e.preventDefault();
});
window.addEventListener("hashchange", route);
`;
