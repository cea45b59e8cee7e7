/**
 * The review page's verdict form and claim, as script text. Answers live in a draft (kept in
 * sessionStorage per task, so a reload or a refused submit loses nothing); the controls only mirror
 * it. A 409 or 400 answer turns into a message beside the form, never a re-render of it.
 */
export const VERDICT_SCRIPT = `
function emptyDraft() { return { verdict: null, comment: "", segments: {} }; }
function loadDraft(taskId) {
  try {
    var d = JSON.parse(sessionStorage.getItem(DRAFT_KEY + taskId) || "null");
    if (d && typeof d === "object" && d.segments && typeof d.segments === "object") {
      return { verdict: d.verdict === "approved" || d.verdict === "rejected" ? d.verdict : null, comment: String(d.comment || ""), segments: d.segments };
    }
  } catch (e) { /* a broken draft is dropped */ }
  return emptyDraft();
}
function saveDraft(T) {
  if (T.mode === "decided") return;
  try { sessionStorage.setItem(DRAFT_KEY + T.task.taskId, JSON.stringify(T.draft)); } catch (e) { /* kept in memory only */ }
}
/** Records an edit: keeps the draft, and drops a check's complaint the edit may have answered. */
function edited(T) {
  saveDraft(T);
  if (T.localMsg) formMessage(null);
}
function clearDraft(taskId) { try { sessionStorage.removeItem(DRAFT_KEY + taskId); } catch (e) { /* nothing stored */ } }
function draftFromDecision(task) {
  var d = emptyDraft();
  var dec = task.decision;
  if (!dec) return d;
  d.verdict = dec.verdict;
  d.comment = dec.comment || "";
  dec.segments.forEach(function (v) {
    var seg = task.segments.filter(function (s) { return s.index === v.index; })[0];
    var known = seg && v.category && task.categories.indexOf(v.category) >= 0 && v.category.toLowerCase() !== seg.category.toLowerCase();
    d.segments[v.index] = { outcome: v.outcome, choice: v.category ? (known ? v.category : "__other") : "", other: known ? "" : v.category || "" };
  });
  return d;
}
function draftOf(T, s) { return T.draft.segments[s.index] || (T.draft.segments[s.index] = {}); }
function categoryOf(d) { return d.choice && d.choice !== "__other" ? d.choice : String(d.other || "").trim(); }
function editable() { var T = S.task; return !!T && T.mode === "mine" && !T.busy; }

/** Shows the category controls a wrong-category answer needs, and what the answer means. */
function paintSeg(T, i) {
  var s = T.task.segments[i];
  var ref = T.segs[i];
  var d = T.draft.segments[s.index] || {};
  var wrong = d.outcome === "wrong-category";
  ref.catRow.hidden = !wrong;
  ref.sel.hidden = ref.others.length === 0;
  ref.other.hidden = ref.others.length > 0 && d.choice !== "__other";
  ref.li.setAttribute("data-outcome", d.outcome || "");
  ref.note.textContent = d.outcome ? OUTCOME_HINT[d.outcome] : T.mode === "decided" ? "No outcome was given for this segment." : "Not answered yet.";
}
function setOutcome(i, o, viaKey) {
  var T = S.task;
  if (!editable()) { if (viaKey) readOnlyHint(); else paintControls(); return; }
  var s = T.task.segments[i];
  var ref = T.segs[i];
  draftOf(T, s).outcome = o;
  ref.radios[o].checked = true;
  paintSeg(T, i);
  paintProgress();
  edited(T);
  if (viaKey) {
    announce("Segment " + (i + 1) + ": " + OUTCOME_TEXT[o]);
    if (o === "wrong-category") (ref.others.length ? ref.sel : ref.other).focus();
  }
}
function setVerdict(v, viaKey) {
  var T = S.task;
  if (!T) return;
  if (!editable()) { if (viaKey) readOnlyHint(); else paintControls(); return; }
  T.draft.verdict = v;
  T.verdictRadios[v].checked = true;
  edited(T);
  if (viaKey) announce("Overall verdict: " + (v === "approved" ? "approve" : "reject"));
}
function readOnlyHint() {
  var T = S.task;
  toast(T.mode === "decided" ? "This task is decided; its verdict cannot change." : "Read-only: you do not hold the claim on this task.");
}
function paintProgress() {
  var T = S.task;
  if (!T.progressText) return;
  var n = T.task.segments.length;
  var answered = T.task.segments.filter(function (s) { return (T.draft.segments[s.index] || {}).outcome; }).length;
  T.progressText.textContent = answered + " of " + n;
  T.progressFill.style.width = (n ? (answered / n) * 100 : 100).toFixed(1) + "%";
}

function verdictCard(T) {
  T.verdictRadios = {};
  var choices = h("div", { class: "verdict-opts" }, ["approved", "rejected"].map(function (v) {
    var approve = v === "approved";
    var input = h("input", { type: "radio", name: "verdict", value: v, checked: T.draft.verdict === v, "aria-keyshortcuts": approve ? "a" : "r",
      onchange: function () { setVerdict(v, false); } });
    T.verdictRadios[v] = input;
    return h("label", { class: "vopt " + v }, input,
      h("span", null, approve ? "Approve" : "Reject", h("small", null, approve ? "May be published (clean)" : "May not be published (flagged)"), h("small", null, h("kbd", null, approve ? "a" : "r"))));
  }));
  T.progressText = h("strong", { class: "num", id: "answered" });
  T.progressFill = h("i");
  T.comment = h("textarea", { id: "comment", class: "input", maxlength: "4000", rows: "3", placeholder: "What you saw, for the audit log and the report",
    oninput: function () { T.draft.comment = T.comment.value; edited(T); } });
  T.comment.value = T.draft.comment || "";
  T.formMsg = h("div", { id: "form-msg", role: "alert" });
  T.readonlyNote = h("p", { class: "hint", id: "readonly-note" });
  T.submit = h("button", { id: "verdict-submit", class: "btn primary big", type: "submit", "aria-keyshortcuts": "Control+Enter" });
  T.form = h("form", { class: "stack", id: "verdict-form", novalidate: true, onsubmit: function (e) { e.preventDefault(); submit(); } },
    h("fieldset", null, h("legend", null, "Overall"), choices),
    h("div", null, h("div", { class: "progress" }, h("span", null, "Segments answered"), T.progressText), h("div", { class: "progress-bar", "aria-hidden": "true" }, T.progressFill)),
    h("div", { class: "stack", style: "gap: 6px" }, h("label", { class: "field", for: "comment" }, "Comment ", h("span", { class: "muted" }, "(optional)")), T.comment),
    T.formMsg, T.submit, T.readonlyNote);
  return h("section", { class: "card", id: "verdict-card", "aria-labelledby": "verdict-h" }, h("h2", { id: "verdict-h" }, "Your verdict"), T.form);
}
function decisionCard(task, justDecided) {
  var d = task.decision;
  var approved = d.verdict === "approved";
  return h("section", { class: "card decision-card", id: "decision", "aria-labelledby": "decision-h" }, h("h2", { id: "decision-h" }, "Decision"),
    justDecided ? msg("good", "Your verdict was recorded: Review Completed is published and the report is being updated with it.", { role: "status" }) : null,
    h("div", { class: "decision-big" }, badge(VERDICT_TEXT[d.verdict], approved ? "good" : "bad"), h("span", null, "by " + d.reviewer)),
    h("dl", { class: "facts", style: "margin-top: 12px" },
      fact("Decided", timeEl(d.decidedAt, when(d.decidedAt))),
      fact("Media decision", badge(approved ? "Clean" : "Flagged", approved ? "good" : "bad")),
      fact("Segments", outcomeSummary(d.segments))),
    d.comment ? h("blockquote", { class: "quote" }, d.comment) : null);
}

/** Enables the controls when the reviewer may decide, and says why not otherwise. */
function paintControls() {
  var T = S.task;
  var on = editable();
  T.task.segments.forEach(function (s, i) {
    var ref = T.segs[i];
    var d = T.draft.segments[s.index] || {};
    OUTCOMES.forEach(function (o) { ref.radios[o].disabled = !on; ref.radios[o].checked = d.outcome === o; });
    ref.sel.disabled = !on;
    ref.other.readOnly = !on;
  });
  if (!T.form) return;
  ["approved", "rejected"].forEach(function (v) { T.verdictRadios[v].disabled = !on; T.verdictRadios[v].checked = T.draft.verdict === v; });
  T.comment.readOnly = !on;
  T.submit.disabled = !on;
  T.submit.replaceChildren(T.busy ? "Submitting…" : "Submit verdict", T.busy ? null : h("kbd", null, "Ctrl+Enter"));
  T.form.setAttribute("aria-busy", T.busy ? "true" : "false");
  T.readonlyNote.textContent = T.mode === "mine" ? "Unanswered segments are recorded without an outcome."
    : "Read-only: only the reviewer holding the claim can decide. Your answers stay here if you claim it again.";
}
function paintClaim() {
  var T = S.task;
  var t = T.task;
  var parts;
  if (T.mode === "decided") {
    var d = t.decision;
    parts = [msg(d.verdict === "approved" ? "good" : "bad", [h("strong", null, "Decided: " + VERDICT_TEXT[d.verdict] + " by " + d.reviewer), " on ", timeEl(d.decidedAt, when(d.decidedAt)), ". This task is read-only."], { role: "status" })];
  } else if (T.mode === "mine") {
    parts = [
      msg("info", [h("strong", null, "Claimed by you"), " until ", timeEl(t.claimExpiresAt, hhmm(t.claimExpiresAt)),
        ". Nobody else can decide it meanwhile; the claim is renewed while this page stays open."], { role: "status" }),
      h("button", { class: "btn", type: "button", id: "release", onclick: releaseClaim }, "Release")];
  } else {
    var why = T.conflict ? readable(T.conflict.message) : t.claimedBy ? "Claimed by " + t.claimedBy + " until " + when(t.claimExpiresAt) : "You do not hold the claim on this task.";
    parts = [msg("warn", [h("strong", null, "Read-only. "), why], { role: "status" }),
      h("button", { class: "btn", type: "button", id: "claim-again", onclick: retryClaim }, "Try to claim again")];
  }
  T.claimBar.replaceChildren.apply(T.claimBar, parts);
}
function paintMode() { paintClaim(); paintControls(); }
/** A message above the submit button; "local" marks the page's own checks, which the next edit clears. */
function formMessage(tone, content, local) {
  var T = S.task;
  if (!T.formMsg) return;
  T.localMsg = !!(tone && local);
  T.formMsg.replaceChildren(tone ? msg(tone, content) : "");
}

/** The first thing that keeps the verdict from being sent, with the control to fix it. */
function problem(T) {
  if (!T.draft.verdict) return { text: "Choose Approve (a) or Reject (r) first.", focus: T.verdictRadios.approved };
  var segs = T.task.segments;
  for (var i = 0; i < segs.length; i++) {
    var d = T.draft.segments[segs[i].index] || {};
    if (d.outcome !== "wrong-category") continue;
    var ref = T.segs[i];
    var field = ref.others.length && d.choice !== "__other" ? ref.sel : ref.other;
    var cat = categoryOf(d);
    if (!cat) return { text: "Segment " + (i + 1) + " is marked Wrong category: choose or type the category it really is.", focus: field };
    if (cat.toLowerCase() === segs[i].category.toLowerCase()) {
      return { text: "Segment " + (i + 1) + ": “" + cat + "” is the category the model gave; mark it Confirmed instead.", focus: field };
    }
  }
  return null;
}
function verdictBody(T) {
  var segments = [];
  T.task.segments.forEach(function (s) {
    var d = T.draft.segments[s.index];
    if (!d || OUTCOMES.indexOf(d.outcome) < 0) return;
    var v = { index: s.index, outcome: d.outcome };
    if (d.outcome === "wrong-category") v.category = categoryOf(d);
    segments.push(v);
  });
  var body = { verdict: T.draft.verdict, segments: segments };
  var comment = String(T.draft.comment || "").trim();
  if (comment) body.comment = comment;
  return body;
}
function submit() {
  var T = S.task;
  if (!T || T.busy) return;
  if (T.mode !== "mine") { readOnlyHint(); return; }
  var p = problem(T);
  if (p) { formMessage("bad", p.text, true); if (p.focus) p.focus.focus(); return; }
  T.busy = true;
  formMessage(null);
  paintControls();
  call("POST", "/reviews/" + enc(T.task.taskId) + "/verdict", verdictBody(T)).then(function (res) {
    if (S.task !== T) return;
    clearDraft(T.task.taskId);
    toast("Verdict recorded: " + VERDICT_TEXT[res.decision.verdict]);
    renderTask(res.task, null, { justDecided: true });
    var card = document.getElementById("decision");
    if (card) card.scrollIntoView({ block: "nearest" });
  }, function (e) {
    if (S.task !== T) return;
    T.busy = false;
    if (e.handled) return;
    if (e.status === 409) {
      formMessage("bad", [h("strong", null, "Not submitted. "), readable(e.message) + ". Your answers are kept on this page."]);
      lostClaim(e);
      return;
    }
    paintControls();
    formMessage("bad", e.status === 400
      ? [h("strong", null, "Not submitted: the server refused this verdict. "), readable(e.message) + ". Fix that and submit again; your other answers are kept."]
      : [h("strong", null, "Not submitted. "), e.message + " Your answers are kept; try again."]);
  });
}

/* ---- The claim ---- */
function lostClaim(e) {
  var T = S.task;
  T.mode = "readonly";
  T.conflict = e;
  paintMode();
  refreshAudit().catch(function () { /* the audit can wait */ });
}
function renewClaim() {
  var T = S.task;
  if (!T || T.mode !== "mine" || T.busy) return;
  call("POST", "/reviews/" + enc(T.task.taskId) + "/claim").then(function (task) {
    if (S.task !== T) return;
    T.task.claimExpiresAt = task.claimExpiresAt;
    paintClaim();
  }, function (e) {
    if (S.task !== T || e.handled) return;
    if (e.status === 409) { lostClaim(e); formMessage("warn", readable(e.message)); }
  });
}
function retryClaim() {
  var T = S.task;
  call("POST", "/reviews/" + enc(T.task.taskId) + "/claim").then(function (task) {
    if (S.task !== T) return;
    T.task.claimedBy = task.claimedBy;
    T.task.claimExpiresAt = task.claimExpiresAt;
    T.mode = "mine";
    T.conflict = null;
    paintMode();
    formMessage(null);
    toast("Claimed: the task is yours to decide");
    refreshAudit().catch(function () { /* the audit can wait */ });
    if (!S.timers.length) every(10 * 60000, renewClaim);
  }, function (e) {
    if (S.task !== T || e.handled) return;
    if (e.status === 409 && e.code === "decided") {
      // Decided meanwhile: show the verdict, keeping nothing to submit.
      refreshAudit().then(function (task) { if (S.task === T) renderTask(task, e, { keepFocus: true }); });
      return;
    }
    T.conflict = e;
    paintClaim();
    toast(readable(e.message));
  });
}
function releaseClaim() {
  var T = S.task;
  call("POST", "/reviews/" + enc(T.task.taskId) + "/release").then(function () {
    toast("Released: another reviewer can take it now");
    location.hash = "#/";
  }, function (e) {
    if (S.task !== T || e.handled) return;
    if (e.status === 409) lostClaim(e);
    formMessage("bad", readable(e.message));
  });
}

var taskKeys = {
  move: function (d) { var T = S.task; if (T && T.task.segments.length) select(T.current + d, false, true); },
  outcome: function (o) { var T = S.task; if (T && T.task.segments.length) setOutcome(T.current, o, true); },
  verdict: function (v) { setVerdict(v, true); },
  playPause: function () {
    var p = S.task && S.task.player;
    if (!p) return;
    if (p.paused) p.play().catch(function () { /* refused: nothing to do */ });
    else p.pause();
  },
  submit: function () { submit(); }
};
`;
