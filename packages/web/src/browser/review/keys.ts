import { OUTCOMES } from "../../shared/display.js";
import { select } from "./segments.js";
import { S } from "./state.js";
import { setOutcome, setVerdict, submit } from "./verdict.js";

/*
 * The keyboard: j/k move between segments, 1/2/3 answer the current one, a/r the verdict, Space plays,
 * Ctrl+Enter submits (in the comment too), Esc leaves a text field, ? lists them all. Keys never act
 * while the reviewer types.
 */

function typing(el: EventTarget | null): el is HTMLElement {
  if (!(el instanceof HTMLElement)) return false;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
  if (tag !== "INPUT") return false;
  return !["radio", "checkbox", "button", "submit", "reset", "range"].includes((el as HTMLInputElement).type);
}

/** The open task's keys; false when the key means nothing there. */
function taskKey(key: string): boolean {
  const T = S.task;
  if (!T) return false;
  const segments = T.task.segments.length;
  if (key === "j" || key === "k") {
    if (segments) select(T.current + (key === "j" ? 1 : -1), false, true);
  } else if (key === "1" || key === "2" || key === "3") {
    if (segments) setOutcome(T.current, OUTCOMES[Number(key) - 1], true);
  } else if (key === "a" || key === "r") {
    setVerdict(key === "a" ? "approved" : "rejected", true);
  } else if (key === " ") {
    if (T.player.paused) {
      T.player.play().catch(() => {
        // Refused: nothing to do.
      });
    } else T.player.pause();
  } else return false;
  return true;
}

/** Wires the shortcuts and the ? dialog listing them. */
export function installKeys(): void {
  const help = document.getElementById("help") as HTMLDialogElement;
  const toggleHelp = () => {
    if (help.open) help.close();
    else help.showModal();
  };
  document.getElementById("help-btn")?.addEventListener("click", toggleHelp);
  document.getElementById("help-close")?.addEventListener("click", () => help.close());
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    const t = e.target;
    if (e.key === "Escape") {
      if (!help.open && typing(t)) t.blur();
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      if (S.view === "task" && S.task) {
        e.preventDefault();
        submit();
      }
      return;
    }
    if (typing(t) || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "?") {
      e.preventDefault();
      toggleHelp();
      return;
    }
    if (help.open || S.view !== "task" || !S.task) return;
    // The player's own controls handle Space when it has focus.
    if (e.key === " " && t instanceof HTMLVideoElement) return;
    if (taskKey(e.key.length === 1 ? e.key.toLowerCase() : e.key)) e.preventDefault();
  });
}

