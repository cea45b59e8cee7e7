/**
 * The review page's sign-in form and queue (open tasks oldest first, recent decisions), as script
 * text; see page-script-core.ts for the helpers it uses and the rules it keeps (no backticks, text
 * only through `h()`).
 */
export const QUEUE_SCRIPT = `
function showLogin(message) {
  S.view = "login";
  document.title = "Sign in · Review · media-pipeline";
  var input = h("input", {
    id: "token", class: "input", type: "password", name: "token", autocomplete: "off", spellcheck: "false",
    autocapitalize: "off", required: true, "aria-describedby": "token-hint" + (message ? " login-msg" : "")
  });
  var error = message
    ? msg(/signed out/.test(message) ? "info" : "bad", message, { id: "login-msg", role: "alert" })
    : h("div", { id: "login-msg", role: "alert" });
  var button = h("button", { class: "btn primary big", type: "submit" }, "Sign in");
  var form = h("form", { novalidate: true, onsubmit: function (e) {
    e.preventDefault();
    var token = input.value.trim().replace(/^Bearer\\s+/i, "");
    if (!token) { setError("Paste your reviewer token first."); input.focus(); return; }
    button.disabled = true;
    button.textContent = "Checking…";
    request(token, "GET", "/reviews/me").then(function (d) {
      signedIn(token, d.reviewer);
      toast("Signed in as " + d.reviewer);
      route();
    }, function (e) {
      button.disabled = false;
      button.textContent = "Sign in";
      setError(e.status === 401
        ? "That is not a reviewer token. Use the token after your name in MEDIA_PIPELINE_REVIEWER_TOKENS (name:token); the upload/API token does not work here."
        : e.message);
      input.select();
    });
  } },
    h("label", { class: "field", for: "token" }, "Reviewer token"),
    input,
    h("p", { id: "token-hint", class: "hint" }, "Kept in this browser tab only, until you sign out or close the tab."),
    error,
    button);
  function setError(text) {
    var fresh = msg("bad", text, { id: "login-msg", role: "alert" });
    form.replaceChild(fresh, error);
    error = fresh;
    input.setAttribute("aria-describedby", "token-hint login-msg");
  }
  main.replaceChildren(h("div", { class: "login card" },
    h("h1", null, "Sign in to review"),
    h("p", { class: "lead" }, "Moderators decide the media the moderation model was unsure about. Reviewer tokens are set on the server in MEDIA_PIPELINE_REVIEWER_TOKENS as name:token pairs."),
    form));
  input.focus();
}

function topSegment(task) {
  var top = null;
  task.segments.forEach(function (s) { if (!top || s.confidence > top.confidence) top = s; });
  return top;
}
function claimBadge(task) {
  if (task.status !== "claimed" || !task.claimedBy) return badge("Unclaimed", "neutral");
  var until = "until " + hhmm(task.claimExpiresAt);
  return task.claimedBy === S.reviewer
    ? badge("You, " + until, "info", { title: "Claimed by you until " + when(task.claimExpiresAt) })
    : badge(task.claimedBy + ", " + until, "warn", { title: "Claimed by " + task.claimedBy + " until " + when(task.claimExpiresAt) });
}
function outcomeSummary(segments) {
  var n = {};
  segments.forEach(function (s) { n[s.outcome] = (n[s.outcome] || 0) + 1; });
  var parts = OUTCOMES.filter(function (o) { return n[o]; }).map(function (o) { return n[o] + " " + OUTCOME_TEXT[o].toLowerCase(); });
  return parts.length ? parts.join(" · ") : "No segment outcomes";
}
function openRow(taskId) {
  return function (e) {
    if (e.target.closest && e.target.closest("a")) return;
    location.hash = taskHref(taskId);
  };
}
function fileCell(task) {
  return h("td", { class: "file" }, h("a", { href: taskHref(task.taskId) }, task.filename || "(no file name)"));
}

function openRows(tasks) {
  return tasks.map(function (t) {
    var top = topSegment(t);
    return h("tr", { class: "row", "data-task": t.taskId, onclick: openRow(t.taskId) },
      fileCell(t),
      h("td", { class: "mid", "data-th": "Media ID" }, h("code", null, t.mediaId)),
      h("td", { "data-th": "Created" }, timeEl(t.createdAt, ago(t.createdAt))),
      h("td", { class: "num", "data-th": "Segments" }, String(t.segmentCount)),
      h("td", { "data-th": "Top" }, top
        ? h("span", { class: "top" }, confBar(top.confidence, top.decision),
            h("span", null, h("strong", { class: "num" }, pct(top.confidence)), " ", top.category, top.name !== top.category ? " · " + top.name : ""))
        : h("span", { class: "muted" }, "—")),
      h("td", { "data-th": "Claim" }, claimBadge(t)));
  });
}
function decidedRows(tasks) {
  return tasks.map(function (t) {
    var d = t.decision || { verdict: "approved", reviewer: "?", decidedAt: t.createdAt, segments: [] };
    return h("tr", { class: "row", "data-task": t.taskId, onclick: openRow(t.taskId) },
      fileCell(t),
      h("td", { "data-th": "Verdict" }, badge(VERDICT_TEXT[d.verdict] || d.verdict, d.verdict === "approved" ? "good" : "bad")),
      h("td", { "data-th": "Reviewer" }, d.reviewer),
      h("td", { "data-th": "Decided" }, timeEl(d.decidedAt, ago(d.decidedAt))),
      h("td", { "data-th": "Segments" }, outcomeSummary(d.segments)),
      h("td", { class: "comment-cell", "data-th": "Comment", title: d.comment || "" }, d.comment || h("span", { class: "muted" }, "—")));
  });
}
function table(head, rows, numeric) {
  return h("div", { class: "table-wrap" }, h("table", { class: "cards" },
    h("thead", null, h("tr", null, head.map(function (c) { return h("th", { scope: "col", class: c === numeric ? "num" : null }, c); }))),
    h("tbody", null, rows)));
}

function showQueue(tab) {
  S.view = "queue";
  document.title = (tab === "decided" ? "Decided" : "Review queue") + " · media-pipeline";
  var stats = h("dl", { class: "stats", "aria-label": "Tasks" });
  var openTab = h("a", { class: "tab", href: "#/", "aria-current": tab === "open" ? "page" : null }, "To review");
  var decidedTab = h("a", { class: "tab", href: "#/decided", "aria-current": tab === "decided" ? "page" : null }, "Decided");
  var body = h("div", { class: "card", id: "queue", style: "padding: 4px 10px" }, loading("Loading the queue…"));
  var refresh = h("button", { class: "btn", type: "button", onclick: function () { load(true); } }, "Refresh");
  main.replaceChildren(
    h("div", { class: "page-head" },
      h("div", null,
        h("h1", null, tab === "decided" ? "Recent decisions" : "Review queue"),
        h("p", { class: "lead" }, tab === "decided"
          ? "Tasks already decided, newest first. Open one to see the verdict and its audit log."
          : "Moderation results the model was unsure about, oldest first. Opening a task claims it for you.")),
      refresh),
    stats,
    h("nav", { class: "tabs", "aria-label": "Queue" }, openTab, decidedTab),
    body);
  focusHeading();

  function stat(id, name, n, note) {
    return h("div", { class: "stat " + id, id: "stat-" + id, title: note }, h("dt", null, name), h("dd", null, String(n)));
  }
  function load(manual) {
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-task]");
    var keep = focused ? focused.getAttribute("data-task") : null;
    call("GET", "/reviews?status=" + (tab === "decided" ? "decided" : "open")).then(function (d) {
      if (S.view !== "queue") return;
      var c = d.counts;
      stats.replaceChildren(
        stat("open", "Open", c.open, "Waiting for a reviewer"),
        stat("claimed", "Claimed", c.claimed, "Being reviewed right now"),
        stat("decided", "Decided", c.decided, "Verdict given"));
      openTab.replaceChildren("To review", h("span", { class: "chip" }, String(c.open + c.claimed)));
      decidedTab.replaceChildren("Decided", h("span", { class: "chip" }, String(c.decided)));
      if (!d.tasks.length) {
        body.replaceChildren(h("div", { class: "empty" }, tab === "decided"
          ? [h("strong", null, "No decisions yet"), "Verdicts appear here once a reviewer submits one."]
          : [h("strong", null, "Nothing to review"), "New tasks appear here when moderation is unsure about a file."]));
      } else if (tab === "decided") {
        body.replaceChildren(table(["File", "Verdict", "Reviewer", "Decided", "Segments", "Comment"], decidedRows(d.tasks)));
      } else {
        body.replaceChildren(table(["File", "Media ID", "Created", "Segments", "Top category", "Claim"], openRows(d.tasks), "Segments"));
      }
      if (keep) {
        var again = body.querySelector('[data-task="' + CSS.escape(keep) + '"] a');
        if (again) again.focus();
      }
      if (manual) announce("Queue refreshed: " + d.tasks.length + (d.tasks.length === 1 ? " task" : " tasks"));
    }, function (e) {
      if (e.handled || S.view !== "queue") return;
      body.replaceChildren(msg("bad", [h("strong", null, "The queue could not be loaded. "), e.message], { role: "alert" }));
    });
  }
  load(false);
  // Others claim and decide while this page is open; a quiet refresh keeps the queue honest.
  every(15000, function () { if (document.visibilityState === "visible") load(false); });
}
`;
