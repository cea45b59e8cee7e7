/**
 * The report page's only script (allowed by its hash in the page's content security policy). No
 * framework: the timeline's links already work as anchors without it; it adds smooth scrolling, a
 * flash on the target so the eye finds it, and a time readout under the pointer on the timeline.
 */
import { clock } from "../shared/display.js";

const reduceMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

function flash(el: HTMLElement): void {
  for (const prev of document.querySelectorAll(".flash")) prev.classList.remove("flash");
  // Reading the layout restarts the animation when the same element is flashed twice in a row.
  void el.offsetWidth;
  el.classList.add("flash");
}

document.addEventListener("click", (e) => {
  const a = e.target instanceof Element ? e.target.closest("a[data-jump]") : null;
  if (!a) return;
  const el = document.getElementById((a.getAttribute("href") ?? "").slice(1));
  if (!el) return;
  e.preventDefault();
  el.scrollIntoView({ behavior: reduceMotion ? "auto" : "smooth", block: "center" });
  flash(el);
});

function timelineCursor(): void {
  const tl = document.querySelector<HTMLElement>(".tl");
  const cursor = tl?.querySelector<HTMLElement>(".tl-cursor");
  const track = tl?.querySelector<HTMLElement>(".tl-track");
  const label = cursor?.querySelector("span");
  if (!tl || !cursor || !track || !label) return;
  const total = Number(tl.getAttribute("data-duration")) || 0;
  tl.addEventListener("pointermove", (e) => {
    const box = tl.getBoundingClientRect();
    const tr = track.getBoundingClientRect();
    const x = e.clientX - tr.left;
    if (x < 0 || x > tr.width || total <= 0) {
      cursor.classList.remove("on");
      return;
    }
    cursor.style.left = `${tr.left - box.left + x}px`;
    label.textContent = clock((x / tr.width) * total);
    cursor.classList.add("on");
  });
  tl.addEventListener("pointerleave", () => cursor.classList.remove("on"));
}

timelineCursor();
