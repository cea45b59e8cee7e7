import { MediaPipelineError } from "@media-pipeline/core";
import { esc } from "./format.js";
import { section } from "./parts.js";
import type { View } from "./view.js";

/**
 * The media a report page plays, when its renderer has it at hand. `src` and `captions.vtt` are URLs
 * the page loads as media: a path on the page's own server (`/media/<id>/source`), an http(s) URL, a
 * `file:` URL beside a report opened from disk, or a `data:` URL. Captions from disk must be a data:
 * URL: Chromium treats every file: URL as its own origin and refuses a file: track as cross-origin.
 * @example { src: "/media/01jd…/source?expires=…&sig=…", captions: { vtt: "data:text/vtt;base64,V0VCVlRU…" } }
 */
export interface ReportMedia {
  src: string;
  /** The media's MIME type, when known: a hint that spares the player sniffing. */
  type?: string;
  captions?: {
    vtt: string;
    /** Shown in the player's captions menu; `Captions` by default. */
    label?: string;
    /** BCP 47 (`en-US`); the transcript's language by default. */
    language?: string;
  };
}

/** A media or captions URL the page could not load safely (an unknown scheme, a data: URL of the wrong type). */
export class ReportMediaError extends MediaPipelineError {}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * The content security policy source that lets the page load `url` as media, and nothing wider:
 * a URL's own origin, `'self'` for a path on the page's server, `data:` for inline captions, `file:`
 * for a file beside a report opened from disk (a file: URL has no host a narrower source could name).
 */
function sourceOf(url: string, what: string, data: RegExp): string {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // A protocol-relative URL would name another host without saying which scheme the policy allows.
    if (url.startsWith("//")) throw new ReportMediaError(`${what} must name its scheme, not start with //: ${JSON.stringify(url)}`);
    return "'self'";
  }
  if (scheme === "data") {
    if (!data.test(url)) throw new ReportMediaError(`${what} is a data: URL of the wrong type: ${JSON.stringify(url.slice(0, 40))}`);
    return "data:";
  }
  if (scheme === "file") return "file:";
  if (scheme !== "http" && scheme !== "https") throw new ReportMediaError(`${what} must be an http(s), file: or data: URL or a path: ${JSON.stringify(url)}`);
  try {
    return new URL(url).origin;
  } catch (cause) {
    throw new ReportMediaError(`${what} is not a URL: ${JSON.stringify(url)}`, { cause });
  }
}

/** The `media-src` sources the page needs for its player (media-src governs <video>, <audio> and <track>). */
export function mediaSources(media: ReportMedia): string[] {
  const sources = [sourceOf(media.src, "The media URL", /^data:(video|audio)\//i)];
  if (media.captions) sources.push(sourceOf(media.captions.vtt, "The captions URL", /^data:text\/vtt[;,]/i));
  return [...new Set(sources)];
}

/**
 * The video's shape from the probe, so the player has its size before the media loads: a page opened at
 * a `#t=` moment scrolls to it at once, and a player that grew afterwards would push it out of view.
 */
function aspect(view: View): string {
  const v = view.report.media.streams.find((s) => s.type === "video");
  const ratio = v?.width && v.height ? `${v.width} / ${v.height}` : "16 / 9";
  return ` style="aspect-ratio: ${ratio}"`;
}

/** The player: <video> (or <audio> for audio-only media) with the captions track shown by default. */
export function renderPlayer(view: View, media: ReportMedia): string {
  const tag = view.report.media.kind === "audio" ? "audio" : "video";
  const c = media.captions;
  const language = c?.language ?? view.report.transcript.language ?? undefined;
  const track = c
    ? `<track kind="captions" src="${esc(c.vtt)}" label="${esc(c.label ?? "Captions")}"${language ? ` srclang="${esc(language)}"` : ""} default>`
    : "";
  // With a type the source is a <source> child, so a browser that cannot play that type says so at once.
  const source = media.type ? `<source src="${esc(media.src)}" type="${esc(media.type)}">` : "";
  const src = media.type ? "" : ` src="${esc(media.src)}"`;
  const element = `<${tag} id="player" class="player" controls preload="metadata" playsinline${src}${tag === "video" ? aspect(view) : ""}>${source}${track}</${tag}>`;
  // An <audio> element draws no captions: the page's script writes the current cue here instead.
  const nowCaption = tag === "audio" && c ? `<p class="now-caption" id="now-caption" aria-live="polite"></p>` : "";
  const captions = view.report.captions;
  const facts = [
    c ? `Captions: ${captions ? `${captions.cueCount} ${captions.cueCount === 1 ? "cue" : "cues"}, ` : ""}on by default (the player's menu turns them off).` : "No captions for this media.",
    captions?.note ?? "",
  ].filter(Boolean);
  const body = `
  <div class="player-slot" data-kind="${tag}"><div class="player-box">${element}</div></div>
  ${nowCaption}
  <p class="player-note muted">${facts.map(esc).join(" ")}</p>`;
  return section("media", "Player", "Every time in this report plays the media from there; #t=seconds in the address opens the page at that moment.", body);
}
