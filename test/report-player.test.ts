import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report, type ObjectRef, type PipelineEvent } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime, startServer, type LocalRuntime, type RunningServer } from "../packages/local/src/index.js";
import { tempDir, makeTalkingVideo } from "./helpers/flow.js";

/*
 * The report page's player end to end: a real talking video through the real local pipeline, its
 * report served by the local server and opened in Chromium. The page plays the upload from the server
 * (signed links, byte ranges) with the captions track loaded, a chapter's time seeks the player, and
 * `#t=5` opens the page at five seconds. Captions and chapters come from stages other work adds: when
 * the pipeline has not made them, the test writes them beside the report, as those stages would.
 */

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "report-player-token-0123456789abcdef";

let dir: string;
let runtime: LocalRuntime;
let server: RunningServer;
let browser: Browser;
let mediaId: string;
let report: Report;
let vtt: string;

const ms = (t: number) => {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(Math.floor(t / 3_600_000))}:${pad(Math.floor(t / 60_000) % 60)}:${pad(Math.floor(t / 1000) % 60)}.${pad(t % 1000, 3)}`;
};

/** One cue a speech segment, as make-captions writes them (voice tag, the words or what was heard). */
function captionsOf(r: Report): string {
  const cues = r.transcript.segments.map((s, i) => {
    const who = r.transcript.speakers.find((sp) => sp.id === s.speaker)?.label ?? s.speaker;
    return `${i + 1}\n${ms(s.startMs)} --> ${ms(s.endMs)}\n<v ${who}>${s.text.trim() || "(speech)"}`;
  });
  return `WEBVTT\n\n${cues.join("\n\n")}\n`;
}

/** The test's browser-side view of the player (test/ compiles without the DOM lib). */
interface Player {
  currentTime: number;
  readyState: number;
  paused: boolean;
  cues: number;
}
const player = (page: Page): Promise<Player> =>
  page.locator("video#player").evaluate((el) => {
    const v = el as unknown as { currentTime: number; readyState: number; paused: boolean; textTracks: ArrayLike<{ cues: { length: number } | null }> };
    return { currentTime: v.currentTime, readyState: v.readyState, paused: v.paused, cues: v.textTracks[0]?.cues?.length ?? -1 };
  });

interface Opened {
  page: Page;
  errors: string[];
  /** Every request the page made, with the status it got. */
  seen: Array<{ url: string; status: number }>;
}

/** Opens the report page, the API token sent with the page's own request only (its media must do without). */
async function open(hash = ""): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageUrl = `${server.url}/media/${mediaId}/report.html`;
  await page.route(pageUrl, (route) => route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${TOKEN}` } }));
  const errors: string[] = [];
  const seen: Opened["seen"] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (r) => seen.push({ url: r.url(), status: r.status() }));
  await page.goto(`${pageUrl}${hash}`, { waitUntil: "load" });
  return { page, errors, seen };
}

