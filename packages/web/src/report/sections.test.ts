import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Report } from "@media-pipeline/core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audioReport, hostileReport, silentVideoReport, videoReport } from "../../test-support/reports.js";
import { renderReportHtml, type RenderOptions } from "./html.js";
import { ReportMediaError } from "./player.js";

/*
 * The sections made after the first reports (summary with topics, chapters, text on screen), the
 * player with its captions, and `#t=` moments: in the source, and in Chromium with a real video
 * opened from disk beside the page, as `analyze` leaves it.
 */

const CHROMIUM = "/usr/bin/chromium";
const HOSTILE = `</section><script>window.__pwned=5</script>"'\`<img src=x onerror="window.__pwned=6">`;
const VTT = [
  "WEBVTT",
  "",
  "00:00:00.500 --> 00:00:06.500",
  "<v Speaker 1>Welcome back. Today we are walking along the old harbour.",
  "",
  "00:00:07.000 --> 00:00:13.000",
  "<v Speaker 2>It has changed a lot since the ferries stopped running here.",
  "",
].join("\n");
const VTT_DATA = `data:text/vtt;base64,${Buffer.from(VTT).toString("base64")}`;

/** The video report with what the newer stages add: a summary with chapters, text on screen and captions. */
function sectionsReport(overrides: { method?: "extractive" | "llm"; hostile?: boolean } = {}): Report {
  const base = videoReport();
  const h = overrides.hostile ? HOSTILE : "";
  return Report.parse({
    ...base,
    text: [
      { text: `SALE 50% OFF${h}`, startMs: 21_000, endMs: 24_000, confidence: 71.25, frames: 3 },
      { text: "HARBOUR MASTER", startMs: 2_000, endMs: 9_000, confidence: 93.4, frames: 8 },
      { text: "Pier 4", startMs: 30_500, endMs: 31_000, confidence: 62, frames: 1 },
    ],
    captions: { vtt: "captions.vtt", srt: "captions.srt", cueCount: 5 },
    summary: {
      summary: `Two people walk the old harbour and remember its boats; at the pier a dog waits.${h}`,
      topics: ["harbour", "boats", `dog${h}`],
      method: overrides.method ?? "extractive",
      chapters: [
        { index: 0, startMs: 0, endMs: 20_000, title: `The old harbour${h}`, summary: `The host and a guest walk along the harbour.${h}`, sceneIndexes: [0], topics: ["harbour"] },
        { index: 1, startMs: 20_000, endMs: 42_000, title: "Boats and the pier", summary: "Fishing boats, the Sunday steamer and the dog at the pier.", sceneIndexes: [0, 1, 7], topics: ["boats", "dog"] },
      ],
    },
    stages: {
      ...base.stages,
      "detect-text": { status: "done", durationMs: 1_900, engine: { name: "tesseract", version: "5.3.0" } },
      "make-captions": { status: "done", durationMs: 12, engine: { name: "media-pipeline-captions", version: "1.0.0" } },
      "summarize-media": {
        status: "done", durationMs: 700,
        engine: overrides.method === "llm" ? { name: "openai-compatible", version: `llama3.1:8b${h}` } : { name: "extractive-chapters", version: "1.0.0" },
      },
    },
  });
}

const noImages: RenderOptions["embedImage"] = () => undefined;
/** The part of the page a report decides (the head carries the stylesheet, script and its hash). */
const bodyOf = (html: string) => html.slice(html.indexOf("<body>"), html.indexOf("<script>"));
const cspOf = (html: string) => /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? "";

