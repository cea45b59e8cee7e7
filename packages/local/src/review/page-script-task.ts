/**
 * The review page's task view, as script text: claim on open, the player with a segment timeline,
 * the segment list with keyframes, the model's labels and the per-segment answers, and the side
 * panel. The verdict form's state and the claim's life are in page-script-verdict.ts.
 */
export const TASK_SCRIPT = `
var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
function crumbs() { return h("div", { class: "crumbs" }, h("a", { href: "#/" }, "← Review queue")); }
function fact(k, v) { return h("div", null, h("dt", null, k), h("dd", null, v)); }

function showTask(taskId) {
  S.view = "task";
  document.title = "Task · Review · media-pipeline";
  var visit = S.visit = {};
  main.replaceChildren(crumbs(), loading("Opening the task…"));
  var path = "/reviews/" + enc(taskId);
  // Opening a task claims it; a 409 (someone else holds it, or it is decided) opens it read-only.
  call("POST", path + "/claim").then(function (task) {
    if (S.visit === visit) renderTask(task, null, {});
  }, function (e) {
    if (e.status !== 409) throw e;
    return call("GET", path).then(function (task) { if (S.visit === visit) renderTask(task, e, {}); });
  }).catch(function (e) {
    if (e.handled || S.visit !== visit) return;
    if (e.status === 404) {
      main.replaceChildren(crumbs(), h("div", { class: "card" }, h("h1", null, "No such task"),
        h("p", { class: "lead" }, readable(e.message) + ". It may have been removed, or the link is mistyped.")));
      focusHeading();
      return;
    }
    failView(e);
  });
}

function renderTask(task, conflict, opts) {
  var mode = task.status === "decided" ? "decided" : !conflict && task.claimedBy === S.reviewer ? "mine" : "readonly";
  var T = S.task = {
    task: task, mode: mode, conflict: conflict, current: 0, busy: false, segs: [], pendingSeek: null,
    draft: mode === "decided" ? draftFromDecision(task) : loadDraft(task.taskId)
  };
  var name = task.filename || task.mediaId;
  document.title = name + " · Review · media-pipeline";

  T.claimBar = h("div", { class: "claim", id: "claim-bar" });
  var status = mode === "decided" ? badge("Decided", "good") : task.claimedBy ? badge("Claimed", "warn") : badge("Open", "info");
  var head = h("div", null, crumbs(),
    h("div", { class: "task-head" }, h("h1", null, name),
      badge("Model: " + humanize(task.modelDecision), DECISION_TONE[task.modelDecision]), status),
    h("div", { class: "task-meta" },
      h("span", null, "Media ", h("code", null, task.mediaId)),
      h("span", null, "Created ", timeEl(task.createdAt, when(task.createdAt))),
      h("span", null, task.segmentCount + (task.segmentCount === 1 ? " segment" : " segments"))),
    T.claimBar);

  var side = h("aside", { class: "side", "aria-label": "Verdict and details" },
    mode === "decided" ? decisionCard(task, opts.justDecided) : verdictCard(T),
    auditCard(task.audit), detailsCard(task), keysCard());
  main.replaceChildren(head, h("div", { class: "layout" },
    h("div", { class: "primary" }, playerCard(T, name), segmentsSection(T)), side));
  paintMode();
  paintCurrent(0);
  paintProgress();
  if (!opts.keepFocus) focusHeading();
  if (mode === "mine") every(10 * 60000, renewClaim);
}

function playerCard(T, name) {
  var task = T.task;
  var player = T.player = h("video", { id: "player", controls: true, preload: "auto", playsinline: true, src: task.mediaUrl, "aria-label": "Media: " + name });
  var headMark = h("span", { class: "tl-head", style: "left:0%" });
  var track = T.track = h("div", { class: "tl-track", id: "tl-track", title: "Click to seek" }, headMark);
  var end = h("span", null, clock(maxEnd(task)));
  var error = h("div", { role: "alert" });
  task.segments.forEach(function (s, i) {
    var label = "Segment " + (i + 1) + ": " + s.name + ", " + pct(s.confidence) + ", " + clock(s.startMs) + "–" + clock(s.endMs);
    var band = h("button", { type: "button", class: "tl-band " + s.decision, "data-index": s.index, "aria-label": "Play " + label, title: label,
      onclick: function (e) { e.stopPropagation(); select(i, true, true); } });
    track.insertBefore(band, headMark);
    T.segs[i] = { band: band };
  });
  function layout() {
    var total = duration(T);
    task.segments.forEach(function (s, i) {
      var b = T.segs[i].band;
      b.style.left = Math.min(100, (s.startMs / 1000 / total) * 100).toFixed(3) + "%";
      b.style.width = Math.max(0.8, ((s.endMs - s.startMs) / 1000 / total) * 100).toFixed(3) + "%";
    });
    end.textContent = clock(total * 1000);
  }
  layout();
  player.addEventListener("loadedmetadata", function () {
    layout();
    if (T.pendingSeek !== null) { player.currentTime = T.pendingSeek; T.pendingSeek = null; }
  });
  player.addEventListener("timeupdate", function () {
    headMark.style.left = Math.min(100, (player.currentTime / duration(T)) * 100).toFixed(3) + "%";
  });
  player.addEventListener("error", function () {
    error.replaceChildren(msg("bad", "The video could not be played. Its link may have expired: reload the page for a fresh one.", { style: "margin: 12px 16px" }));
  });
  track.addEventListener("click", function (e) {
    var r = track.getBoundingClientRect();
    seek(T, Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)) * duration(T));
  });
  return h("section", { class: "card player-card", "aria-label": "Player" }, player,
    h("div", { class: "tl" }, track, h("div", { class: "tl-axis", "aria-hidden": "true" }, h("span", null, "0:00"), end)), error);
}
function maxEnd(task) { return task.segments.reduce(function (m, s) { return Math.max(m, s.endMs); }, 0); }
function duration(T) {
  var d = T.player && T.player.duration;
  return isFinite(d) && d > 0 ? d : Math.max(1, maxEnd(T.task) / 1000);
}
function seek(T, seconds) {
  if (T.player.readyState === 0) T.pendingSeek = seconds;
  try { T.player.currentTime = seconds; } catch (e) { T.pendingSeek = seconds; }
}

function segmentsSection(T) {
  var segs = T.task.segments;
  var list = h("ol", { class: "segs", id: "segs" }, segs.map(function (s, i) { return segItem(T, s, i); }));
  return h("section", { class: "segs-wrap", "aria-labelledby": "segs-h" },
    h("div", { class: "section-head" },
      h("h2", { id: "segs-h" }, "Segments ", h("span", { class: "chip" }, String(segs.length))),
      h("p", { class: "hint" }, "Click a segment, its keyframe or its time to play it from its start. ", h("kbd", null, "j"), " ", h("kbd", null, "k"), " move between segments.")),
    segs.length ? list : h("p", { class: "empty" }, "The moderation model reported no segments."));
}

function segItem(T, s, i) {
  var n = T.task.segments.length;
  var d = T.draft.segments[s.index] || {};
  var ref = T.segs[i];
  var thumb = h("button", { type: "button", class: "thumb", "aria-label": "Play segment " + (i + 1) + " from " + clock(s.startMs),
    onclick: function () { select(i, true, false); } },
    s.keyframeUrl ? h("img", { src: s.keyframeUrl, alt: "Keyframe of segment " + (i + 1), loading: "lazy" }) : h("span", { class: "noimg" }, "No keyframe"),
    h("span", { class: "play", "aria-hidden": "true" }, "▶ " + clock(s.startMs)));
  ref.radios = {};
  var opts = h("div", { class: "opts" }, OUTCOMES.map(function (o, k) {
    var input = h("input", { type: "radio", name: "outcome-" + s.index, value: o, checked: d.outcome === o, "aria-keyshortcuts": String(k + 1),
      onchange: function () { setOutcome(i, o, false); } });
    ref.radios[o] = input;
    return h("label", { class: "opt " + o, title: OUTCOME_HINT[o] }, input, h("span", null, OUTCOME_TEXT[o], h("kbd", { "aria-hidden": "true" }, String(k + 1))));
  }));
  var others = T.task.categories.filter(function (c) { return c.toLowerCase() !== s.category.toLowerCase(); });
  ref.others = others;
  ref.sel = h("select", { class: "input", "aria-label": "The right category for segment " + (i + 1),
    onchange: function () { draftOf(T, s).choice = ref.sel.value; paintSeg(T, i); edited(T); if (ref.sel.value === "__other") ref.other.focus(); } },
    h("option", { value: "" }, "Choose the right category…"),
    others.map(function (c) { return h("option", { value: c }, c); }),
    h("option", { value: "__other" }, "Another category (type it)…"));
  ref.sel.value = d.choice && (d.choice === "__other" || others.indexOf(d.choice) >= 0) ? d.choice : "";
  ref.other = h("input", { class: "input", type: "text", maxlength: "200", placeholder: "Type the right category", value: d.other || "",
    "aria-label": "The right category for segment " + (i + 1) + ", typed",
    oninput: function () { draftOf(T, s).other = ref.other.value; edited(T); } });
  ref.other.value = d.other || "";
  ref.catRow = h("div", { class: "cat-row" }, ref.sel, ref.other);
  ref.note = h("p", { class: "outcome-note" });
  ref.li = h("li", { class: "seg " + s.decision, id: "seg-" + s.index, "data-index": s.index },
    thumb,
    h("div", { class: "seg-info", title: "Play from " + clock(s.startMs),
      onclick: function (e) { if (!(e.target.closest && e.target.closest("button"))) select(i, true, false); } },
      h("div", { class: "seg-top" },
        h("span", { class: "seg-n" }, "Segment " + (i + 1) + " of " + n),
        badge("Model: " + humanize(s.decision), DECISION_TONE[s.decision]),
        h("span", { class: "chip", title: "Category" }, s.category)),
      h("div", { class: "seg-name" }, s.name),
      h("div", { class: "conf" }, confBar(s.confidence, s.decision), h("strong", null, pct(s.confidence)), h("span", { class: "conf-word" }, "confidence"),
        h("span", { class: "conf-dot", "aria-hidden": "true" }, "·"),
        h("button", { type: "button", class: "seg-jump", "aria-label": "Play segment " + (i + 1) + " from " + clock(s.startMs) + " to " + clock(s.endMs),
          onclick: function () { select(i, true, false); } }, clock(s.startMs) + " – " + clock(s.endMs)))),
    h("fieldset", { class: "answer" }, h("legend", null, "Your answer for segment " + (i + 1)), opts, ref.catRow, ref.note));
  paintSeg(T, i);
  return ref.li;
}

/** Marks segment i current (the one j, k and 1/2/3 act on). */
function paintCurrent(i) {
  var T = S.task;
  T.current = i;
  T.segs.forEach(function (r, k) {
    if (!r.li) return;
    r.li.classList.toggle("current", k === i);
    r.band.classList.toggle("current", k === i);
    if (k === i) r.li.setAttribute("aria-current", "true");
    else r.li.removeAttribute("aria-current");
  });
}
/** Makes segment i current and seeks to its start; plays when asked (a click), keeps the play state otherwise (j/k). */
function select(i, play, scroll) {
  var T = S.task;
  var segs = T.task.segments;
  if (!segs.length) return;
  i = Math.max(0, Math.min(segs.length - 1, i));
  paintCurrent(i);
  var s = segs[i];
  seek(T, s.startMs / 1000);
  if (play) T.player.play().catch(function () { /* autoplay refused: the reviewer presses play */ });
  if (scroll) T.segs[i].li.scrollIntoView({ block: "nearest", behavior: reducedMotion ? "auto" : "smooth" });
  announce("Segment " + (i + 1) + " of " + segs.length + ": " + s.name + ", " + pct(s.confidence) + ", from " + clock(s.startMs));
}

function detailsCard(task) {
  var t = task.thresholds;
  var cats = t.categories ? Object.keys(t.categories).map(function (c) {
    return fact(c, "review ≥ " + pct(t.categories[c].reviewMin) + ", flag ≥ " + pct(t.categories[c].flagMin));
  }) : [];
  return h("section", { class: "card", "aria-labelledby": "details-h" }, h("h2", { id: "details-h" }, "Model"),
    h("dl", { class: "facts" },
      fact("Model decision", badge(humanize(task.modelDecision), DECISION_TONE[task.modelDecision])),
      fact("Review from", pct(t.reviewMin)),
      fact("Flagged from", pct(t.flagMin)),
      cats,
      fact("Categories", task.categories.join(", ") || "—"),
      fact("Task", h("code", null, task.taskId))));
}
function keysCard() {
  function row(keys, text) { return [h("dt", null, keys.map(function (k) { return h("kbd", null, k); })), h("dd", null, text)]; }
  return h("section", { class: "card keys-card", "aria-labelledby": "keys-h" }, h("h2", { id: "keys-h" }, "Keyboard"),
    h("dl", { class: "keys" },
      row(["j", "k"], "Next / previous segment"),
      row(["1", "2", "3"], "Confirmed / false positive / wrong category"),
      row(["a", "r"], "Approve / reject"),
      row(["Space"], "Play / pause"),
      row(["Ctrl", "Enter"], "Submit"),
      row(["?"], "All shortcuts")));
}
function auditCard(audit) {
  return h("section", { class: "card", id: "audit-card", "aria-labelledby": "audit-h" }, h("h2", { id: "audit-h" }, "Audit log"), auditList(audit || []));
}
function auditList(audit) {
  if (!audit.length) return h("p", { class: "hint", id: "audit" }, "Nothing recorded yet.");
  // A claim by the reviewer who already holds it is a renewal (reopening the task, or the page keeping
  // it alive); a run of them is shown as one line so the claims and the decision stand out.
  var rows = [];
  audit.forEach(function (a) {
    var last = rows[rows.length - 1];
    if (a.action === "claim" && last && last.a.action === "claim" && last.a.reviewer === a.reviewer) {
      last.renewals += 1;
      last.latest = a;
    } else rows.push({ a: a, renewals: 0, latest: a });
  });
  return h("ol", { class: "audit", id: "audit" }, rows.map(function (row) {
    var a = row.a;
    var d = a.detail || {};
    var until = (row.latest.detail || {}).until;
    var text = a.action === "claim"
      ? a.reviewer + " claimed the task" + (row.renewals ? ", renewed " + (row.renewals === 1 ? "once" : row.renewals + " times") : "") + (until ? ", until " + hhmm(until) : "")
      : a.action === "release" ? a.reviewer + " released the task"
      : a.reviewer + " decided: " + (VERDICT_TEXT[d.verdict] || d.verdict || "?");
    var detail = a.action === "decide" ? outcomeSummary(d.segments || []) + (d.comment ? " · “" + d.comment + "”" : "") : null;
    return h("li", { class: a.action, "data-action": a.action },
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("div", null, h("strong", null, text), detail ? h("div", { class: "detail" }, detail) : null,
        timeEl(a.at, when(a.at) + (row.renewals ? " – " + hhmm(row.latest.at) : ""))));
  }));
}
function refreshAudit() {
  var T = S.task;
  return call("GET", "/reviews/" + enc(T.task.taskId)).then(function (task) {
    if (S.task !== T) return task;
    var card = document.getElementById("audit-card");
    if (card) card.replaceChild(auditList(task.audit), document.getElementById("audit"));
    return task;
  });
}
`;
