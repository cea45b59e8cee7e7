/**
 * The report page's only script (allowed by its hash in the page's content security policy). No
 * framework: the timeline's links already work as anchors without it; it adds smooth scrolling, a
 * flash on the target so the eye finds it, and a time readout under the pointer on the timeline.
 *
 * With a player (the page was given the media) every time shown is a `#t=<seconds>` link: a click
 * plays from there and leaves that moment in the address bar, so it can be copied. On any page a
 * `#t=` fragment (a search hit links to `report.html#t=12.5`) highlights what is said, shown and
 * discussed at that moment, scrolls to it, and moves the player there without starting it (browsers
 * refuse sound that nobody asked for).
 */
import { clock } from "../shared/display.js";

const reduceMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
const player = document.querySelector<HTMLMediaElement>("#player");

function flash(el: HTMLElement): void {
  for (const prev of document.querySelectorAll(".flash")) prev.classList.remove("flash");
  // Reading the layout restarts the animation when the same element is flashed twice in a row.
  void el.offsetWidth;
  el.classList.add("flash");
}

function reveal(el: HTMLElement): void {
  el.scrollIntoView({ behavior: reduceMotion ? "auto" : "smooth", block: "center" });
  flash(el);
}

// ---- moments: `#t=` fragments and what is at a time ---------------------------------------------

/**
 * A moment in seconds from a fragment's value, in the forms Media Fragments allow for `t=`: `12.5`,
 * `npt:12.5`, `1:02`, `1:02:03.5`; of a range (`10,20`) its start.
 */
