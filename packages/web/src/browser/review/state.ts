import type { Outcome } from "../../shared/display.js";
import type { Verdict } from "@media-pipeline/core";
import type { ApiError } from "./api-error.js";
import type { Draft, TaskView } from "./types.js";

/*
 * The page's state: who is signed in, which view is showing, its timers, and the open task with the
 * controls that mirror its draft. One object, so leaving a view drops everything it held.
 */

export const TOKEN_KEY = "media-pipeline.review.token";
/** A Cognito sign-in's refresh token (absent for a pasted token). */
export const REFRESH_KEY = "media-pipeline.review.refresh";
export const DRAFT_KEY = "media-pipeline.review.draft.";

/** The controls of one segment's answer. */
export interface SegmentRefs {
  li: HTMLLIElement;
  radios: Record<Outcome, HTMLInputElement>;
  /** The task's categories other than the segment's own: the choices for a wrong-category answer. */
  others: string[];
  sel: HTMLSelectElement;
  other: HTMLInputElement;
  catRow: HTMLDivElement;
  note: HTMLParagraphElement;
}

/** The verdict form's controls (absent once the task is decided). */
export interface VerdictForm {
  el: HTMLFormElement;
  radios: Record<Verdict, HTMLInputElement>;
  progressText: HTMLElement;
  progressFill: HTMLElement;
  comment: HTMLTextAreaElement;
  msg: HTMLElement;
  readonlyNote: HTMLElement;
  submit: HTMLButtonElement;
}

export interface RenderOptions {
  justDecided?: boolean;
  keepFocus?: boolean;
}

/**
 * The open task: `mine` while the reviewer holds the claim, `readonly` otherwise; at the end `decided`,
 * or `expired` when nobody decided it in time.
 */
export interface TaskState {
  task: TaskView;
  mode: "mine" | "readonly" | "decided" | "expired";
  conflict: ApiError | null;
  /** The segment j, k and 1/2/3 act on. */
  current: number;
  busy: boolean;
  draft: Draft;
  bands: HTMLButtonElement[];
  segs: SegmentRefs[];
  player: HTMLVideoElement;
  /** A seek asked for before the player knew the media's length. */
  pendingSeek: number | null;
  claimBar: HTMLElement;
  form: VerdictForm | null;
  /** The form's message is one of the page's own checks, which the next edit clears. */
  localMsg: boolean;
  /** Draws the task again from a fresh answer (after a verdict, or when it was decided meanwhile). */
  rerender(task: TaskView, conflict: ApiError | null, options: RenderOptions): void;
}

export const S: {
  /** The bearer token for the API: a reviewer token, a pasted token, or a Cognito ID token. */
  token: string | null;
  /** The Cognito refresh token that renews `token`; null for a pasted token. */
  refreshToken: string | null;
  reviewer: string | null;
  view: "login" | "queue" | "task" | null;
  timers: Array<ReturnType<typeof setInterval>>;
  task: TaskState | null;
  /** Identifies the current opening of a task: an answer for an older one is dropped. */
  visit: object | null;
} = { token: null, refreshToken: null, reviewer: null, view: null, timers: [], task: null, visit: null };

export function every(ms: number, fn: () => void): void {
  S.timers.push(setInterval(fn, ms));
}

/** Stops what the current view runs (timers, the player) before another view replaces it. */
export function leave(): void {
  for (const t of S.timers) clearInterval(t);
  S.timers = [];
  (document.getElementById("player") as HTMLVideoElement | null)?.pause();
  S.task = null;
  S.view = null;
}
