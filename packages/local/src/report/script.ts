/**
 * The page's only script (allowed by its hash in the content security policy). Plain ES2015, no
 * framework: timeline links already work as anchors without it; it adds smooth scrolling, a flash on
 * the target so the eye finds it, and a time readout under the pointer on the timeline.
 */
export const REPORT_SCRIPT = `(function () {
  "use strict";
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(ms) {
    var t = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }
  function flash(el) {
    var prev = document.querySelectorAll(".flash");
    for (var i = 0; i < prev.length; i++) prev[i].classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[data-jump]") : null;
    if (!a) return;
    var el = document.getElementById((a.getAttribute("href") || "").slice(1));
    if (!el) return;
    e.preventDefault();
    el.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "center" });
    flash(el);
  });
  var tl = document.querySelector(".tl");
  var cursor = tl && tl.querySelector(".tl-cursor");
  var track = tl && tl.querySelector(".tl-track");
  if (!tl || !cursor || !track) return;
  var total = Number(tl.getAttribute("data-duration")) || 0;
  var label = cursor.querySelector("span");
  tl.addEventListener("pointermove", function (e) {
    var box = tl.getBoundingClientRect(), tr = track.getBoundingClientRect();
    var x = e.clientX - tr.left;
    if (x < 0 || x > tr.width || total <= 0) { cursor.classList.remove("on"); return; }
    cursor.style.left = (tr.left - box.left + x) + "px";
    label.textContent = clock((x / tr.width) * total);
    cursor.classList.add("on");
  });
  tl.addEventListener("pointerleave", function () { cursor.classList.remove("on"); });
})();`;
