import { clock, DECISION_TONE, humanize, OUTCOME_TEXT, OUTCOMES, pct, type Outcome } from "../../shared/display.js";
import { announce, badge, confBar, h, msg } from "./dom.js";
import { draftOf } from "./draft.js";
import { edited, paintSeg } from "./form.js";
import { OUTCOME_HINT } from "./outcomes.js";
import { S, type SegmentRefs, type TaskState } from "./state.js";
import type { TaskSegment, TaskView } from "./types.js";
import { setOutcome } from "./verdict.js";

/*
 * The task's media: the player with a timeline of the segments, and the segment list with keyframes,
 * the model's labels and the answer controls. Clicking a segment plays it from its start.
 */

/** Player positions show minutes unpadded, as players do (`0:05`). */
const time = (ms: number) => clock(ms, "short");
const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

function maxEnd(task: TaskView): number {
  return task.segments.reduce((m, s) => Math.max(m, s.endMs), 0);
}

/** The media's length in seconds: the player's once known, the last segment's end until then. */
function duration(T: TaskState): number {
  const d = T.player.duration;
  return Number.isFinite(d) && d > 0 ? d : Math.max(1, maxEnd(T.task) / 1000);
}

function seek(T: TaskState, seconds: number): void {
  if (T.player.readyState === 0) T.pendingSeek = seconds;
  try {
    T.player.currentTime = seconds;
  } catch {
    T.pendingSeek = seconds;
  }
}

export function playerCard(T: TaskState): HTMLElement {
  const task = T.task;
  const player = T.player;
  const headMark = h("span", { class: "tl-head", style: "left:0%" });
  const track = h("div", { class: "tl-track", id: "tl-track", title: "Click to seek" }, headMark);
  const end = h("span", null, time(maxEnd(task)));
  const error = h("div", { role: "alert" });
  T.bands = task.segments.map((s, i) => {
    const label = `Segment ${i + 1}: ${s.name}, ${pct(s.confidence)}, ${time(s.startMs)}–${time(s.endMs)}`;
    const band = h("button", { type: "button", class: `tl-band ${s.decision}`, "data-index": s.index, "aria-label": `Play ${label}`, title: label,
      onclick: (e: Event) => {
        e.stopPropagation();
        select(i, true, true);
      } });
    track.insertBefore(band, headMark);
    return band;
  });
  const layout = () => {
    const total = duration(T);
    task.segments.forEach((s, i) => {
      const b = T.bands[i];
      b.style.left = `${Math.min(100, (s.startMs / 1000 / total) * 100).toFixed(3)}%`;
      b.style.width = `${Math.max(0.8, ((s.endMs - s.startMs) / 1000 / total) * 100).toFixed(3)}%`;
    });
    end.textContent = time(total * 1000);
  };
  layout();
  player.addEventListener("loadedmetadata", () => {
    layout();
    if (T.pendingSeek !== null) {
      player.currentTime = T.pendingSeek;
      T.pendingSeek = null;
    }
  });
  player.addEventListener("timeupdate", () => {
    headMark.style.left = `${Math.min(100, (player.currentTime / duration(T)) * 100).toFixed(3)}%`;
  });
  player.addEventListener("error", () => {
    error.replaceChildren(msg("bad", "The video could not be played. Its link may have expired: reload the page for a fresh one.", { style: "margin: 12px 16px" }));
  });
  track.addEventListener("click", (e) => {
    const r = track.getBoundingClientRect();
    seek(T, Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)) * duration(T));
  });
  return h("section", { class: "card player-card", "aria-label": "Player" }, player,
    h("div", { class: "tl" }, track, h("div", { class: "tl-axis", "aria-hidden": "true" }, h("span", null, "0:00"), end)), error);
}

export function segmentsSection(T: TaskState): HTMLElement {
  const segs = T.task.segments;
  const list = h("ol", { class: "segs", id: "segs" }, segs.map((s, i) => segItem(T, s, i)));
  return h("section", { class: "segs-wrap", "aria-labelledby": "segs-h" },
    h("div", { class: "section-head" },
      h("h2", { id: "segs-h" }, "Segments ", h("span", { class: "chip" }, String(segs.length))),
      h("p", { class: "hint" }, "Click a segment, its keyframe or its time to play it from its start. ", h("kbd", null, "j"), " ", h("kbd", null, "k"), " move between segments.")),
    segs.length ? list : h("p", { class: "empty" }, "The moderation model reported no segments."));
}