describe("report sections (source)", () => {
  it("renders a report made before summaries, text on screen and captions as it did, with one empty line per new section", () => {
    // Rendered by the renderer as it was before these sections (same reports, same keyframe URIs).
    const golden = JSON.parse(readFileSync(new URL("./html-before-sections.golden.json", import.meta.url), "utf8")) as Record<string, string>;
    const reports: Record<string, () => Report> = { videoReport, audioReport, silentVideoReport, hostileReport };
    const blankLines = (s: string) => s.replace(/\n\s*\n/g, "\n");
    for (const [name, make] of Object.entries(reports)) {
      const report = make();
      expect(report.summary).toBeNull();
      const html = renderReportHtml(report, { embedImage: (p) => `data:image/jpeg;base64,${Buffer.from(p).toString("base64")}` });
      const body = bodyOf(html);
      expect(body).toContain(nothingLine("No summary was made for this media."));
      expect(body).toContain(nothingLine("No chapters were made for this media."));
      if (report.media.kind === "video") expect(body).toContain(nothingLine("Text on screen was not looked for in this analysis."));
      else expect(body).toMatch(/<section id="text" class="card">[\s\S]*?Not applicable: this file has no video\./);
      const before = body
        .replace(/\n<section id="(summary|chapters|text)" class="card">[\s\S]*?<\/section>/g, "")
        .replace(/<a href="#(summary|chapters|text)">[^<]*<\/a>/g, "")
        // Transcript segments say where they sit, for the script that highlights a #t= moment.
        .replace(/ data-start-ms="\d+" data-end-ms="\d+"/g, "");
      expect(blankLines(before), name).toBe(blankLines(golden[name]!));
      expect(cspOf(html)).not.toContain("media-src");
      expect(html).not.toMatch(/<(video|audio|track)\b/);
    }
  });

  it("puts the summary first, with its key topics and, for an extractive one, that it is the media's own words", () => {
    const html = renderReportHtml(sectionsReport(), { embedImage: noImages });
    const main = html.slice(html.indexOf("<main"));
    expect(main.indexOf('<section id="summary"')).toBeLessThan(main.indexOf('<section id="chapters"'));
    expect(main.indexOf('<section id="chapters"')).toBeLessThan(main.indexOf('<section id="timeline"'));
    expect(html).toContain("Two people walk the old harbour and remember its boats; at the pier a dog waits.");
    expect(html).toContain('<span class="chip topic">harbour</span><span class="chip topic">boats</span>');
    expect(html).toContain("sentences taken from the media's own words, not written by a model");
    expect(html).not.toContain('data-method="llm"');
  });

  it("names the language model of an LLM summary, from the summarize-media stage's engine", () => {
    const html = renderReportHtml(sectionsReport({ method: "llm" }), { embedImage: noImages });
    expect(html).toContain('<p class="method" data-method="llm"><strong>Written by a language model:</strong> <strong data-model>llama3.1:8b</strong> <span class="muted">(openai-compatible)</span>.</p>');
    expect(html).not.toContain("not written by a model");
  });

  it("lists chapters with title, time range and summary, and text on screen by time with confidence", () => {
    const html = renderReportHtml(sectionsReport(), { embedImage: noImages });
    expect(html).toMatch(/<li class="chapter" id="chapter-0" data-chapter data-start-ms="0" data-end-ms="20000">[\s\S]*?<h3>The old harbour<\/h3><span class="time">00:00 – 00:20<\/span>/);
    expect(html).toContain("The host and a guest walk along the harbour.");
    // Scene 8 is not in the report: no link to nowhere.
    expect(html).toContain('<a href="#scene-0" data-jump>Scene 1</a>, <a href="#scene-1" data-jump>Scene 2</a></span>');
    expect(html).not.toContain("#scene-7");
    const lines = [...html.matchAll(/<span class="text-value">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(lines).toEqual(["HARBOUR MASTER", "SALE 50% OFF", "Pier 4"]);
    expect(html).toContain('<span class="num">71.3%</span> <span class="muted">· 3 frames</span>');
    expect(html).toContain('<span class="num">62%</span> <span class="muted">· 1 frame</span>');
  });

  it("says text was looked for and not found, or that the stage failed, rather than an empty list", () => {
    const base = sectionsReport();
    const none = renderReportHtml(Report.parse({ ...base, text: [] }), { embedImage: noImages });
    expect(none).toContain(nothingLine("No text was found on screen."));
    const failed = Report.parse({ ...base, text: [], summary: null, stages: { ...base.stages, "detect-text": { status: "failed", durationMs: 5, engine: null, error: "tesseract <not> found" }, "summarize-media": { status: "failed", durationMs: 5, engine: null, error: "LLM endpoint refused" } } });
    const html = renderReportHtml(failed, { embedImage: noImages });
    expect(html).toContain("<strong>Text detection failed.</strong> tesseract &lt;not&gt; found");
    expect(html).toContain("<strong>The media summary failed.</strong> LLM endpoint refused");
  });

  it("escapes hostile text in the summary, topics, chapters, text on screen, engine and player options", () => {
    const html = renderReportHtml(sectionsReport({ hostile: true, method: "llm" }), {
      embedImage: noImages,
      media: { src: `/media/x/source?a="><script>window.__pwned=7</script>`, type: `video/mp4"><script>`, captions: { vtt: VTT_DATA, label: HOSTILE, language: `en"><script>` } },
    });
    // Only the page's own script, and none of the markup the data carries.
    expect(html.match(/<script/g)?.length).toBe(1);
    const body = bodyOf(html);
    expect(body).not.toContain("<img src=x");
    expect(body).toContain("&lt;/section&gt;&lt;script&gt;window.__pwned=5&lt;/script&gt;&quot;&#39;&#96;&lt;img src=x onerror=&quot;window.__pwned=6&quot;&gt;");
    expect(body.match(/<section /g)?.length).toBe(body.match(/<\/section>/g)?.length);
  });

  it("with media: a <video> with the captions track on by default, and every time shown a #t= link that plays from there", () => {
    const html = renderReportHtml(sectionsReport(), { embedImage: noImages, media: { src: "/media/01jd/source?expires=1&sig=a", captions: { vtt: "/media/01jd/captions.vtt?expires=1&sig=b" } } });
    expect(html).toContain('<video id="player" class="player" controls preload="metadata" playsinline src="/media/01jd/source?expires=1&amp;sig=a" style="aspect-ratio: 1280 / 720"><track kind="captions" src="/media/01jd/captions.vtt?expires=1&amp;sig=b" label="Captions" srclang="en-US" default></video>');
    expect(html).toContain('<a href="#media">Player</a>');
    expect(html).toContain("Captions: 5 cues, on by default");
    // Shots, transcript, labels, moderation, text on screen, chapters and scenes.
    expect(html).toContain('<strong>Shot 2</strong><a class="time seek" href="#t=12" data-seek="12" title="Play from 00:12">00:12 – 00:27</a>');
    expect(html).toContain('<div class="seg-meta"><a class="time seek" href="#t=0.5" data-seek="0.5" title="Play from 00:00">00:00</a>');
    expect(html).toMatch(/<div class="strip"><a class="seek" href="#t=12.5" data-seek="12.5" style="[^"]+" title="Play from 00:12 – 00:21 · 81.5%"/);
    expect(html).toContain('<td class="time" data-th="Time"><a class="time seek" href="#t=14" data-seek="14" title="Play from 00:14">00:14 – 00:19</a></td>');
    expect(html).toContain('<a class="time seek" href="#t=21" data-seek="21" title="Play from 00:21">00:21 – 00:24</a>');
    expect(html).toContain('<h3>Boats and the pier</h3><a class="time seek" href="#t=20" data-seek="20" title="Play from 00:20">00:20 – 00:42</a>');
    expect(html).toContain('<h3>Scene 2</h3><a class="time seek" href="#t=27.5" data-seek="27.5"');
    // The timeline still jumps to details, and moves the player too.
    expect(html).toContain('<a class="tl-shot" href="#shot-1" data-jump data-seek="12" title=');
    expect(html).not.toContain('<span class="time">');
  });

  it("gives audio an <audio> player and a line for the caption being spoken", () => {
    const html = renderReportHtml(audioReport(), { embedImage: noImages, media: { src: "file:///tmp/memo.m4a", type: "audio/mp4", captions: { vtt: VTT_DATA, label: "English", language: "en" } } });
    expect(html).toContain(`<audio id="player" class="player" controls preload="metadata" playsinline><source src="file:///tmp/memo.m4a" type="audio/mp4"><track kind="captions" src="${VTT_DATA}" label="English" srclang="en" default></audio>`);
    expect(html).toContain('<p class="now-caption" id="now-caption" aria-live="polite"></p>');
    expect(html).not.toContain("<video");
  });

  it("allows media in its policy from exactly where the media and captions come from", () => {
    const csp = (media: RenderOptions["media"]) => cspOf(renderReportHtml(videoReport(), { embedImage: noImages, media }));
    expect(csp({ src: "/media/x/source", captions: { vtt: "/media/x/captions.vtt" } })).toContain("; media-src 'self'; ");
    expect(csp({ src: "file:///data/talk.mp4", captions: { vtt: VTT_DATA } })).toContain("; media-src file: data:; ");
    expect(csp({ src: "https://bucket.s3.amazonaws.com/a.mp4?X-Amz-Signature=1", captions: { vtt: "https://cdn.example.com/c.vtt" } }))
      .toContain("; media-src https://bucket.s3.amazonaws.com https://cdn.example.com; ");
    expect(csp({ src: "http://127.0.0.1:8787/media/x/source" })).toContain("; media-src http://127.0.0.1:8787; ");
    // Everything else stays as strict as a page without a player.
    expect(csp({ src: "/m" })).toMatch(/^default-src 'none'; img-src data:; media-src 'self'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'; base-uri 'none'; form-action 'none'$/);
  });

  it("refuses a media or captions URL the page could not load safely", () => {
    const render = (media: NonNullable<RenderOptions["media"]>) => () => renderReportHtml(videoReport(), { embedImage: noImages, media });
    expect(render({ src: "javascript:alert(1)" })).toThrow(ReportMediaError);
    expect(render({ src: "//evil.example/x.mp4" })).toThrow(ReportMediaError);
    expect(render({ src: "data:text/html,<script>alert(1)</script>" })).toThrow(ReportMediaError);
    expect(render({ src: "/m", captions: { vtt: "data:text/html;base64,PHNjcmlwdD4=" } })).toThrow(/captions URL is a data: URL of the wrong type/);
    expect(render({ src: "blob:https://x/1" })).toThrow(/must be an http\(s\), file: or data: URL or a path/);
  });
});

function nothingLine(text: string): string {
  return `<p class="nothing">${text.replace(/'/g, "&#39;")}</p>`;
}

/** The parts of the page's window the test reads (the package's tests compile without the DOM lib). */
interface Browser {
  innerHeight: number;
  innerWidth: number;
  location: { hash: string };
  document: { documentElement: { scrollWidth: number } };
  __pwned?: number;
}

/** The parts of <video> and its track the test reads. */
interface Played {
  currentTime: number;
  readyState: number;
  paused: boolean;
  cues: number;
  mode: string;
}
const played = (page: Page) =>
  page.locator("#player").evaluate((el) => {
    const v = el as unknown as { currentTime: number; readyState: number; paused: boolean; textTracks: ArrayLike<{ mode: string; cues: { length: number } | null }> };
    const track = v.textTracks[0];
    return { currentTime: v.currentTime, readyState: v.readyState, paused: v.paused, cues: track?.cues?.length ?? -1, mode: track?.mode ?? "none" } satisfies Played;
  });

describe("report sections (in Chromium, opened from disk beside its video)", () => {
  let dir: string;
  let context: BrowserContext;
  let video: string;

  beforeAll(async () => {
    // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
    dir = mkdtempSync(join(tmpdir(), "report-sections-"));
    // As long as the report says (42 s), small and quick to make.
    video = join(dir, "harbour walk.mp4");
    execFileSync("ffmpeg", [
      "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=10", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
      "-t", "42", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", video,
    ]);
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface Opened {
    page: Page;
    requests: string[];
    errors: string[];
  }

  async function open(report: Report, name: string, options: { media?: RenderOptions["media"]; hash?: string; width?: number } = {}): Promise<Opened> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderReportHtml(report, { embedImage: noImages, ...(options.media ? { media: options.media } : {}) }));
    const page = await context.newPage();
    await page.setViewportSize({ width: options.width ?? 1280, height: 900 });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${pathToFileURL(file).href}${options.hash ?? ""}`, { waitUntil: "load" });
    return { page, requests, errors };
  }

  const onDisk = () => ({ src: pathToFileURL(video).href, captions: { vtt: VTT_DATA } });

  it("plays the video from disk with the captions as a data: track (Chromium refuses a file: track as cross-origin)", async () => {
    const { page, errors, requests } = await open(sectionsReport(), "player", { media: onDisk() });
    await expect.poll(async () => (await played(page)).readyState).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => (await played(page)).cues).toBe(2);
    expect((await played(page)).mode).toBe("showing");
    expect(await page.locator("#player").evaluate((el) => (el as unknown as { duration: number }).duration)).toBeCloseTo(42, 0);
    expect(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:"))).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: "/tmp/report-sections-player.png", fullPage: true });
  });

  it("plays from a chapter's start when its time is clicked, and leaves that moment in the address", async () => {
    const { page, errors } = await open(sectionsReport(), "chapter-click", { media: onDisk() });
    await expect.poll(async () => (await played(page)).readyState).toBeGreaterThanOrEqual(1);
    await page.locator("#chapter-1 .chapter-head a.seek").click();
    await expect.poll(async () => (await played(page)).currentTime).toBeGreaterThanOrEqual(20);
    const now = await played(page);
    expect(now.currentTime).toBeLessThan(23);
    expect(now.paused).toBe(false);
    expect(new URL(page.url()).hash).toBe("#t=20");
    expect(await page.locator("#chapter-1").getAttribute("class")).toContain("at-time");
    expect(await page.locator("#chapter-0").getAttribute("class")).not.toContain("at-time");

    // A label's occurrence on its strip is a way in too.
    await page.locator('[data-label] .strip a.seek[data-seek="28"]').click();
    await expect.poll(async () => (await played(page)).currentTime).toBeGreaterThanOrEqual(28);
    expect((await played(page)).currentTime).toBeLessThan(31);
    expect(errors).toEqual([]);
  });

  it("opens at the moment in #t=: the player there, and what is said, shown and discussed then highlighted", async () => {
    const { page, errors } = await open(sectionsReport(), "moment", { media: onDisk(), hash: "#t=22.5" });
    await expect.poll(async () => (await played(page)).currentTime).toBeCloseTo(22.5, 1);
    expect((await played(page)).paused).toBe(true);
    const marked = await page.locator(".at-time").evaluateAll((els) => els.map((e) => e.id));
    // Segment 3 (20.0–26.5 s), the SALE line (21–24 s, second by time) and chapter 2 (20–42 s).
    expect(marked.sort()).toEqual(["chapter-1", "seg-3", "text-1"]);
    await expect.poll(() => page.locator("#seg-3").evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= (globalThis as unknown as Browser).innerHeight;
    })).toBe(true);

    // Another moment pasted into the address of the open page.
    await page.evaluate(() => {
      (globalThis as unknown as Browser).location.hash = "#t=00:00:30.8";
    });
    await expect.poll(async () => (await played(page)).currentTime).toBeCloseTo(30.8, 1);
    expect((await page.locator(".at-time").evaluateAll((els) => els.map((e) => e.id))).sort()).toEqual(["chapter-1", "seg-4", "text-2"]);
    expect(errors).toEqual([]);
  });

  it("highlights the moment in #t= on a page without a player", async () => {
    const { page, errors } = await open(sectionsReport(), "moment-no-player", { hash: "#t=3" });
    expect(await page.locator("#player").count()).toBe(0);
    await expect.poll(() => page.locator(".at-time").evaluateAll((els) => els.map((e) => e.id).sort())).toEqual(["chapter-0", "seg-0", "text-0"]);
    expect(errors).toEqual([]);
  });

  it("shows hostile text in the new sections as text and never runs it", async () => {
    const { page, errors } = await open(sectionsReport({ hostile: true, method: "llm" }), "hostile-sections", { media: { ...onDisk(), captions: { vtt: VTT_DATA, label: HOSTILE } } });
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (globalThis as unknown as Browser).__pwned)).toBeUndefined();
    expect(await page.locator("[data-summary]").textContent()).toContain(HOSTILE);
    expect(await page.locator("#chapter-0 h3").textContent()).toBe(`The old harbour${HOSTILE}`);
    expect(await page.locator("[data-model]").textContent()).toBe(`llama3.1:8b${HOSTILE}`);
    expect(await page.locator("#player track").getAttribute("label")).toBe(HOSTILE);
    expect(await page.locator("script").count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("fits a phone-width screen with the new sections and the player", async () => {
    const { page, errors } = await open(sectionsReport(), "phone", { media: onDisk(), width: 390 });
    const overflow = await page.evaluate(() => {
      const w = globalThis as unknown as Browser;
      return w.document.documentElement.scrollWidth - w.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: "/tmp/report-sections-phone.png", fullPage: true });
  });
});