function parseMoment(value: string): number | undefined {
  let text: string;
  try {
    text = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const start = (text.replace(/^npt:/, "").split(",")[0] ?? "").trim();
  if (/^\d+(\.\d+)?$/.test(start)) return Number(start);
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(start);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** The moment a fragment names: `#t=12.5`, also among other fragment parameters (`#x=1&t=12.5`). */
function momentOf(hash: string): number | undefined {
  const m = /^#(?:[^&]*&)*t=([^&]*)/.exec(hash);
  return m?.[1] ? parseMoment(m[1]) : undefined;
}

/** What a moment is looked up in, in the order the page scrolls to: what is said, what is shown, the chapter. */
const TIMED = [".seg[data-start-ms]", "[data-text-line]", "[data-chapter]"];

/**
 * The item of a list that covers `ms`; else one that starts just after it, since a moment rounded for a
 * link (12.4 for a line at 12.467 s) may fall a little before the item it means.
 */
function itemAt(selector: string, ms: number): HTMLElement | undefined {
  let next: HTMLElement | undefined;
  for (const el of document.querySelectorAll<HTMLElement>(selector)) {
    const start = Number(el.dataset.startMs);
    const end = Number(el.dataset.endMs);
    if (start <= ms && (ms < end || start === end)) return el;
    if (!next && start > ms && start - ms <= 500) next = el;
  }
  return next;
}

/** Highlights the items at a moment (only those); returns them, in TIMED order. */
function mark(seconds: number): HTMLElement[] {
  const ms = seconds * 1000;
  const found = TIMED.map((selector) => itemAt(selector, ms)).filter((el): el is HTMLElement => el !== undefined);
  for (const prev of document.querySelectorAll(".at-time")) if (!found.includes(prev as HTMLElement)) prev.classList.remove("at-time");
  for (const el of found) el.classList.add("at-time");
  return found;
}

// ---- the player ----------------------------------------------------------------------------------

/** Set by a seek, so the player follows the reader down the page even before it plays. */
let cued = false;
let pending: { seconds: number; play: boolean } | undefined;

function applyPending(): void {
  if (!player || !pending) return;
  const { seconds, play } = pending;
  pending = undefined;
  const end = player.duration;
  player.currentTime = Number.isFinite(end) ? Math.min(seconds, end) : seconds;
  // A refused play() (no user gesture yet) leaves the player at the moment, ready for its play button.
  if (play) player.play().catch(() => undefined);
}

function seek(seconds: number, play: boolean): void {
  if (!player) return;
  cued = true;
  pending = { seconds, play };
  // Before its metadata the element cannot seek: the moment waits for it.
  if (player.readyState >= HTMLMediaElement.HAVE_METADATA) applyPending();
  else if (player.preload === "none") player.load();
  dockUpdate();
}

player?.addEventListener("loadedmetadata", applyPending);

/** The player docks in a corner while its place is scrolled away and it plays (or was just moved). */
let dockUpdate: () => void = () => undefined;

function docking(): void {
  const slot = document.querySelector<HTMLElement>(".player-slot");
  const box = slot?.querySelector<HTMLElement>(".player-box");
  if (!player || !slot || !box || typeof IntersectionObserver === "undefined") return;
  let inView = true;
  dockUpdate = () => {
    const docked = !inView && (cued || !player.paused);
    // The slot keeps the player's height while it is docked, so the page does not jump under the reader.
    if (docked && !box.classList.contains("docked")) slot.style.height = `${slot.offsetHeight}px`;
    if (!docked) slot.style.height = "";
    box.classList.toggle("docked", docked);
  };
  const close = document.createElement("button");
  close.type = "button";
  close.className = "undock";
  close.textContent = "×";
  close.title = "Pause and put the player back";
  close.setAttribute("aria-label", "Pause and put the player back");
  close.addEventListener("click", () => {
    player.pause();
    cued = false;
    dockUpdate();
  });
  box.append(close);
  new IntersectionObserver(
    (entries) => {
      for (const entry of entries) inView = entry.intersectionRatio >= 0.5;
      dockUpdate();
    },
    { threshold: [0, 0.5, 1] },
  ).observe(slot);
  player.addEventListener("play", () => dockUpdate());
  player.addEventListener("pause", () => dockUpdate());
}

/** While the media plays, what is said, shown and discussed at that moment stays highlighted. */
function follow(): void {
  if (!player) return;
  let last = -1;
  player.addEventListener("timeupdate", () => {
    // A quarter second is finer than any item on the page; fewer passes over the DOM.
    const now = Math.floor(player.currentTime * 4);
    if (now === last) return;
    last = now;
    mark(player.currentTime);
  });
}

/** An <audio> element draws no captions: the current cue is written under it instead (as text). */
function audioCaptions(): void {
  const out = document.getElementById("now-caption");
  const track = player?.textTracks[0];
  if (!out || !track || !(player instanceof HTMLAudioElement)) return;
  track.mode = "hidden";
  track.addEventListener("cuechange", () => {
    const lines = [...(track.activeCues ?? [])].map((cue) => {
      const vtt = cue as VTTCue;
      const voice = /^<v(?:\.[\w.-]+)*\s+([^>]+)>/.exec(vtt.text)?.[1];
      const words = vtt.getCueAsHTML().textContent ?? "";
      return voice ? `${voice}: ${words}` : words;
    });
    out.textContent = lines.join("\n");
  });
}

// ---- clicks, the fragment, the timeline cursor ---------------------------------------------------

document.addEventListener("click", (e) => {
  const target = e.target instanceof Element ? e.target : null;
  const jump = target?.closest("a[data-jump]");
  const at = target?.closest<HTMLElement>("[data-seek]");
  if (at && player) {
    const seconds = Number(at.dataset.seek);
    if (Number.isFinite(seconds)) {
      e.preventDefault();
      // A timeline block is a way to its details: it moves the player there. A time plays from there.
      seek(seconds, !jump);
      if (!jump) {
        history.replaceState(null, "", `#t=${seconds}`);
        mark(seconds);
      }
    }
  }
  if (!jump) return;
  const el = document.getElementById((jump.getAttribute("href") ?? "").slice(1));
  if (!el) return;
  e.preventDefault();
  reveal(el);
});

function openMoment(): void {
  const seconds = momentOf(location.hash);
  if (seconds === undefined) return;
  seek(seconds, false);
  const [first] = mark(seconds);
  if (first) reveal(first);
}

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
docking();
follow();
audioCaptions();
// Pasting another moment into the address bar of an open page moves it there too.
window.addEventListener("hashchange", openMoment);
openMoment();