function segItem(T: TaskState, s: TaskSegment, i: number): HTMLLIElement {
  const n = T.task.segments.length;
  const d = T.draft.segments[s.index] ?? {};
  const play = () => select(i, true, false);
  const thumb = h("button", { type: "button", class: "thumb", "aria-label": `Play segment ${i + 1} from ${time(s.startMs)}`, onclick: play },
    s.keyframeUrl ? h("img", { src: s.keyframeUrl, alt: `Keyframe of segment ${i + 1}`, loading: "lazy" }) : h("span", { class: "noimg" }, "No keyframe"),
    h("span", { class: "play", "aria-hidden": "true" }, `▶ ${time(s.startMs)}`));
  const radios = {} as Record<Outcome, HTMLInputElement>;
  const opts = h("div", { class: "opts" }, OUTCOMES.map((o, k) => {
    radios[o] = h("input", { type: "radio", name: `outcome-${s.index}`, value: o, checked: d.outcome === o, "aria-keyshortcuts": String(k + 1),
      onchange: () => setOutcome(i, o, false) });
    return h("label", { class: `opt ${o}`, title: OUTCOME_HINT[o] }, radios[o], h("span", null, OUTCOME_TEXT[o], h("kbd", { "aria-hidden": "true" }, String(k + 1))));
  }));
  const others = T.task.categories.filter((c) => c.toLowerCase() !== s.category.toLowerCase());
  const sel = h("select", { class: "input", "aria-label": `The right category for segment ${i + 1}`,
    onchange: () => {
      draftOf(T, s).choice = sel.value;
      paintSeg(T, i);
      edited(T);
      if (sel.value === "__other") other.focus();
    } },
    h("option", { value: "" }, "Choose the right category…"),
    others.map((c) => h("option", { value: c }, c)),
    h("option", { value: "__other" }, "Another category (type it)…"));
  sel.value = d.choice && (d.choice === "__other" || others.includes(d.choice)) ? d.choice : "";
  const other = h("input", { class: "input", type: "text", maxlength: "200", placeholder: "Type the right category", value: d.other || "",
    "aria-label": `The right category for segment ${i + 1}, typed`,
    oninput: () => {
      draftOf(T, s).other = other.value;
      edited(T);
    } });
  other.value = d.other || "";
  const catRow = h("div", { class: "cat-row" }, sel, other);
  const note = h("p", { class: "outcome-note" });
  const li = h("li", { class: `seg ${s.decision}`, id: `seg-${s.index}`, "data-index": s.index },
    thumb,
    h("div", { class: "seg-info", title: `Play from ${time(s.startMs)}`,
      onclick: (e: Event) => {
        if (!(e.target as Element).closest?.("button")) play();
      } },
      h("div", { class: "seg-top" },
        h("span", { class: "seg-n" }, `Segment ${i + 1} of ${n}`),
        badge(`Model: ${humanize(s.decision)}`, DECISION_TONE[s.decision]),
        h("span", { class: "chip", title: "Category" }, s.category)),
      h("div", { class: "seg-name" }, s.name),
      h("div", { class: "conf" }, confBar(s.confidence, s.decision), h("strong", null, pct(s.confidence)), h("span", { class: "conf-word" }, "confidence"),
        h("span", { class: "conf-dot", "aria-hidden": "true" }, "·"),
        h("button", { type: "button", class: "seg-jump", "aria-label": `Play segment ${i + 1} from ${time(s.startMs)} to ${time(s.endMs)}`, onclick: play },
          `${time(s.startMs)} – ${time(s.endMs)}`))),
    h("fieldset", { class: "answer" }, h("legend", null, `Your answer for segment ${i + 1}`), opts, catRow, note));
  const ref: SegmentRefs = { li, radios, others, sel, other, catRow, note };
  T.segs[i] = ref;
  paintSeg(T, i);
  return li;
}

/** Marks segment i current (the one j, k and 1/2/3 act on). */
export function paintCurrent(i: number): void {
  const T = S.task;
  if (!T) return;
  T.current = i;
  T.segs.forEach((r, k) => {
    r.li.classList.toggle("current", k === i);
    T.bands[k]?.classList.toggle("current", k === i);
    if (k === i) r.li.setAttribute("aria-current", "true");
    else r.li.removeAttribute("aria-current");
  });
}

/** Makes segment i current and seeks to its start; plays when asked (a click), keeps the play state otherwise (j/k). */
export function select(i: number, play: boolean, scroll: boolean): void {
  const T = S.task;
  const segs = T?.task.segments;
  if (!T || !segs?.length) return;
  const at = Math.max(0, Math.min(segs.length - 1, i));
  paintCurrent(at);
  const s = segs[at];
  seek(T, s.startMs / 1000);
  if (play) {
    T.player.play().catch(() => {
      // Autoplay refused: the reviewer presses play.
    });
  }
  if (scroll) T.segs[at].li.scrollIntoView({ block: "nearest", behavior: reducedMotion ? "auto" : "smooth" });
  announce(`Segment ${at + 1} of ${segs.length}: ${s.name}, ${pct(s.confidence)}, from ${time(s.startMs)}`);
}