beforeAll(async () => {
  // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  dir = await tempDir("report-player");
  const video = await makeTalkingVideo(dir);
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data"), words: false }, {}, dir));
  mediaId = await runtime.ingest(video.path);
  const outcome = await runtime.outcome(mediaId);
  expect(outcome.kind).toBe("completed");
  const reportRef = (outcome as { event: PipelineEvent<"Analysis Completed"> }).event.detail.report;
  const made = Report.parse(await runtime.objects.getJson(reportRef));
  expect(made.transcript.segments.length).toBeGreaterThan(0);
  expect(made.shots.length).toBeGreaterThanOrEqual(2);

  const beside = (name: string): ObjectRef => ({ bucket: reportRef.bucket, key: `${path.posix.dirname(reportRef.key)}/${name}` });
  let captions = made.captions;
  if (!captions || captions.cueCount === 0) {
    // make-captions made no cues (a transcript without words, as without pocketsphinx): cues of the
    // speech segments, where it leaves its files, so the track has something to load.
    const text = captionsOf(made);
    for (const [name, body] of [["captions.vtt", text], ["captions.srt", text.replace(/^WEBVTT\n\n/, "").replace(/(\d\d)\.(\d{3})/g, "$1,$2")]] as const) {
      const file = path.join(dir, name);
      await writeFile(file, body);
      await runtime.objects.putFile(beside(name), file);
    }
    captions = { vtt: "captions.vtt", srt: "captions.srt", cueCount: made.transcript.segments.length };
  }
  // Chapters the test can count on: one a shot, whatever summarize-media made of this short talk.
  const chapters = made.shots.map((s) => ({ index: s.index, startMs: s.startMs, endMs: s.endMs, title: `Part ${s.index + 1}`, summary: "", sceneIndexes: [], topics: [] }));
  report = Report.parse({ ...made, captions, summary: { summary: "Two voices talk over test patterns.", topics: ["voices"], method: "extractive", chapters } });
  await runtime.objects.putJson(reportRef, report);

  server = await startServer({ runtime, token: TOKEN });
  vtt = await (await fetch(`${server.url}/media/${mediaId}/captions.vtt`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  expect(vtt).toMatch(/^WEBVTT/);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("report page player (real pipeline, local server, Chromium)", () => {
  it("plays the upload from the server in byte ranges, with the captions track's cues loaded", async () => {
    const { page, errors, seen } = await open();
    await expect.poll(async () => (await player(page)).readyState).toBeGreaterThanOrEqual(1);
    const cueLines = vtt.split("\n").filter((l) => l.includes("-->")).length;
    expect(cueLines).toBeGreaterThan(0);
    await expect.poll(async () => (await player(page)).cues).toBe(cueLines);
    const mine = (p: string) => seen.filter((s) => new URL(s.url).pathname === `/media/${mediaId}/${p}`);
    // Without the token: the page's signed links are what let them through.
    expect(mine("source").length).toBeGreaterThan(0);
    expect(mine("source").every((s) => s.status === 206 || s.status === 200)).toBe(true);
    expect(mine("source").some((s) => s.status === 206)).toBe(true);
    expect(mine("captions.vtt").map((s) => s.status)).toEqual([200]);
    expect(seen.filter((s) => !s.url.startsWith(server.url) && !s.url.startsWith("data:"))).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: "/tmp/report-player-server.png" });
    await page.context().close();
  });

  it("seeks the player to a chapter's start when its time is clicked", async () => {
    const { page, errors } = await open();
    await expect.poll(async () => (await player(page)).readyState).toBeGreaterThanOrEqual(1);
    const chapter = report.summary!.chapters[1]!;
    await page.locator(`#chapter-${chapter.index} .chapter-head a.seek`).click();
    await expect.poll(async () => (await player(page)).currentTime).toBeGreaterThanOrEqual(chapter.startMs / 1000);
    expect((await player(page)).currentTime).toBeLessThan(chapter.startMs / 1000 + 2);
    expect(new URL(page.url()).hash).toBe(`#t=${chapter.startMs / 1000}`);
    expect(await page.locator(`#chapter-${chapter.index}`).getAttribute("class")).toContain("at-time");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("opens at the moment in #t=5: the player at five seconds, what is said then highlighted", async () => {
    const { page, errors } = await open("#t=5");
    await expect.poll(async () => (await player(page)).currentTime, { timeout: 10_000 }).toBeCloseTo(5, 1);
    expect((await player(page)).paused).toBe(true);
    const at = report.transcript.segments.findIndex((s) => s.startMs <= 5000 && 5000 < s.endMs);
    if (at >= 0) expect(await page.locator(`#seg-${at}`).getAttribute("class")).toContain("at-time");
    const chapter = report.summary!.chapters.find((c) => c.startMs <= 5000 && 5000 < c.endMs)!;
    expect(await page.locator(`#chapter-${chapter.index}`).getAttribute("class")).toContain("at-time");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
